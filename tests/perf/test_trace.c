// SPDX-License-Identifier: MIT
/*
 * Sampling on the real kernel: N getppid calls give exactly N samples
 * through the evlist's rings and ordered reader; two events share one ring
 * per CPU; kernel filters; a ring too small to keep up reports its losses;
 * task tracking records feed the task table.
 */
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <quazar/cpumap.h>
#include <quazar/event.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/tasks.h>
#include <quazar/threadmap.h>
#include "priv.h"

#define N 20000

struct seen {
	struct qz_evlist *el;
	struct qz_evsel *want[2];
	uint64_t n[2], other, bad_pid, disorder, no_time, lost_recs;
	uint64_t last_time;
	pid_t pid;
	struct qz_tasks *tasks;
};

static void on_record(const struct perf_event_header *rec, int ring, void *ctx)
{
	struct seen *s = ctx;
	QZ_OPTS(qz_sample, sample);
	struct qz_evsel *evsel;
	int err;

	(void)ring;
	if (s->tasks) {
		struct qz_sample_format f = qz_evlist__sample_format(s->el);

		qz_tasks__record(s->tasks, rec, &f);
	}
	if (rec->type == PERF_RECORD_LOST || rec->type == PERF_RECORD_LOST_SAMPLES)
		s->lost_recs++;
	if (rec->type != PERF_RECORD_SAMPLE)
		return;
	err = qz_evlist__parse_sample(s->el, rec, &sample, &evsel);
	if (err) {
		s->other++;
		return;
	}
	if (evsel == s->want[0])
		s->n[0]++;
	else if (evsel == s->want[1])
		s->n[1]++;
	else
		s->other++;
	if (!(sample.type & PERF_SAMPLE_TIME))
		s->no_time++;
	if (sample.time < s->last_time)
		s->disorder++;
	s->last_time = sample.time;
	if ((pid_t)sample.pid != s->pid || (pid_t)sample.tid != s->pid)
		s->bad_pid++;
}

static struct qz_evlist *self_evlist(const struct qz_evlist_opts *opts,
				     int nr_events)
{
	static const char *names[] = { "sys_enter_getppid", "sys_exit_getppid" };
	struct qz_evlist *el = qz_evlist__new(opts);
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_pids(&self, 1);
	int err = 0;

	for (int i = 0; i < nr_events && !err; i++)
		err = qz_evlist__add(el, tracepoint_evsel("syscalls", names[i]));
	if (!err)
		err = qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	if (!err)
		err = qz_evlist__open(el);
	if (!err)
		err = qz_evlist__mmap(el);
	if (err) {
		fprintf(stderr, "evlist setup: %s\n", qz_strerror(err));
		qz_evlist__free(el);
		return NULL;
	}
	return el;
}

static void calls(int n)
{
	for (int i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static void test_getppid_exact(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = self_evlist(&o, 1);
	struct seen s = { .el = el, .pid = getpid() };
	QZ_OPTS(qz_lost_stats, lost);
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(el);
	if (!el)
		return;
	s.want[0] = qz_evlist__evsel(el, 0);
	CHECK_EQ(qz_evlist__nr_rings(el), ncpus);
	for (int i = 0; i < qz_evlist__nr_rings(el); i++) {
		CHECK(qz_evlist__ring_fd(el, i) >= 0);
		CHECK(qz_evlist__ring(el, i) != NULL);
		CHECK_EQ(qz_evlist__ring_cpu(el, i), i);
		/* The default ring batches wakeups: 4 MiB, a quarter watermark. */
		CHECK_EQ(qz_ring__data_size(qz_evlist__ring(el, i)),
			 QZ_DEFAULT_RING_PAGES * (size_t)sysconf(_SC_PAGESIZE));
	}
	CHECK(qz_evsel__attr(s.want[0])->watermark);
	CHECK_EQ(qz_evsel__attr(s.want[0])->wakeup_watermark,
		 QZ_DEFAULT_RING_PAGES * sysconf(_SC_PAGESIZE) / 4);
	calls(100);	/* not enabled yet: not counted */
	CHECK_EQ(qz_evlist__enable(el), 0);
	calls(N);
	CHECK_EQ(qz_evlist__disable(el), 0);
	calls(100);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n[0], N);
	CHECK_EQ(s.other, 0);
	CHECK_EQ(s.bad_pid, 0);
	CHECK_EQ(s.disorder, 0);
	CHECK_EQ(s.no_time, 0);
	qz_evlist__lost(el, -1, &lost);
	CHECK_EQ(lost.lost + lost.lost_samples, 0);
	qz_evlist__free(el);
}

static void test_shared_ring(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = self_evlist(&o, 2);
	struct seen s = { .el = el, .pid = getpid() };
	struct qz_ordered *ord;
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(el);
	if (!el)
		return;
	s.want[0] = qz_evlist__evsel(el, 0);
	s.want[1] = qz_evlist__evsel(el, 1);
	/* Two events, still one ring per CPU. */
	CHECK_EQ(qz_evlist__nr_rings(el), ncpus);
	for (int i = 0; i < qz_evsel__nr_ids(s.want[0]); i++) {
		CHECK(qz_evlist__evsel_by_id(el, qz_evsel__id(s.want[0], i)) == s.want[0]);
		CHECK(qz_evlist__evsel_by_id(el, qz_evsel__id(s.want[1], i)) == s.want[1]);
	}
	CHECK(!qz_evlist__evsel_by_id(el, 0xdeadbeefull));
	CHECK_EQ(qz_evlist__enable(el), 0);
	calls(N);
	CHECK_EQ(qz_evlist__disable(el), 0);
	/* The caller's own ordered reader over the same rings. */
	ord = qz_evlist__new_ordered(el, NULL);
	CHECK(ord);
	qz_ordered__read(ord, QZ_ORDERED_ALL, on_record, &s);
	qz_ordered__free(ord);
	CHECK_EQ(s.n[0], N);
	CHECK_EQ(s.n[1], N);
	CHECK_EQ(s.other, 0);
	CHECK_EQ(s.bad_pid, 0);
	CHECK_EQ(s.disorder, 0);
	qz_evlist__free(el);
}

static void test_filter(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = self_evlist(&o, 1);
	struct seen s = { .el = el, .pid = getpid() };
	struct qz_evsel *e;
	char filter[64];

	CHECK(el);
	if (!el)
		return;
	e = qz_evlist__evsel(el, 0);
	s.want[0] = e;
	/* The kernel's own error comes back for a fallback to user space. */
	CHECK_EQ(qz_evsel__apply_filter(e, "no_such_field == 1"), -EINVAL);
	CHECK_EQ(qz_evsel__apply_filter(e, "common_pid == 1"), 0);
	qz_evlist__enable(el);
	calls(1000);
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n[0], 0);
	/* The kernel takes one filter per event. */
	CHECK_EQ(qz_evsel__apply_filter(e, "common_pid == 2"), -EEXIST);
	qz_evlist__free(el);

	el = self_evlist(&o, 1);
	e = qz_evlist__evsel(el, 0);
	s.el = el;
	s.want[0] = e;
	snprintf(filter, sizeof(filter), "common_pid == %d", (int)getpid());
	CHECK_EQ(qz_evsel__apply_filter(e, filter), 0);
	qz_evlist__enable(el);
	calls(1000);
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n[0], 1000);
	qz_evlist__free(el);

	/* A filter set before open that the kernel rejects fails the open. */
	el = qz_evlist__new(&o);
	e = tracepoint_evsel("syscalls", "sys_enter_getppid");
	qz_evsel__set_filter_str(e, "bogus_field > 3");
	qz_evlist__add(el, e);
	CHECK_EQ(qz_evlist__open(el), -EINVAL);
	CHECK_EQ(qz_evsel__fd(e, 0, 0), -1);
	qz_evlist__free(el);
}

static void test_filter_fallback(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log, .filter_fallback = true);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct qz_evsel *bad = tracepoint_evsel("syscalls", "sys_enter_getppid");
	struct qz_evsel *good = tracepoint_evsel("syscalls", "sys_exit_getppid");
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_pids(&self, 1);
	struct seen s = { .el = el, .pid = getpid() };

	qz_evsel__set_filter_str(bad, "no_such_field > 3");
	qz_evsel__set_filter_str(good, "ret == 12345");
	qz_evlist__add(el, bad);
	qz_evlist__add(el, good);
	qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evsel__filter_error(bad), -EINVAL);
	CHECK_EQ(qz_evsel__filter_error(good), 0);
	CHECK_EQ(qz_evlist__mmap(el), 0);
	s.want[0] = bad;
	s.want[1] = good;
	qz_evlist__enable(el);
	calls(100);
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n[0], 100);	/* unfiltered: the caller filters */
	CHECK_EQ(s.n[1], 0);	/* getppid never returns 12345 */
	qz_evlist__free(el);
}

static void test_per_thread_ring(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = qz_evlist__new(&o);
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_tids(&self, 1);
	struct qz_cpu_map *any = qz_cpu_map__new_any();
	struct seen s = { .el = el, .pid = getpid() };

	qz_evlist__add(el, tracepoint_evsel("syscalls", "sys_enter_getppid"));
	qz_evlist__add(el, tracepoint_evsel("syscalls", "sys_exit_getppid"));
	qz_evlist__set_maps(el, any, threads);
	qz_thread_map__put(threads);
	qz_cpu_map__put(any);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evlist__mmap(el), 0);
	CHECK_EQ(qz_evlist__nr_rings(el), 1);
	CHECK_EQ(qz_evlist__ring_cpu(el, 0), -1);
	s.want[0] = qz_evlist__evsel(el, 0);
	s.want[1] = qz_evlist__evsel(el, 1);
	qz_evlist__enable(el);
	calls(N);
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n[0], N);
	CHECK_EQ(s.n[1], N);
	CHECK_EQ(s.disorder, 0);
	qz_evlist__free(el);
}

static void test_lost(void)
{
	/* One data page, never read during the burst. */
	QZ_OPTS(qz_evlist_opts, o, .log = test_log, .ring_pages = 1);
	struct qz_evlist *el = self_evlist(&o, 1);
	struct seen s = { .el = el, .pid = getpid() };
	QZ_OPTS(qz_lost_stats, lost);
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t saved;

	CHECK(el);
	if (!el)
		return;
	sched_getaffinity(0, sizeof(saved), &saved);
	s.want[0] = qz_evlist__evsel(el, 0);
	qz_evlist__enable(el);
	calls(N);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	/* The LOST record is written once there is room again. */
	for (int cpu = 0; cpu < ncpus; cpu++) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		sched_setaffinity(0, sizeof(set), &set);
		calls(1);
	}
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	qz_evlist__lost(el, -1, &lost);
	fprintf(stderr, "  read %llu, lost %llu in %llu records\n",
		(unsigned long long)s.n[0], (unsigned long long)lost.lost,
		(unsigned long long)lost.records);
	CHECK(lost.lost > 0);
	CHECK(lost.records > 0);
	CHECK_EQ(lost.records, s.lost_recs);
	CHECK_EQ(s.n[0] + lost.lost, N + ncpus);
	{
		QZ_OPTS(qz_lost_stats, per);
		QZ_OPTS(qz_lost_stats, sum);

		for (int i = 0; i < qz_evlist__nr_rings(el); i++) {
			CHECK_EQ(qz_evlist__lost(el, i, &per), 0);
			sum.lost += per.lost;
		}
		CHECK_EQ(sum.lost, lost.lost);
	}
	qz_evlist__free(el);
	sched_setaffinity(0, sizeof(saved), &saved);
}

static void test_task_tracking(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = test_log, .track_tasks = true,
		.inherit = true);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct qz_tasks *tasks = qz_tasks__new(NULL);
	struct seen s = { .el = el, .tasks = tasks, .pid = -1 };
	pid_t self = getpid(), child;
	struct qz_thread_map *threads = qz_thread_map__new_pids(&self, 1);
	int status;

	qz_evlist__add(el, tracepoint_evsel("syscalls", "sys_enter_getppid"));
	qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evlist__mmap(el), 0);
	s.want[0] = qz_evlist__evsel(el, 0);
	qz_evlist__enable(el);
	child = fork();
	if (child == 0) {
		syscall(SYS_prctl, 15 /* PR_SET_NAME */, "qz-kid", 0, 0, 0);
		calls(10);
		_exit(0);
	}
	waitpid(child, &status, 0);
	qz_evlist__disable(el);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	/* inherit: the child's calls were seen. */
	CHECK_EQ(s.n[0], 10);
	/* FORK + COMM + EXIT made it into the table; the child is gone
	 * and still has its name. */
	CHECK_STR(qz_tasks__comm(tasks, child), "qz-kid");
	CHECK_EQ(qz_tasks__pid(tasks, child), child);
	qz_tasks__free(tasks);
	qz_evlist__free(el);
}

int main(void)
{
	int skip = priv_require();

	if (skip)
		return skip;
	RUN(test_getppid_exact);
	RUN(test_shared_ring);
	RUN(test_filter);
	RUN(test_filter_fallback);
	RUN(test_per_thread_ring);
	RUN(test_lost);
	RUN(test_task_tracking);
	return test_result();
}
