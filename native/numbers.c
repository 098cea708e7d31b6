/* SPDX-License-Identifier: MIT */
#include "numbers.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

int parse_u64(const char *text, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;

	errno = 0;
	*out = strtoull(text, &end, 10);
	return (errno || end == text || *end || *out < min || *out > max || text[0] == '-') ? -1 : 0;
}

int parse_double(const char *text, double min, double max, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(text, &end);
	return (errno || end == text || *end || !isfinite(*out) || *out <= min || *out > max) ? -1 : 0;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
