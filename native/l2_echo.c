/* SPDX-License-Identifier: MIT
 *
 * l2_echo: one port, one RX/TX queue, one mempool. Every frame goes back where it came from
 * with source and destination MAC swapped (the original program copied the source MAC back onto
 * itself, so nothing was swapped).
 */
#include "echo_common.h"

int main(int argc, char **argv)
{
	static const struct lab_app_def def = { .name = "l2_echo", .queue_per_lcore = false };

	return lab_main(&def, argc, argv);
}
