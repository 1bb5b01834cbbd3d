// SPDX-License-Identifier: MIT
/*
 * Counting on the real kernel: page faults of a workload that touches K
 * pages (through a shell, so inherit must follow the fork), a group of two
 * software counters read with the group format, workload exec failures.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <quazar/attr.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/threadmap.h>
#include <quazar/workload.h>
#include "priv.h"

#define K 2000

static const char *helper;

static void test_workload_page_faults(void)
{
	char cmd[1024];
	char *argv[] = { "sh", "-c", cmd, NULL };
	QZ_OPTS(qz_evlist_opts, o, .log = test_log, .inherit = true);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct qz_workload *wl;
	struct qz_thread_map *threads;
	struct qz_cpu_map *any = qz_cpu_map__new_any();
	QZ_OPTS(qz_counts, c);
	pid_t pid;
	int status = -1;

	/* "; true" keeps sh from exec'ing the helper in place: a real fork. */
	snprintf(cmd, sizeof(cmd), "%s touch %d; true", helper, K);
	wl = qz_workload__prepare(argv);
	CHECK(wl);
	if (!wl)
		return;
	pid = qz_workload__pid(wl);
	threads = qz_thread_map__new_tids(&pid, 1);
	qz_evlist__add(el, named_evsel("page-faults"));
	/* Counting a task: any CPU, so enabled and running times agree. */
	qz_evlist__set_maps(el, any, threads);
	qz_thread_map__put(threads);
	qz_cpu_map__put(any);
	CHECK_EQ(qz_evlist__open(el), 0);
	/* Counting only: nothing to map. */
	CHECK_EQ(qz_evlist__mmap(el), 0);
	CHECK_EQ(qz_evlist__nr_rings(el), 0);
	CHECK_EQ(qz_evlist__enable(el), 0);
	CHECK_EQ(qz_workload__start(wl), 0);
	CHECK_EQ(qz_workload__wait(wl, false, &status), 1);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(qz_evsel__read_total(qz_evlist__evsel(el, 0), &c), 0);
	fprintf(stderr, "  %llu page faults for %d pages (%.0f%% running)\n",
		(unsigned long long)c.val, K, c.running_pct);
	CHECK(c.val >= K);
	CHECK((long long)c.scaled == (long long)c.val);
	CHECK_EQ((long long)c.running_pct, 100);
	CHECK(!c.not_counted);
	qz_workload__free(wl);
	qz_evlist__free(el);
}

static void test_workload_exec_failure(void)
{
	char *argv[] = { "/nonexistent/quazar-no-such-cmd", NULL };
	char noexec[] = "/tmp/qz-noexec-XXXXXX";
	char *argv2[] = { noexec, NULL };
	struct qz_workload *wl = qz_workload__prepare(argv);
	int status = 0, fd = mkstemp(noexec);

	CHECK(fd >= 0);
	close(fd);	/* mode 0600: not executable, even for root */

	CHECK(wl);
	CHECK_EQ(qz_workload__start(wl), -ENOENT);
	CHECK_EQ(qz_workload__wait(wl, false, &status), 1);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 127);
	CHECK_EQ(qz_workload__start(wl), -EBUSY);
	qz_workload__free(wl);

	wl = qz_workload__prepare(argv2);
	CHECK_EQ(qz_workload__start(wl), -EACCES);
	qz_workload__free(wl);
	unlink(noexec);

	/* Never started: freeing lets the child go without exec'ing. */
	wl = qz_workload__prepare(argv);
	qz_workload__free(wl);
	qz_workload__free(NULL);
}

static void test_group(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct qz_evsel *leader = named_evsel("page-faults");
	struct qz_evsel *member = named_evsel("minor-faults");
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_tids(&self, 1);
	struct qz_cpu_map *any = qz_cpu_map__new_any();
	QZ_OPTS(qz_counts, a);
	QZ_OPTS(qz_counts, b);
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	volatile char *p;

	CHECK_EQ(qz_evsel__set_leader(member, leader), 0);
	CHECK(qz_evsel__leader(member) == leader);
	qz_evlist__add(el, leader);
	qz_evlist__add(el, member);
	qz_evlist__set_maps(el, any, threads);
	qz_thread_map__put(threads);
	qz_cpu_map__put(any);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK(qz_evsel__attr(leader)->read_format & PERF_FORMAT_GROUP);
	CHECK(qz_evsel__attr(leader)->disabled);
	CHECK(!qz_evsel__attr(member)->disabled);
	/* No sampling event: no ring. */
	CHECK_EQ(qz_evlist__mmap(el), 0);
	CHECK_EQ(qz_evlist__nr_rings(el), 0);

	p = mmap(NULL, page * K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK_EQ(qz_evlist__enable(el), 0);
	for (size_t i = 0; i < K; i++)
		p[i * page] = 1;
	CHECK_EQ(qz_evlist__disable(el), 0);
	munmap((void *)p, page * K);

	CHECK_EQ(qz_evsel__read(leader, 0, 0, &a), 0);
	CHECK_EQ(qz_evsel__read(member, 0, 0, &b), 0);
	fprintf(stderr, "  group: %llu faults, %llu minor\n",
		(unsigned long long)a.val, (unsigned long long)b.val);
	CHECK(a.val >= K && a.val < K + 500);
	CHECK(b.val >= K && b.val <= a.val);
	/* One group read: same times, ids of each member. */
	CHECK_EQ(a.ena, b.ena);
	CHECK_EQ(a.run, b.run);
	CHECK_EQ(a.id, qz_evsel__id(leader, 0));
	CHECK_EQ(b.id, qz_evsel__id(member, 0));
	CHECK_EQ((long long)a.running_pct, 100);
	qz_evlist__free(el);
}

static void test_open_failure_closes(void)
{
	char logged[512] = "";
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct perf_event_attr bad = { .type = PERF_TYPE_SOFTWARE,
				       .config = 0xfffff };
	struct qz_evsel *good = named_evsel("cpu-clock");
	pid_t dead = 0x3ffffff0;
	struct qz_thread_map *threads = qz_thread_map__new_tids(&dead, 1);

	(void)logged;
	qz_evlist__add(el, good);
	qz_evlist__add(el, qz_evsel__new(&bad, "bogus-sw"));
	CHECK(qz_evlist__open(el) < 0);
	/* The first event's fds were closed again. */
	CHECK_EQ(qz_evsel__fd(good, 0, 0), -1);
	CHECK_EQ(qz_evsel__nr_ids(good), 0);
	qz_evlist__free(el);

	/* A thread that does not exist. */
	el = qz_evlist__new(&o);
	qz_evlist__add(el, named_evsel("cpu-clock"));
	qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	CHECK_EQ(qz_evlist__open(el), -ESRCH);
	qz_evlist__free(el);
}

int main(int argc, char **argv)
{
	int skip = priv_require();

	if (skip)
		return skip;
	if (argc < 2) {
		fprintf(stderr, "usage: test-perf-count PERF_HELPER\n");
		return 1;
	}
	helper = argv[1];
	RUN(test_workload_page_faults);
	RUN(test_workload_exec_failure);
	RUN(test_group);
	RUN(test_open_failure_closes);
	return test_result();
}
