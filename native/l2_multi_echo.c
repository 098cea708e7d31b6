/* SPDX-License-Identifier: MIT
 *
 * l2_multi_echo: share-nothing echo, one RX/TX queue and one mempool per lcore. The queue is the
 * lcore's index, not its id, so -l 1-4 serves queues 0-3. Flows are spread by device RSS where the
 * device offers it, otherwise by the backend (a multiqueue tap, af_packet fan-out).
 */
#include "echo_common.h"

int main(int argc, char **argv)
{
	static const struct lab_app_def def = { .name = "l2_multi_echo", .queue_per_lcore = true };

	return lab_main(&def, argc, argv);
}
