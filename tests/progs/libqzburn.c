// SPDX-License-Identifier: MIT
/* A library dlopen_burn loads at run time: its frames must resolve by name. */
#include <time.h>

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static unsigned long lib_burn_inner(double until)
{
	volatile unsigned long x = 0;

	while (cpu_ms() < until)
		for (int i = 0; i < 200000; i++)
			x += (unsigned long)i;
	return x;
}

/* Burn ms of CPU time under two named frames (the build hides symbols). */
__attribute__((noinline, visibility("default"))) unsigned long lib_burn_loop(double ms)
{
	return lib_burn_inner(cpu_ms() + ms) + 1;
}
