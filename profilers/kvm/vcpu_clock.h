/* SPDX-License-Identifier: MIT */
/*
 * A vCPU thread's CPU time: a task-clock counter on that one thread, read
 * as a delta each interval. It counts the thread in the guest and KVM's
 * handling of its exits, not the VMM's other threads.
 */
#ifndef QUAZAR_PROFILERS_KVM_VCPU_CLOCK_H
#define QUAZAR_PROFILERS_KVM_VCPU_CLOCK_H

#include <stdint.h>

struct qz_evsel;

struct kvm_vcpu_clock {
	int tid;
	struct qz_evsel *ev;	/* NULL when it could not be opened */
	uint64_t last;		/* the count at the last read */
};

/* Start counting thread tid. 0 or -errno (c->ev stays NULL). */
int qz_kvm_clock__open(struct kvm_vcpu_clock *c, int tid);
/* Nanoseconds the thread ran since the open or the last call. */
uint64_t qz_kvm_clock__delta(struct kvm_vcpu_clock *c);
void qz_kvm_clock__close(struct kvm_vcpu_clock *c);

#endif
