// SPDX-License-Identifier: MIT
/*
 * The kernel's own refusal, past the SDK's checks: a perf_event program set
 * on a tracepoint's evsel fails its open with -EINVAL and a message naming
 * the event and what it takes. And the SDK on an evlist: attached before
 * open, a counting event refused.
 */
#include <errno.h>
#include <bpf/libbpf.h>
#include <quazar/attr.h>
#include <quazar/bpf.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include "../test.h"

static char logged[4096];

static void log_fn(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged), "%s\n", msg);
}

static const char *object;

static void test_kernel_refuses(void)
{
	QZ_OPTS(qz_bpf_opts, opts, .log = log_fn);
	QZ_OPTS(qz_evsel_open_opts, oopts, .cgroup_fd = -1, .log = log_fn);
	struct qz_bpf *b = qz_bpf__open(object, &opts);
	struct perf_event_attr attr = { .size = sizeof(attr) };
	struct qz_evsel *e;
	struct bpf_program *p;
	struct qz_cpu_map *cpus = qz_cpu_map__new_online();

	CHECK(b);
	if (!b || !cpus)
		return;
	p = bpf_object__find_program_by_name(qz_bpf__object(b), "count_faults");
	CHECK(p);
	CHECK_EQ(qz_attr__tracepoint(&attr, "sched", "sched_switch", NULL), 0);
	attr.sample_period = 1;
	e = qz_evsel__new(&attr, "sched:sched_switch");
	CHECK_EQ(qz_evsel__set_bpf(e, bpf_program__fd(p)), 0);
	logged[0] = 0;
	CHECK_EQ(qz_evsel__open(e, cpus, NULL, &oopts), -EINVAL);
	CHECK(strstr(logged, "sched:sched_switch: cannot attach the BPF program"));
	CHECK(strstr(logged, "a tracepoint takes a SEC(\"tracepoint\") program"));
	qz_evsel__free(e);
	qz_cpu_map__put(cpus);
	qz_bpf__free(b);
}

static void test_sdk_attach(void)
{
	QZ_OPTS(qz_bpf_opts, opts, .log = log_fn);
	struct qz_bpf *b = qz_bpf__open(object, &opts);
	struct qz_evlist *el = qz_evlist__new(NULL);
	struct perf_event_attr attr = { .size = sizeof(attr) };

	CHECK(b && el);
	if (!b || !el)
		goto out;
	CHECK_EQ(qz_attr__named(&attr, "page-faults"), 0);
	attr.size = sizeof(attr);
	qz_evlist__add(el, qz_evsel__new(&attr, "page-faults"));
	logged[0] = 0;
	CHECK_EQ(qz_bpf__attach(b, el), -EINVAL);	/* it only counts */
	CHECK(strstr(logged, "page-faults only counts"));
	qz_evsel__attr(qz_evlist__evsel(el, 0))->sample_period = 1;
	CHECK_EQ(qz_bpf__attach(b, el), 0);
	CHECK_EQ(qz_evlist__open(el), 0);
	CHECK_EQ(qz_evlist__enable(el), 0);
	CHECK(qz_bpf__poll(b, 300) > 0);	/* the program writes a record per fault */
out:
	qz_evlist__free(el);
	qz_bpf__free(b);
}

int main(int argc, char **argv)
{
	if (geteuid()) {
		printf("skipped: needs root to load BPF programs\n");
		return TEST_SKIP;
	}
	object = argc > 1 ? argv[1] : "examples/bpf/faults.bpf.o";
	RUN(test_kernel_refuses);
	RUN(test_sdk_attach);
	return test_failures ? 1 : 0;
}
