// SPDX-License-Identifier: MIT
/*
 * Hardware counters: instructions and cycles of a known loop. Machines
 * without a hardware PMU skip, with the reason the library gives.
 */
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/threadmap.h>
#include "priv.h"

static char logged[512];

static void log_fn(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", msg);
}

int main(void)
{
	QZ_OPTS(qz_evlist_opts, o, .log = log_fn);
	struct qz_evlist *el;
	struct qz_evsel *insns, *cycles;
	struct qz_cpu_map *any;
	struct qz_thread_map *self;
	struct qz_event_spec spec = { .kind = QZ_SPEC_HARDWARE };
	QZ_OPTS(qz_counts, c);
	pid_t pid = getpid();
	volatile unsigned long sum = 0;
	int err, skip = priv_require();

	if (skip)
		return skip;
	el = qz_evlist__new(&o);
	spec.name = "instructions";
	insns = qz_evsel__new_from_spec(&spec, NULL);
	spec.name = "cycles";
	cycles = qz_evsel__new_from_spec(&spec, NULL);
	qz_evlist__add(el, insns);
	qz_evlist__add(el, cycles);
	any = qz_cpu_map__new_any();
	self = qz_thread_map__new_tids(&pid, 1);
	qz_evlist__set_maps(el, any, self);
	qz_cpu_map__put(any);
	qz_thread_map__put(self);
	err = qz_evlist__open(el);
	if (err == -QZ_ERR_NOT_SUPPORTED) {
		/* The message names the event and says why. */
		CHECK(strstr(logged, "instructions"));
		CHECK(strstr(logged, "no hardware PMU"));
		qz_evlist__free(el);
		if (test_result())
			return 1;
		return test_skip("no hardware PMU");
	}
	CHECK_EQ(err, 0);
	qz_evlist__enable(el);
	for (unsigned long i = 0; i < 10000000; i++)
		sum += i;
	qz_evlist__disable(el);
	CHECK(sum > 0);
	CHECK_EQ(qz_evsel__read_total(insns, &c), 0);
	CHECK(c.val >= 10000000);
	CHECK_EQ(qz_evsel__read_total(cycles, &c), 0);
	CHECK(c.val > 0);
	qz_evlist__free(el);
	return test_result();
}
