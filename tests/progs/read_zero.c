// SPDX-License-Identifier: MIT
/*
 * read_zero MS: a syscall-heavy loop, read(2) of /dev/zero in 64 KiB
 * pieces, for MS milliseconds of CPU time (not wall time: a loaded
 * machine makes it slower, never lighter). Nearly all of it is kernel
 * time, under read_chunk() in sys_heavy_loop().
 */
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static char buf[65536];

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

__attribute__((noinline)) static long read_chunk(int fd)
{
	long n = read(fd, buf, sizeof(buf));

	asm volatile("" ::: "memory");	/* not a tail call: keep this frame */
	return n;
}

__attribute__((noinline)) static long sys_heavy_loop(int fd, double until)
{
	long total = 0;

	while (cpu_ms() < until)
		for (int i = 0; i < 16; i++)
			total += read_chunk(fd);
	return total;
}

int main(int argc, char **argv)
{
	int fd = open("/dev/zero", O_RDONLY);

	if (fd < 0)
		return 1;
	return sys_heavy_loop(fd, cpu_ms() + (argc > 1 ? atof(argv[1]) : 2000)) > 0 ? 0 : 1;
}
