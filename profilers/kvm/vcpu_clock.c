// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/types.h>
#include <quazar/quazar.h>
#include "vcpu_clock.h"

int qz_kvm_clock__open(struct kvm_vcpu_clock *c, int tid)
{
	struct perf_event_attr attr = { 0 };
	struct qz_cpu_map *any = NULL;
	struct qz_thread_map *thread = NULL;
	pid_t t = tid;
	int err;

	memset(c, 0, sizeof(*c));
	c->tid = tid;
	err = qz_attr__named(&attr, "task-clock");
	if (err)
		return err;
	c->ev = qz_evsel__new(&attr, "task-clock");
	any = qz_cpu_map__new_any();
	thread = qz_thread_map__new_tids(&t, 1);
	err = c->ev && any && thread ? 0 : -ENOMEM;
	/* No log: a thread that already exited is not worth a line. */
	if (!err)
		err = qz_evsel__open(c->ev, any, thread, NULL);
	qz_cpu_map__put(any);
	qz_thread_map__put(thread);
	if (err) {
		qz_evsel__free(c->ev);
		c->ev = NULL;
	}
	return err;
}

uint64_t qz_kvm_clock__delta(struct kvm_vcpu_clock *c)
{
	QZ_OPTS(qz_counts, counts);
	uint64_t d;

	if (!c->ev || qz_evsel__read(c->ev, 0, 0, &counts) || counts.val < c->last)
		return 0;
	d = counts.val - c->last;
	c->last = counts.val;
	return d;
}

void qz_kvm_clock__close(struct kvm_vcpu_clock *c)
{
	qz_evsel__free(c->ev);
	c->ev = NULL;
}
