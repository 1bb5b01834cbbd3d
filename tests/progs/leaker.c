// SPDX-License-Identifier: MIT
/*
 * leaker K S: leak exactly K blocks of S bytes from leak_here(); everything
 * else it allocates is freed. Waits for a byte on stdin (or 300 ms) before
 * starting, so probes can be attached first, and again before exiting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <unistd.h>

static void *volatile keep[100000];

__attribute__((noinline)) void *leak_here(size_t size)
{
	void *p = malloc(size);

	memset(p, 1, size);
	return p;
}

__attribute__((noinline)) static void churn(void)
{
	for (int i = 0; i < 1000; i++) {
		void *p = malloc(64 + (size_t)i);

		memset(p, 2, 64);
		/* Opaque use: the compiler may not elide the malloc/free pair. */
		__asm__ volatile("" : : "r"(p) : "memory");
		free(p);
	}
}

static void pause_briefly(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };
	char c;

	if (poll(&p, 1, 300) == 1)
		(void)!read(0, &c, 1);
}

int main(int argc, char **argv)
{
	int k = argc > 1 ? atoi(argv[1]) : 10;
	size_t s = argc > 2 ? (size_t)atol(argv[2]) : 4096;

	pause_briefly();
	churn();
	for (int i = 0; i < k && i < 100000; i++)
		keep[i] = leak_here(s);
	churn();
	pause_briefly();
	return 0;
}
