/* SPDX-License-Identifier: MIT */
/*
 * A fake /proc tree for the kvm tests: PID/fd/N symlinks whose targets
 * are what the kernel's would read ("anon_inode:kvm-vm"), and PID/comm,
 * cmdline, stat and status files with the fields quazar reads.
 */
#ifndef QUAZAR_TEST_FAKEPROC_H
#define QUAZAR_TEST_FAKEPROC_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fakeproc {
	char root[64];
};

static inline int fp_init(struct fakeproc *fp)
{
	snprintf(fp->root, sizeof(fp->root), "/tmp/qz-fakeproc-XXXXXX");
	return mkdtemp(fp->root) ? 0 : -1;
}

static inline void fp_write(struct fakeproc *fp, int pid, const char *file,
			    const char *data, size_t len)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/%s", fp->root, pid, file);
	f = fopen(path, "w");
	if (!f)
		return;
	fwrite(data, 1, len, f);
	fclose(f);
}

/* A process: argv (NULL-ended) as its cmdline, started start_ticks after boot. */
static inline void fp_proc(struct fakeproc *fp, int pid, const char *comm,
			   const char *const *argv, unsigned long long start_ticks)
{
	char path[256], buf[4096];
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%d", fp->root, pid);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/%d/fd", fp->root, pid);
	mkdir(path, 0755);
	n = (size_t)snprintf(buf, sizeof(buf), "%s\n", comm);
	fp_write(fp, pid, "comm", buf, n);
	n = 0;
	for (int i = 0; argv && argv[i]; i++) {
		size_t len = strlen(argv[i]) + 1;

		memcpy(buf + n, argv[i], len);
		n += len;
	}
	fp_write(fp, pid, "cmdline", buf, n);
	n = (size_t)snprintf(buf, sizeof(buf),
			     "%d (%s) S 1 1 1 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 %llu 1000000 100\n",
			     pid, comm, start_ticks);
	fp_write(fp, pid, "stat", buf, n);
	n = (size_t)snprintf(buf, sizeof(buf), "Name:\t%s\nUmask:\t0022\nState:\tS\nTgid:\t%d\n",
			     comm, pid);
	fp_write(fp, pid, "status", buf, n);
}

/* fd N of pid links to target ("anon_inode:kvm-vm", "/dev/null", ...). */
static inline void fp_fd(struct fakeproc *fp, int pid, int fd, const char *target)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", fp->root, pid, fd);
	unlink(path);
	if (symlink(target, path))
		perror(path);
}

static inline void fp_close(struct fakeproc *fp, int pid, int fd)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d/fd/%d", fp->root, pid, fd);
	unlink(path);
}

static inline void fp_rm(const char *path)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", path);
}

/* The process exits: its directory goes. */
static inline void fp_exit(struct fakeproc *fp, int pid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%d", fp->root, pid);
	fp_rm(path);
}

static inline void fp_free(struct fakeproc *fp)
{
	fp_rm(fp->root);
}

#endif
