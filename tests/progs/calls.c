// SPDX-License-Identifier: MIT
/*
 * calls N: N calls of qz_outer(), each calling qz_inner() twice (each
 * inner call sleeps ~50 us), for nested-trace; and N allocations through
 * qz_alloc_hook(ptr, size), N/2 of 64 bytes from qz_site_a() (all freed
 * through qz_free_hook(ptr)) and N/2 of 256 bytes from qz_site_b() (never
 * freed), for kmemprof. Each hook is a function a uprobe can stop on.
 */
#include <stdlib.h>
#include <time.h>

static void *volatile keep[1 << 16];

__attribute__((noinline)) void qz_alloc_hook(void *ptr, size_t size)
{
	__asm__ volatile("" : : "r"(ptr), "r"(size) : "memory");
}

__attribute__((noinline)) void qz_free_hook(void *ptr)
{
	__asm__ volatile("" : : "r"(ptr) : "memory");
}

__attribute__((noinline)) void *qz_site_a(void)
{
	void *p = malloc(64);

	qz_alloc_hook(p, 64);
	return p;
}

__attribute__((noinline)) void *qz_site_b(void)
{
	void *p = malloc(256);

	qz_alloc_hook(p, 256);
	return p;
}

__attribute__((noinline)) void qz_inner(void)
{
	struct timespec ts = { 0, 50000 };

	nanosleep(&ts, NULL);
}

__attribute__((noinline)) void qz_outer(void)
{
	qz_inner();
	qz_inner();
	__asm__ volatile("" ::: "memory");
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;

	if (n > (long)(sizeof(keep) / sizeof(keep[0])))
		return 1;
	for (long i = 0; i < n; i++)
		qz_outer();
	for (long i = 0; i < n; i++) {
		void *p = i % 2 ? qz_site_b() : qz_site_a();

		if (i % 2) {
			keep[i] = p;
		} else {
			qz_free_hook(p);
			free(p);
		}
	}
	return 0;
}
