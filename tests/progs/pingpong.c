// SPDX-License-Identifier: MIT
/*
 * pingpong ROUNDS: two processes pass a byte back and forth through pipes,
 * a scheduler wakeup/switch storm on both CPUs.
 */
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 100000;
	int ping[2], pong[2];
	char c = 0;

	if (pipe(ping) || pipe(pong))
		return 1;
	if (fork() == 0) {
		for (long i = 0; i < rounds; i++) {
			if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	for (long i = 0; i < rounds; i++) {
		if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
			return 1;
	}
	wait(NULL);
	return 0;
}
