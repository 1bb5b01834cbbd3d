// SPDX-License-Identifier: MIT
/* spin MS: burn one CPU for MS milliseconds, then exit. */
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A named frame for profile's tests to find under main. */
__attribute__((noinline)) static unsigned long burn(double until)
{
	volatile unsigned long x = 0;

	while (now_ms() < until)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
	return x;
}

int main(int argc, char **argv)
{
	return (int)(burn(now_ms() + (argc > 1 ? atof(argv[1]) : 1000)) & 0);
}
