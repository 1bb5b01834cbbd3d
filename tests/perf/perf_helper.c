// SPDX-License-Identifier: MIT
/*
 * A small workload for the perf tests:
 *	perf-helper touch K	write to K fresh pages
 *	perf-helper call N	call qz_helper_target N times (for uprobes)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

__attribute__((noinline, used)) long qz_helper_target(long x)
{
	__asm__ volatile("" : "+r"(x));
	return x + 1;
}

int main(int argc, char **argv)
{
	long n;

	if (argc != 3)
		return 2;
	n = atol(argv[2]);
	if (!strcmp(argv[1], "touch")) {
		size_t page = (size_t)sysconf(_SC_PAGESIZE);
		volatile char *p = mmap(NULL, page * (size_t)n, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			return 1;
		for (long i = 0; i < n; i++)
			p[(size_t)i * page] = 1;
		return 0;
	}
	if (!strcmp(argv[1], "call")) {
		long sum = 0;

		for (long i = 0; i < n; i++)
			sum += qz_helper_target(i);
		return sum == n * (n + 1) / 2 ? 0 : 1;
	}
	return 2;
}
