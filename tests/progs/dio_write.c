// SPDX-License-Identifier: MIT
/*
 * dio_write PATH N: N writes of 4 KiB with O_DIRECT|O_SYNC, each at its
 * own offset 64 KiB apart (so none merges with another), for blktrace.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 10;
	void *buf;
	int fd;

	if (argc < 2 || posix_memalign(&buf, 4096, 4096))
		return 2;
	memset(buf, 0x5a, 4096);
	fd = open(argv[1], O_WRONLY | O_DIRECT | O_SYNC);
	if (fd < 0)
		return 1;
	for (long i = 0; i < n; i++)
		if (pwrite(fd, buf, 4096, (off_t)i * 65536) != 4096)
			return 1;
	return close(fd) ? 1 : 0;
}
