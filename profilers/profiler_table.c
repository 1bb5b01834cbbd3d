// SPDX-License-Identifier: MIT
/* The profiler table: listed explicitly, in `quazar --help` order. */
#include <string.h>
#include "profiler.h"
#include "profiler_table.h"

static const struct qz_profiler *const profilers[] = {
	&qz_profiler_trace,
	&qz_profiler_top,
	&qz_profiler_stat,
	&qz_profiler_multi_trace,
	&qz_profiler_kmemleak,
	&qz_profiler_task_state,
	&qz_profiler_profile,
	&qz_profiler_sys_high,
	&qz_profiler_kvm,
	&qz_profiler_kvm_exit,
	&qz_profiler_bpf,
	&qz_profiler_expr,
	&qz_profiler_num_dist,
	&qz_profiler_event_care,
	&qz_profiler_page_faults,
	&qz_profiler_breakpoint,
	&qz_profiler_nested_trace,
	&qz_profiler_kmemprof,
	&qz_profiler_blktrace,
	&qz_profiler_usdt,
	&qz_profiler_hrtimer,
	&qz_profiler_irq_off,
	&qz_profiler_hrcount,
	&qz_profiler_watchdog,
	&qz_profiler_oncpu,
	&qz_profiler_rundelay,
	&qz_profiler_syscalls,
	&qz_profiler_sched_migrate,
	&qz_profiler_percpu_stat,
	NULL,
};

const struct qz_profiler *const *qz_profilers(void)
{
	return profilers;
}

const struct qz_profiler *qz_profiler__find(const char *name)
{
	for (const struct qz_profiler *const *p = profilers; *p; p++)
		if (!strcmp((*p)->name, name))
			return *p;
	return NULL;
}
