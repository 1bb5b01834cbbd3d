// SPDX-License-Identifier: MIT
/* writer N: N writes to /dev/null of 1, 2, ..., N bytes (for num-dist). */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	static char buf[1 << 16];
	int fd = open("/dev/null", O_WRONLY);

	if (fd < 0 || n > (long)sizeof(buf))
		return 1;
	for (long i = 1; i <= n; i++)
		if (write(fd, buf, (size_t)i) != i)
			return 1;
	return 0;
}
