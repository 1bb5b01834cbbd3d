// SPDX-License-Identifier: MIT
/*
 * sysloop N M: N getppid calls, which succeed, then M close(-1) calls,
 * which fail with EBADF: for counting syscall latency and errors.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 1000;
	long m = argc > 2 ? atol(argv[2]) : 100;

	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	for (long i = 0; i < m; i++)
		syscall(SYS_close, -1);
	return 0;
}
