// SPDX-License-Identifier: MIT
/*
 * The fd sink (stdout, pipes) and the file sink rotated by size. Each line
 * is one writev(2), no user-space buffer: a crash loses nothing written.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sink_internal.h"

struct fd_sink {
	struct qz_sink base;
	pthread_mutex_t mu;
	int fd;
	bool close_fd;
	bool may_sigpipe;	/* a pipe or socket */
	bool closed;
	/* The file sink only. */
	char *path;
	uint64_t size, max_bytes;
	unsigned int max_files, mode;
	uint64_t written, delivered, errors, rotations;
	int last_err;		/* logged once until it changes */
};

static bool is_pipe(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* writev all of iov; EINTR and short writes resumed. */
static int write_all(int fd, struct iovec *iov, int cnt)
{
	while (cnt) {
		ssize_t n = writev(fd, iov, cnt);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		while (cnt && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt) {
			iov->iov_base = (char *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

/* A closed pipe must give EPIPE, not kill the process with SIGPIPE. */
static int write_nosigpipe(int fd, struct iovec *iov, int cnt)
{
	sigset_t pipe_set, old, pending;
	struct timespec zero = { 0 };
	bool was_pending;
	int err;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	err = write_all(fd, iov, cnt);
	if (err == -EPIPE && !was_pending)
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return err;
}

static int open_file(struct fd_sink *s, bool truncate)
{
	struct stat st;
	int fd;

	fd = open(s->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC |
		  (truncate ? O_TRUNC : 0), s->mode);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	s->fd = fd;
	s->size = (uint64_t)st.st_size;
	return 0;
}

/* path.N-1 -> path.N, ..., path -> path.1, then a fresh path. */
static int rotate(struct fd_sink *s)
{
	size_t n = strlen(s->path) + 16;
	char *from = malloc(n), *to = malloc(n);
	int err = -ENOMEM;

	if (!from || !to)
		goto out;
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
	for (unsigned int i = s->max_files; i >= 1; i--) {
		if (i == 1)
			snprintf(from, n, "%s", s->path);
		else
			snprintf(from, n, "%s.%u", s->path, i - 1);
		snprintf(to, n, "%s.%u", s->path, i);
		if (rename(from, to) && errno != ENOENT) {
			err = -errno;
			qz_log(&s->base.log, QZ_LOG_ERROR, "file sink: rename %s %s: %s",
			       from, to, strerror(errno));
			goto out;
		}
	}
	err = open_file(s, true);
	if (!err)
		s->rotations++;
out:
	free(from);
	free(to);
	return err;
}

static int fd_write(struct qz_sink *sink, const char *line, size_t len,
		    const char *key)
{
	struct fd_sink *s = (struct fd_sink *)sink;
	bool nl = len && line[len - 1] == '\n';
	struct iovec iov[2] = { { (void *)line, len }, { (void *)"\n", 1 } };
	uint64_t need = len + !nl;
	int err = 0;

	(void)key;
	pthread_mutex_lock(&s->mu);
	if (s->closed) {
		err = -ESHUTDOWN;
		goto out;
	}
	s->written++;
	/* After a failed reopen, try again: the disk may have room now. */
	if (s->path && s->fd < 0)
		err = open_file(s, false);
	if (!err && s->path && s->max_bytes && s->size &&
	    s->size + need > s->max_bytes)
		err = rotate(s);
	if (!err)
		err = s->may_sigpipe ? write_nosigpipe(s->fd, iov, nl ? 1 : 2)
				     : write_all(s->fd, iov, nl ? 1 : 2);
	if (err) {
		s->errors++;
		if (err != s->last_err)
			qz_log(&sink->log, QZ_LOG_ERROR, "%s sink%s%s: write: %s",
			       sink->ops->type, s->path ? " " : "",
			       s->path ? s->path : "", qz_strerror(err));
		s->last_err = err;
		goto out;
	}
	s->last_err = 0;
	s->size += need;
	s->delivered++;
out:
	pthread_mutex_unlock(&s->mu);
	return err;
}

static int fd_flush(struct qz_sink *sink, int deadline_ms)
{
	struct fd_sink *s = (struct fd_sink *)sink;
	int err;

	(void)deadline_ms;
	/* Lines are written through; report the last failure, if any. */
	pthread_mutex_lock(&s->mu);
	err = s->last_err;
	pthread_mutex_unlock(&s->mu);
	return err;
}

static int fd_close(struct qz_sink *sink, int deadline_ms)
{
	struct fd_sink *s = (struct fd_sink *)sink;
	int err = 0;

	(void)deadline_ms;
	pthread_mutex_lock(&s->mu);
	if (!s->closed) {
		s->closed = true;
		if (s->fd >= 0 && (s->path || s->close_fd) && close(s->fd))
			err = -errno;
		s->fd = -1;
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

static void fd_stats(struct qz_sink *sink, struct qz_sink_stats *st)
{
	struct fd_sink *s = (struct fd_sink *)sink;

	pthread_mutex_lock(&s->mu);
	st->written = s->written;
	st->delivered = s->delivered;
	st->errors = s->errors;
	st->rotations = s->rotations;
	pthread_mutex_unlock(&s->mu);
}

static void fd_free(struct qz_sink *sink)
{
	struct fd_sink *s = (struct fd_sink *)sink;

	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}

static const struct qz_sink_ops fd_ops = {
	.type = "fd",
	.write = fd_write,
	.flush = fd_flush,
	.close = fd_close,
	.stats = fd_stats,
	.free = fd_free,
};

static const struct qz_sink_ops file_ops = {
	.type = "file",
	.write = fd_write,
	.flush = fd_flush,
	.close = fd_close,
	.stats = fd_stats,
	.free = fd_free,
};

static struct fd_sink *fd_sink_new(const struct qz_sink_ops *ops, qz_log_fn fn,
				   void *ctx)
{
	struct fd_sink *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->base.ops = ops;
	s->base.log.fn = fn;
	s->base.log.ctx = ctx;
	s->fd = -1;
	pthread_mutex_init(&s->mu, NULL);
	return s;
}

struct qz_sink *qz_sink__new_fd(int fd, const struct qz_sink_fd_opts *opts)
{
	struct fd_sink *s;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0) {
		errno = EBADF;
		return NULL;
	}
	s = fd_sink_new(&fd_ops, QZ_OPT(opts, log_fn, NULL),
			QZ_OPT(opts, log_ctx, NULL));
	if (!s)
		return NULL;
	s->fd = fd;
	s->close_fd = QZ_OPT(opts, close_fd, false);
	s->may_sigpipe = is_pipe(fd);
	return &s->base;
}

struct qz_sink *qz_sink__new_stdout(const struct qz_sink_fd_opts *opts)
{
	return qz_sink__new_fd(STDOUT_FILENO, opts);
}

struct qz_sink *qz_sink__new_file(const char *path,
					 const struct qz_sink_file_opts *opts)
{
	struct fd_sink *s;
	int err;

	if (!path || !*path) {
		errno = EINVAL;
		return NULL;
	}
	s = fd_sink_new(&file_ops, QZ_OPT(opts, log_fn, NULL),
			QZ_OPT(opts, log_ctx, NULL));
	if (!s)
		return NULL;
	s->max_bytes = QZ_OPT(opts, max_bytes, 0);
	s->max_files = QZ_OPT(opts, max_files, 0);
	s->mode = QZ_OPT(opts, mode, 0) ?: 0644;
	s->path = strdup(path);
	err = s->path ? open_file(s, false) : -ENOMEM;
	if (err) {
		qz_log(&s->base.log, QZ_LOG_ERROR, "file sink: open %s: %s", path,
		       qz_strerror(err));
		fd_free(&s->base);
		errno = -err;
		return NULL;
	}
	return &s->base;
}
