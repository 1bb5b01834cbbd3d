// SPDX-License-Identifier: MIT
/* touch_pages K: fault in K fresh anonymous pages, one write each. */
#include <stdlib.h>
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
	for (long i = 0; i < k; i++)
		mem[i * page] = 1;
	return 0;
}
