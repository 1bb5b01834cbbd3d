// SPDX-License-Identifier: MIT
/*
 * touch_pages K [-v]: fault in K fresh anonymous pages, one write each;
 * -v prints the mapping's address to stderr ("base=0x...") first.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
	long k = argc > 1 ? atol(argv[1]) : 1000;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *mem = mmap(NULL, (size_t)(k * page), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		return 1;
	if (argc > 2 && !strcmp(argv[2], "-v"))
		fprintf(stderr, "base=%p\n", (void *)mem);
	for (long i = 0; i < k; i++)
		mem[i * page] = 1;
	return 0;
}
