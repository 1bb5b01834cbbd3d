// SPDX-License-Identifier: MIT
/*
 * threads T N MS [getppid]: after 200 ms, start T threads, each doing N
 * rounds of a sleep of MS ms (and, with a 4th argument, one getppid per
 * round), then join them. Threads created while a tool runs: --ptrace
 * must follow them. Prints each thread's tid, one per line, at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

static int rounds, calls;
static double ms;

static void *worker(void *arg)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)((ms - (long)(ms / 1000) * 1000) * 1e6) };

	*(long *)arg = syscall(SYS_gettid);
	for (int i = 0; i < rounds; i++) {
		nanosleep(&ts, NULL);
		if (calls)
			syscall(SYS_getppid);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3;
	struct timespec start = { 0, 200000000 };
	pthread_t th[64];
	long tids[64];

	rounds = argc > 2 ? atoi(argv[2]) : 10;
	ms = argc > 3 ? atof(argv[3]) : 5;
	calls = argc > 4;
	if (n > 64)
		n = 64;
	nanosleep(&start, NULL);
	for (int i = 0; i < n; i++)
		pthread_create(&th[i], NULL, worker, &tids[i]);
	for (int i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (int i = 0; i < n; i++)
		printf("%ld\n", tids[i]);
	return 0;
}
