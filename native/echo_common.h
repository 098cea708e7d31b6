/* SPDX-License-Identifier: MIT
 *
 * What l2_echo and l2_multi_echo share: options, port set-up, the echo loop, counters and signals.
 * The two programs differ only in how many queues they ask for and how they spread them over lcores.
 */
#ifndef ECHO_COMMON_H
#define ECHO_COMMON_H

#include <stdbool.h>


/* What makes one echo program differ from the other. */
struct lab_app_def {
	const char *name;
	/* false: one RX/TX queue and one mempool, polled by the main lcore (l2_echo);
	 * true: a queue and a mempool per lcore, flows spread by RSS or by the backend (l2_multi_echo). */
	bool queue_per_lcore;
};

/* The whole program: EAL, options, port, echo on every lcore until SIGINT/SIGTERM, counters, clean-up.
 * Returns the process exit status. */
int lab_main(const struct lab_app_def *def, int argc, char **argv);

#endif /* ECHO_COMMON_H */
