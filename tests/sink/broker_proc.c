// SPDX-License-Identifier: MIT
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "broker_proc.h"

int broker_start(struct broker *b, const char *path, const char *topic,
		 int partitions)
{
	int in[2], out[2];
	struct pollfd pfd;
	char parts[16];
	size_t n = 0;

	if (pipe(in) || pipe(out))
		return -errno;
	snprintf(parts, sizeof(parts), "%d", partitions);
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (!b->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, "-t", topic, "-p", parts, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	b->cmd = in[1];
	pfd = (struct pollfd){ .fd = out[0], .events = POLLIN };
	while (n < sizeof(b->addr) - 1 && poll(&pfd, 1, 10000) > 0) {
		if (read(out[0], b->addr + n, 1) != 1 || b->addr[n] == '\n')
			break;
		n++;
	}
	b->addr[n] = 0;
	close(out[0]);
	return n ? 0 : -EIO;
}

int broker_cmd(struct broker *b, const char *cmd)
{
	size_t len = strlen(cmd);

	return write(b->cmd, cmd, len) == (ssize_t)len ? 0 : -errno;
}

int broker_stop(struct broker *b)
{
	int status = -1;

	close(b->cmd);		/* stdin closed: it exits */
	waitpid(b->pid, &status, 0);
	return status;
}
