/* SPDX-License-Identifier: MIT */
/*
 * perf-prof's BPF filters, shared by quazar's programs: whether the task
 * that is running now, in the context the program runs in, passes them.
 * Include after vmlinux.h and libbpf's bpf_helpers.h and bpf_core_read.h.
 */
#ifndef QUAZAR_FILTER_BPF_H
#define QUAZAR_FILTER_BPF_H

#include "filter_cfg.h"

const volatile struct qz_filter_cfg qz_filter = {};

/* The field counting a cfs_rq's tasks: nr_running until 6.13, nr_queued since. */
struct cfs_rq___old {
	unsigned int nr_running;
} __attribute__((preserve_access_index));

struct cfs_rq___new {
	unsigned int nr_queued;
} __attribute__((preserve_access_index));

/*
 * Tasks on this CPU's runqueue: the rq's nr_running (every class) when the
 * task's cfs_rq points to its rq (CONFIG_FAIR_GROUP_SCHED), else the
 * root cfs_rq's own count, under either name.
 */
static __always_inline __u32 qz_nr_running(struct task_struct *task)
{
	struct cfs_rq *cfs = BPF_CORE_READ(task, se.cfs_rq);
	struct rq *rq = NULL;

	if (!cfs)
		return 0;
	if (bpf_core_field_exists(cfs->rq))
		rq = BPF_CORE_READ(cfs, rq);
	if (rq)
		return BPF_CORE_READ(rq, nr_running);
	if (bpf_core_field_exists(struct cfs_rq___new, nr_queued))
		return BPF_CORE_READ((struct cfs_rq___new *)cfs, nr_queued);
	return BPF_CORE_READ((struct cfs_rq___old *)cfs, nr_running);
}

static __always_inline bool qz_want(__u8 how, bool value)
{
	return how == QZ_FILTER_OFF || (how == QZ_FILTER_WANT_1) == value;
}

/*
 * Does the current task pass the filters? irqs_off is whether interrupts
 * were disabled where the event hit.
 */
static __always_inline bool qz_filter_keep(bool irqs_off)
{
	struct task_struct *task;
	__u32 v;

	if (!qz_want(qz_filter.irqs_disabled, irqs_off))
		return false;
	if (qz_filter.exclude_pid_set &&
	    (__u32)(bpf_get_current_pid_tgid() >> 32) == qz_filter.exclude_pid)
		return false;
	if (!qz_filter.tif_need_resched && !qz_filter.nr_running_set &&
	    !qz_filter.policy_set && !qz_filter.prio_set)
		return true;
	task = (struct task_struct *)bpf_get_current_task();
	if (qz_filter.tif_need_resched) {
		unsigned long flags = BPF_CORE_READ(task, thread_info.flags);

		if (!qz_want(qz_filter.tif_need_resched,
			     (flags >> (qz_filter.tif_bit & 63)) & 1))
			return false;
	}
	if (qz_filter.nr_running_set) {
		v = qz_nr_running(task);
		if (v < qz_filter.nr_running_min || v > qz_filter.nr_running_max)
			return false;
	}
	if (qz_filter.policy_set && BPF_CORE_READ(task, policy) != qz_filter.policy)
		return false;
	if (qz_filter.prio_set) {
		__u64 word;

		v = (__u32)BPF_CORE_READ(task, prio);
		if (v >= QZ_FILTER_MAX_PRIO)
			return false;
		/* Constant indexes: the verifier bounds each read. */
		word = v < 64 ? qz_filter.prio[0] : v < 128 ? qz_filter.prio[1] : qz_filter.prio[2];
		if (!((word >> (v & 63)) & 1))
			return false;
	}
	return true;
}

/* x86: interrupts are enabled when EFLAGS.IF (bit 9) is set. */
static __always_inline bool qz_regs_irqs_off(const struct pt_regs *regs)
{
	return !((regs->flags >> 9) & 1);
}

#endif
