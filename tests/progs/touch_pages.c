// SPDX-License-Identifier: MIT
/*
 * touch_pages K [MS] [-v]: fault in K fresh anonymous pages, one write
 * each; all at once, or spread evenly over MS milliseconds (a steady rate,
 * which a sampler at a frequency can follow). -v prints the mapping's
 * address to stderr ("base=0x...") first.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 1000;
	long ms = 0;
	bool verbose = false;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *mem;
	struct timespec start, now;

	for (int i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "-v"))
			verbose = true;
		else
			ms = atol(argv[i]);
	}
	mem = mmap(NULL, (size_t)(k * page), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	if (verbose)
		fprintf(stderr, "base=%p\n", (void *)mem);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (long i = 0; i < k; i++) {
		mem[i * page] = 1;
		if (ms <= 0 || (i + 1) % 64)
			continue;
		/* Behind the schedule: go on; ahead: wait for it. */
		for (;;) {
			double elapsed;

			clock_gettime(CLOCK_MONOTONIC, &now);
			elapsed = (now.tv_sec - start.tv_sec) * 1e3 +
				  (now.tv_nsec - start.tv_nsec) / 1e6;
			if (elapsed >= (double)ms * (double)(i + 1) / (double)k)
				break;
			usleep(500);
		}
	}
	return 0;
}
