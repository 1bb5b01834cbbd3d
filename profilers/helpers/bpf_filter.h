/* SPDX-License-Identifier: MIT */
/*
 * perf-prof's BPF filters, with perf-prof's option names, for the
 * profilers that sample events (profile, trace): which samples a BPF
 * program attached to the events keeps (bpf/filter.bpf.c, or profile's
 * own counting program, which applies the same filters).
 */
#ifndef QUAZAR_PROFILERS_BPF_FILTER_H
#define QUAZAR_PROFILERS_BPF_FILTER_H

#include <stdbool.h>
#include <linux/types.h>
#include <quazar/options.h>
#include <quazar/session.h>
#include "filter_cfg.h"

/* The options as given; NULL when absent. */
struct bpf_filter_opts {
	char *irqs_disabled;	/* "" or "1": keep irqs off; "0": keep irqs on */
	char *tif_need_resched;
	char *exclude_pid;
	char *nr_running_min;
	char *nr_running_max;
	char *sched_policy;
	char *prio;
};

/* The option table entries over FIELD, a struct bpf_filter_opts in TYPE. */
#define QZ_BPF_FILTER_OPTIONS(TYPE, FIELD)                                                     \
	QZ_OPTION_ENTRY(TYPE, FIELD.irqs_disabled, "irqs_disabled", 0, QZ_OPTION_OPT_STRING,     \
			"[=0|1]", "BPF filter: keep samples taken with interrupts off (=0: on)"),  \
	QZ_OPTION_ENTRY(TYPE, FIELD.tif_need_resched, "tif_need_resched", 0,                     \
			QZ_OPTION_OPT_STRING, "[=0|1]",                                          \
			"BPF filter: keep samples of tasks with TIF_NEED_RESCHED set (=0: clear)"), \
	QZ_OPTION_ENTRY(TYPE, FIELD.exclude_pid, "exclude_pid", 0, QZ_OPTION_STRING, "PID",      \
			"BPF filter: drop the samples of process PID"),                          \
	QZ_OPTION_ENTRY(TYPE, FIELD.nr_running_min, "nr_running_min", 0, QZ_OPTION_STRING, "N",  \
			"BPF filter: keep samples when the CPU's runqueue has N tasks or more"),  \
	QZ_OPTION_ENTRY(TYPE, FIELD.nr_running_max, "nr_running_max", 0, QZ_OPTION_STRING, "N",  \
			"BPF filter: keep samples when the CPU's runqueue has N tasks or fewer"), \
	QZ_OPTION_ENTRY(TYPE, FIELD.sched_policy, "sched_policy", 0, QZ_OPTION_STRING, "N",      \
			"BPF filter: keep samples of tasks of policy N (0 NORMAL, 1 FIFO, 2 RR, 3 BATCH, 5 IDLE, 6 DEADLINE)"), \
	QZ_OPTION_ENTRY(TYPE, FIELD.prio, "prio", 0, QZ_OPTION_STRING, "LIST",                   \
			"BPF filter: keep samples of tasks whose kernel priority is in LIST (0-99 real time, 120 nice 0)")

/* Any filter given? */
bool qz_bpf_filter__wanted(const struct bpf_filter_opts *o);
/* The options as the programs read them; -EINVAL after logging a bad one. */
int qz_bpf_filter__config(struct qz_session *s, const struct bpf_filter_opts *o,
			  struct qz_filter_cfg *cfg);
/* Whether quazar's own BPF programs can run here; why not in why. */
bool qz_bpf__usable(char *why, size_t len);

struct bpf_filter;
/*
 * Filter the session's events (call from init, after adding them): a BPF
 * program on each sampled event and uprobe decides in the kernel. Not on
 * tracepoints: the kernel runs one array of programs per tracepoint for
 * every perf user of it, so a program dropping an event would drop it for
 * all of them. There irqs_disabled and tif_need_resched are read from the
 * record's common_flags and exclude_pid from the sample's pid, in user
 * space (qz_bpf_filter__keep); the filters that need the task's state are
 * refused. NULL + errno after logging.
 */
struct bpf_filter *qz_bpf_filter__attach(struct qz_session *s, const struct qz_filter_cfg *cfg);
/* Does ev pass the filters? Samples the kernel filtered always do. */
bool qz_bpf_filter__keep(const struct bpf_filter *f, const struct qz_event *ev);
void qz_bpf_filter__free(struct bpf_filter *f);

#endif
