/* SPDX-License-Identifier: MIT
 *
 * What lab's plain-C tools (l2probe, l2impair) share: strict parsing of the numbers on their
 * command lines, and the clock they pace by.
 */
#ifndef LAB_NUMBERS_H
#define LAB_NUMBERS_H

#include <stdint.h>

/* A plain decimal integer in [min, max]: no sign, no suffix, nothing after it. */
int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out);

/* A plain finite number in (min, max]. */
int parse_double(const char *text, double min, double max, double *out);

/* CLOCK_MONOTONIC in nanoseconds: pacing and deadlines, never jumps. */
uint64_t now_ns(void);

#endif
