// SPDX-License-Identifier: MIT
/*
 * The install test's load: `workload N` makes N getppid calls from
 * qz_install_loop, then stays a second so that its mappings can still be
 * read when the examples read its samples. Built -O0 with frame pointers:
 * the user stack of each call then holds qz_install_loop.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

/* The frame-pointer walk skips this one: syscall() keeps no frame. */
__attribute__((noinline)) void qz_install_call(void)
{
	syscall(SYS_getppid);
}

__attribute__((noinline)) void qz_install_loop(long n)
{
	for (long i = 0; i < n; i++)
		qz_install_call();
}

int main(int argc, char **argv)
{
	qz_install_loop(argc > 1 ? atol(argv[1]) : 1000);
	sleep(1);
	return 0;
}
