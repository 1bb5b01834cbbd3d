/* SPDX-License-Identifier: MIT */
/* Each profiler file defines one of these. */
#ifndef QUAZAR_PROFILERS_H
#define QUAZAR_PROFILERS_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "profiler.h"

extern const struct qz_profiler qz_profiler_trace;
extern const struct qz_profiler qz_profiler_top;
extern const struct qz_profiler qz_profiler_stat;
extern const struct qz_profiler qz_profiler_kvm;
extern const struct qz_profiler qz_profiler_kvm_exit;
extern const struct qz_profiler qz_profiler_bpf;
extern const struct qz_profiler qz_profiler_multi_trace;
extern const struct qz_profiler qz_profiler_kmemleak;
extern const struct qz_profiler qz_profiler_task_state;
extern const struct qz_profiler qz_profiler_profile;
extern const struct qz_profiler qz_profiler_usdt;
extern const struct qz_profiler qz_profiler_blktrace;
extern const struct qz_profiler qz_profiler_kmemprof;
extern const struct qz_profiler qz_profiler_nested_trace;
extern const struct qz_profiler qz_profiler_breakpoint;
extern const struct qz_profiler qz_profiler_page_faults;
extern const struct qz_profiler qz_profiler_event_care;
extern const struct qz_profiler qz_profiler_num_dist;
extern const struct qz_profiler qz_profiler_expr;
extern const struct qz_profiler qz_profiler_hrtimer;
extern const struct qz_profiler qz_profiler_irq_off;
extern const struct qz_profiler qz_profiler_hrcount;
extern const struct qz_profiler qz_profiler_watchdog;
extern const struct qz_profiler qz_profiler_oncpu;
extern const struct qz_profiler qz_profiler_rundelay;
extern const struct qz_profiler qz_profiler_syscalls;
extern const struct qz_profiler qz_profiler_sched_migrate;
extern const struct qz_profiler qz_profiler_percpu_stat;
extern const struct qz_profiler qz_profiler_sys_high;

struct qz_session;
struct qz_tp_event;
struct qz_tp_field;

/* An attr's text names a field, rather than being an expression over them. */
static inline bool is_field_name(const char *text)
{
	return !text[strspn(text, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")];
}

/* Helpers the relation profilers share (mt_setup.c). */
/* "prev_comm, prev_pid, ...": an event's own fields, for messages. */
void qz_mt__list_fields(const struct qz_tp_event *tp, char *buf, size_t len);
/*
 * The field `name` given by `attr` (key=, ptr=, -k, ...) of session event
 * idx, or -QZ_ERR_UNKNOWN_FIELD after logging what is wrong and the fix.
 */
int qz_mt__resolve_field(struct qz_session *s, int idx, const char *attr,
		     const char *name, const struct qz_tp_field **out);
/*
 * Does an attr's text name a field of session event idx? Anything else
 * (key=_cpu, key=(_cpu<<16)|vec) is an expression: qz_session__expr.
 */
bool qz_mt__is_field(struct qz_session *s, int idx, const char *text);

#endif
