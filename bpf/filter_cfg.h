/* SPDX-License-Identifier: MIT */
/*
 * perf-prof's BPF filters, as quazar's programs read them (filter.bpf.h)
 * and user space fills them (profilers/helpers/bpf_filter.c): one struct
 * in the programs' read-only data, set before load.
 */
#ifndef QUAZAR_BPF_FILTER_CFG_H
#define QUAZAR_BPF_FILTER_CFG_H

/* Which way a yes/no filter keeps a sample: off, keep 0, keep 1. */
enum {
	QZ_FILTER_OFF = 0,
	QZ_FILTER_WANT_0 = 1,
	QZ_FILTER_WANT_1 = 2,
};

#define QZ_FILTER_MAX_PRIO 140	/* MAX_PRIO: 0-99 real time, 100-139 normal */

struct qz_filter_cfg {
	__u8 irqs_disabled;	/* --irqs_disabled[=0|1]: QZ_FILTER_* */
	__u8 tif_need_resched;	/* --tif_need_resched[=0|1]: QZ_FILTER_* */
	__u8 tif_bit;		/* TIF_NEED_RESCHED in thread_info.flags */
	__u8 exclude_pid_set;
	__u8 nr_running_set;
	__u8 policy_set;
	__u8 prio_set;
	__u8 pad;
	__u32 exclude_pid;	/* --exclude_pid: a process (tgid) */
	__u32 nr_running_min;	/* --nr_running_min/max: the runqueue's tasks */
	__u32 nr_running_max;
	__u32 policy;		/* --sched_policy: SCHED_NORMAL 0, FIFO 1, RR 2, ... */
	__u64 prio[3];		/* --prio: a bit per kernel priority 0-139 */
};

#endif
