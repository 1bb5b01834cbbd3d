// SPDX-License-Identifier: MIT
/*
 * cgroup scoping: a child moved into a fresh cgroup makes N getppid calls
 * while the test itself makes others; counting sys_enter_getppid for the
 * cgroup on every CPU sees exactly the child's N.
 */
#include <fcntl.h>
#include <mntent.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include "priv.h"

#define N 3000

static int cgroup2_mount(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "r");
	struct mntent *m;
	int found = 0;

	while (f && (m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			found = 1;
			break;
		}
	}
	if (f)
		endmntent(f);
	return found;
}

static int run(void)
{
	char mnt[256], dir[512], procs[600], rel[64], buf[32];
	int go[2], ready[2], status, fd;
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el;
	struct qz_evsel *e;
	QZ_OPTS(qz_counts, c);
	pid_t child;
	char byte = 0;

	if (!cgroup2_mount(mnt, sizeof(mnt)))
		return test_skip("cgroup v2 is not mounted");
	snprintf(rel, sizeof(rel), "quazar-test-%d", (int)getpid());
	snprintf(dir, sizeof(dir), "%s/%s", mnt, rel);
	if (mkdir(dir, 0755)) {
		fprintf(stderr, "mkdir %s: %s\n", dir, strerror(errno));
		return test_skip("cannot create a cgroup");
	}
	if (pipe(go) || pipe(ready))
		return 1;
	child = fork();
	if (child == 0) {
		close(go[1]);
		if (read(go[0], &byte, 1) != 1)
			_exit(2);
		for (int i = 0; i < N; i++)
			syscall(SYS_getppid);
		_exit(0);
	}
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY);
	snprintf(buf, sizeof(buf), "%d", (int)child);
	CHECK(fd >= 0 && write(fd, buf, strlen(buf)) > 0);
	if (fd >= 0)
		close(fd);

	el = qz_evlist__new(&o);
	e = tracepoint_evsel("syscalls", "sys_enter_getppid");
	qz_evsel__attr(e)->sample_period = 0;	/* count only */
	qz_evlist__add(el, e);
	/* Relative to the cgroup mount that has perf_event. */
	CHECK_EQ(qz_evlist__set_cgroup(el, rel), 0);
	CHECK_EQ(qz_evlist__set_cgroup(el, "no-such-cgroup-here"), -ENOENT);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evsel__nr_ids(e), sysconf(_SC_NPROCESSORS_ONLN));
	CHECK_EQ(qz_evlist__enable(el), 0);
	for (int i = 0; i < 500; i++)
		syscall(SYS_getppid);	/* not in the cgroup */
	CHECK_EQ(write(go[1], &byte, 1), 1);
	waitpid(child, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(qz_evlist__disable(el), 0);
	CHECK_EQ(qz_evsel__read_total(e, &c), 0);
	fprintf(stderr, "  cgroup counted %llu of the child's %d\n",
		(unsigned long long)c.val, N);
	CHECK_EQ(c.val, N);
	qz_evlist__free(el);
	if (rmdir(dir))
		fprintf(stderr, "rmdir %s: %s\n", dir, strerror(errno));
	close(go[0]);
	close(go[1]);
	close(ready[0]);
	close(ready[1]);
	return test_result();
}

int main(void)
{
	int skip = priv_require();

	if (skip)
		return skip;
	return run();
}
