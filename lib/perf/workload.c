// SPDX-License-Identifier: MIT
/*
 * A workload: forked now, held on a pipe until started, so events opened on
 * its pid are enabled before its exec. A second, close-on-exec pipe tells
 * the parent whether exec worked: EOF means it did, an errno that it failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "perf_internal.h"

struct qz_workload {
	pid_t pid;
	int go_fd; /* write end: one byte starts the child */
	int err_fd; /* read end: errno of a failed exec, or EOF */
	bool started, reaped;
	int status;
};

static ssize_t full_read(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = read(fd, buf, len);
	while (n < 0 && errno == EINTR);
	return n;
}

QZ_API struct qz_workload *qz_workload__prepare(char *const argv[])
{
	int go[2] = {-1, -1}, err[2] = {-1, -1};
	struct qz_workload *wl;
	int e;

	if (!argv || !argv[0]) {
		errno = EINVAL;
		return NULL;
	}
	wl = calloc(1, sizeof(*wl));
	if (!wl)
		return NULL;
	if (pipe2(go, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		goto fail;
	wl->pid = fork();
	if (wl->pid < 0)
		goto fail;
	if (wl->pid == 0) {
		char c;
		int code;

		close(go[1]);
		close(err[0]);
		/* EOF instead of a byte: the parent gave up. */
		if (full_read(go[0], &c, 1) != 1)
			_exit(127);
		signal(SIGPIPE, SIG_DFL);	/* ours is ignored; exec keeps that */
		execvp(argv[0], argv);
		code = errno;
		if (write(err[1], &code, sizeof(code)) < 0)
			_exit(127);
		_exit(127);
	}
	close(go[0]);
	close(err[1]);
	wl->go_fd = go[1];
	wl->err_fd = err[0];
	return wl;
fail:
	e = errno;
	for (int i = 0; i < 2; i++) {
		if (go[i] >= 0)
			close(go[i]);
		if (err[i] >= 0)
			close(err[i]);
	}
	free(wl);
	errno = e;
	return NULL;
}

QZ_API pid_t qz_workload__pid(const struct qz_workload *wl)
{
	return wl->pid;
}

QZ_API int qz_workload__start(struct qz_workload *wl)
{
	char c = 1;
	int code = 0;
	ssize_t n;

	if (wl->started)
		return -EBUSY;
	wl->started = true;
	if (write(wl->go_fd, &c, 1) != 1)
		return -errno;
	close(wl->go_fd);
	wl->go_fd = -1;
	n = full_read(wl->err_fd, &code, sizeof(code));
	close(wl->err_fd);
	wl->err_fd = -1;
	if (n == (ssize_t)sizeof(code))
		return -(code ?: ENOEXEC);
	return 0;
}

QZ_API int qz_workload__wait(struct qz_workload *wl, bool nohang, int *status)
{
	pid_t r;

	if (!wl->reaped) {
		do
			r = waitpid(wl->pid, &wl->status, nohang ? WNOHANG : 0);
		while (r < 0 && errno == EINTR);
		if (r < 0)
			return -errno;
		if (r == 0)
			return 0;
		wl->reaped = true;
	}
	if (status)
		*status = wl->status;
	return 1;
}

QZ_API void qz_workload__free(struct qz_workload *wl)
{
	if (!wl)
		return;
	if (wl->go_fd >= 0)
		close(wl->go_fd); /* an unstarted child exits on EOF */
	if (wl->err_fd >= 0)
		close(wl->err_fd);
	if (!wl->reaped) {
		if (wl->started)
			kill(wl->pid, SIGKILL);
		while (waitpid(wl->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	free(wl);
}
