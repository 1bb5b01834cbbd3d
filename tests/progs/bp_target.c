// SPDX-License-Identifier: MIT
/*
 * bp_target N: write the global qz_bp_watched N times, then read it N
 * times, from qz_bp_writer() and qz_bp_reader(). Built without PIE, so
 * `nm` gives the variable's address before it runs (for breakpoints).
 */
#include <stdlib.h>

volatile long qz_bp_watched;
volatile long qz_bp_sink;

__attribute__((noinline)) void qz_bp_writer(long n)
{
	for (long i = 0; i < n; i++)
		qz_bp_watched = i;
}

__attribute__((noinline)) void qz_bp_reader(long n)
{
	for (long i = 0; i < n; i++)
		qz_bp_sink = qz_bp_watched;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;

	qz_bp_writer(n);
	qz_bp_reader(n);
	return 0;
}
