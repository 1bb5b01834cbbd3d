// SPDX-License-Identifier: MIT
/*
 * uprobes and uretprobes on qz_helper_target in perf-helper: calling it N
 * times gives N entry and N return samples, sharing one ring per CPU.
 */
#include <sys/wait.h>
#include <quazar/event.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/threadmap.h>
#include <quazar/workload.h>
#include "priv.h"

#define N 5000

static const char *helper;

struct seen {
	struct qz_evlist *el;
	struct qz_evsel *entry, *ret;
	uint64_t n_entry, n_ret, other, bad_pid;
	pid_t pid;
};

static void on_record(const struct perf_event_header *rec, int ring, void *ctx)
{
	struct seen *s = ctx;
	QZ_OPTS(qz_sample, sample);
	struct qz_evsel *e;

	(void)ring;
	if (rec->type != PERF_RECORD_SAMPLE)
		return;
	if (qz_evlist__parse_sample(s->el, rec, &sample, &e)) {
		s->other++;
		return;
	}
	s->n_entry += e == s->entry;
	s->n_ret += e == s->ret;
	s->other += e != s->entry && e != s->ret;
	s->bad_pid += (pid_t)sample.pid != s->pid;
}

static struct qz_evsel *probe(enum qz_spec_kind kind)
{
	char text[] = "uprobe";
	struct qz_event_spec spec = { .kind = kind, .path = (char *)helper,
				      .name = "qz_helper_target", .text = text };
	QZ_OPTS(qz_attr_opts, o, .log = test_log);

	return qz_evsel__new_from_spec(&spec, &o);
}

static void test_uprobe_counts(void)
{
	char n[16];
	char *argv[] = { (char *)helper, "call", n, NULL };
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct seen s = { .el = el };
	struct qz_workload *wl;
	struct qz_thread_map *threads;
	int status = -1;
	pid_t pid;

	snprintf(n, sizeof(n), "%d", N);
	s.entry = probe(QZ_SPEC_UPROBE);
	s.ret = probe(QZ_SPEC_URETPROBE);
	CHECK(s.entry && s.ret);
	if (!s.entry || !s.ret)
		return;
	CHECK(qz_evsel__attr(s.ret)->config & 1);	/* retprobe bit */
	CHECK(!(qz_evsel__attr(s.entry)->config & 1));
	CHECK(qz_evsel__attr(s.entry)->config2 > 0);
	qz_evlist__add(el, s.entry);
	qz_evlist__add(el, s.ret);

	wl = qz_workload__prepare(argv);
	CHECK(wl);
	pid = qz_workload__pid(wl);
	s.pid = pid;
	threads = qz_thread_map__new_tids(&pid, 1);
	qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evlist__mmap(el), 0);
	CHECK_EQ(qz_evlist__nr_rings(el), sysconf(_SC_NPROCESSORS_ONLN));
	CHECK_EQ(qz_evlist__enable(el), 0);
	CHECK_EQ(qz_workload__start(wl), 0);
	CHECK_EQ(qz_workload__wait(wl, false, &status), 1);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, &s);
	CHECK_EQ(s.n_entry, N);
	CHECK_EQ(s.n_ret, N);
	CHECK_EQ(s.other, 0);
	CHECK_EQ(s.bad_pid, 0);
	qz_workload__free(wl);
	qz_evlist__free(el);
}

int main(int argc, char **argv)
{
	int skip = priv_require();

	if (skip)
		return skip;
	if (argc < 2) {
		fprintf(stderr, "usage: test-perf-uprobe PERF_HELPER\n");
		return 1;
	}
	if (access("/sys/bus/event_source/devices/uprobe/type", R_OK))
		return test_skip("no uprobe PMU on this kernel");
	helper = argv[1];
	RUN(test_uprobe_counts);
	return test_result();
}
