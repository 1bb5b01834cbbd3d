// SPDX-License-Identifier: MIT
/*
 * sleeper N MS [RUN_MS]: N rounds of (run RUN_MS, then sleep MS ms), so a
 * test knows the switch-out to switch-in latency and the phase lengths.
 */
#include <stdlib.h>
#include <time.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 100;
	double ms = argc > 2 ? atof(argv[2]) : 5;
	double run_ms = argc > 3 ? atof(argv[3]) : 0;
	struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (long)(ms / 1000) * 1000) * 1e6) };
	volatile unsigned long x = 0;

	for (int i = 0; i < n; i++) {
		double until = now_ms() + run_ms;

		while (now_ms() < until)
			x++;
		nanosleep(&ts, NULL);
	}
	return (int)(x & 0);
}
