// SPDX-License-Identifier: MIT
/*
 * deep MS [DEPTH]: burn MS milliseconds of CPU time (0: until killed) at
 * the bottom of a stack DEPTH frames deep (default 20): what a profiler
 * walks and stores on every sample.
 */
#include <stdlib.h>
#include <time.h>

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static unsigned long burn(double until)
{
	volatile unsigned long x = 0;

	while (until <= 0 || cpu_ms() < until)
		for (int i = 0; i < 200000; i++)
			x += (unsigned long)i;
	return x;
}

__attribute__((noinline)) static unsigned long level(int depth, double until)
{
	unsigned long r = depth > 1 ? level(depth - 1, until) : burn(until);

	asm volatile("" ::: "memory");	/* not a tail call: keep the frame */
	return r + 1;
}

int main(int argc, char **argv)
{
	double ms = argc > 1 ? atof(argv[1]) : 0;
	int depth = argc > 2 ? atoi(argv[2]) : 20;

	return (int)(level(depth > 0 ? depth : 1, ms > 0 ? cpu_ms() + ms : 0) & 0);
}
