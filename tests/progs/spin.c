// SPDX-License-Identifier: MIT
/*
 * spin MS: burn MS milliseconds of CPU time, then exit. CPU time, not wall
 * time, so that a loaded machine makes it slower, never lighter.
 */
#include <stdlib.h>
#include <time.h>

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A named frame for profile's tests to find under main. */
__attribute__((noinline)) static unsigned long burn(double until)
{
	volatile unsigned long x = 0;

	while (cpu_ms() < until) /* a syscall: amortize it */
		for (int i = 0; i < 200000; i++)
			x += (unsigned long)i;
	return x;
}

int main(int argc, char **argv)
{
	return (int)(burn(cpu_ms() + (argc > 1 ? atof(argv[1]) : 1000)) & 0);
}
