// SPDX-License-Identifier: MIT
/*
 * migrator N: move itself between CPU 0 and CPU 1 N times with
 * sched_setaffinity, starting on CPU 0 (run it there), running a little
 * on each: N migrations whose reason is the affinity change.
 */
#include <sched.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;
	volatile unsigned long x = 0;

	for (int i = 0; i < n; i++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(i % 2 ? 0 : 1, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return 1;
		for (int k = 0; k < 100000; k++)
			x += (unsigned long)k;
	}
	return (int)(x & 0);
}
