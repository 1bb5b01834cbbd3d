// SPDX-License-Identifier: MIT
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include "bench.h"
#include "proc.h"

int child_start(struct child *c, char *const argv[], const char *out_path)
{
	int pipefd[2] = { -1, -1 };

	memset(c, 0, sizeof(*c));
	c->out_fd = -1;
	if (!out_path && pipe(pipefd))
		return -errno;
	c->started = bench_now();
	c->pid = fork();
	if (c->pid < 0)
		return -errno;
	if (c->pid == 0) {
		int fd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644)
				  : pipefd[1];

		/* Peers must see SIGINT: a non-interactive shell may ignore it. */
		signal(SIGINT, SIG_DFL);
		dup2(fd, 1);
		if (!out_path) {
			dup2(fd, 2);
			close(pipefd[0]);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "exec %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	if (!out_path) {
		close(pipefd[1]);
		c->out_fd = pipefd[0];
	}
	return 0;
}

bool child_wait_for(struct child *c, const char *needle, double timeout_s)
{
	char buf[8192];
	size_t len = 0;
	double end = bench_now() + timeout_s;

	while (bench_now() < end) {
		struct pollfd p = { .fd = c->out_fd, .events = POLLIN };
		ssize_t n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		n = read(c->out_fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = 0;
		if (strstr(buf, needle))
			return true;
		if (len > sizeof(buf) / 2) {
			memmove(buf, buf + len / 2, len - len / 2);
			len -= len / 2;
		}
	}
	return false;
}

int child_stop(struct child *c, int sig)
{
	struct rusage ru;

	if (sig)
		kill(c->pid, sig);
	if (c->out_fd >= 0) {
		/* Drain what it prints so it never blocks; keep the end. */
		char buf[4096];
		ssize_t n;
		size_t len = 0;

		while ((n = read(c->out_fd, buf, sizeof(buf))) > 0) {
			if ((size_t)n + len >= sizeof(c->tail))
				len = 0;
			memcpy(c->tail + len, buf, (size_t)n);
			len += (size_t)n;
		}
		c->tail[len < sizeof(c->tail) ? len : sizeof(c->tail) - 1] = 0;
		close(c->out_fd);
		c->out_fd = -1;
	}
	if (wait4(c->pid, &c->status, 0, &ru) < 0)
		return -errno;
	c->wall_s = bench_now() - c->started;
	c->cpu_s = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
		   ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	return 0;
}

double run_measured(char *const argv[], double *wall_s)
{
	struct child c;

	if (child_start(&c, argv, "/dev/null") || child_stop(&c, 0))
		return -1;
	if (wall_s)
		*wall_s = c.wall_s;
	return c.cpu_s;
}

double proc_tasks_cpu_ns(pid_t pid)
{
	char dir[64], path[512];
	double sum = 0;
	struct dirent *de;
	DIR *d;

	snprintf(dir, sizeof(dir), "/proc/%d/task", (int)pid);
	d = opendir(dir);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		unsigned long long ns;
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/schedstat", dir, de->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			sum += (double)ns;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}
