// SPDX-License-Identifier: MIT
/*
 * The common options: every session reads them, whatever its handler. Callers parse
 * them through this table.
 */
#include <stdlib.h>
#include <quazar/session.h>
#include "../internal.h"

#define OPT(field, name, s, kind, arg, help, ...) \
	QZ_OPTION_ENTRY(struct qz_env, field, name, s, kind, arg, help, __VA_ARGS__)

static const struct qz_option env_options[] = {
	OPT(events, "event", 'e', QZ_OPTION_LIST, "EVENT,...", "event selector; repeatable",
	    .max = QZ_MAX_EVENT_ARGS),
	OPT(cpus, "cpus", 'C', QZ_OPTION_STRING, "LIST", "CPUs to watch, e.g. 0-3,6"),
	OPT(pids, "pids", 'p', QZ_OPTION_STRING, "PID,...", "processes (all their threads)"),
	OPT(tids, "tids", 't', QZ_OPTION_STRING, "TID,...", "threads"),
	OPT(cgroup, "cgroup", 0, QZ_OPTION_STRING, "PATH,...", "cgroups (v2 paths, absolute or under /sys/fs/cgroup)"),
	OPT(cgroup, "cgroups", 0, QZ_OPTION_STRING, "PATH,...", "same as --cgroup (perf-prof spelling)"),
	OPT(interval_ns, "interval", 'i', QZ_OPTION_MS, "MS", "report interval in milliseconds"),
	OPT(mmap_pages, "mmap-pages", 'm', QZ_OPTION_COUNT, "PAGES", "ring pages per CPU, a power of two"),
	OPT(watermark, "watermark", 0, QZ_OPTION_PERCENT, "0-100", "wake up when the ring is this % full"),
	OPT(exit_n, "exit-N", 'N', QZ_OPTION_COUNT, "N", "exit after N events"),
	OPT(output, "output", 'o', QZ_OPTION_STRING, "FILE", "write output to FILE"),
	OPT(order, "order", 0, QZ_OPTION_BOOL, NULL, "deliver events in timestamp order across CPUs"),
	OPT(order_window_ns, "order-window", 0, QZ_OPTION_MS, "MS", "reorder window for --order (default 100)"),
	OPT(callchain, "call-graph", 'g', QZ_OPTION_BOOL, NULL, "record callchains"),
	OPT(json, "json", 0, QZ_OPTION_BOOL, NULL, "JSON lines instead of text"),
	OPT(exclude_user, "exclude-user", 0, QZ_OPTION_BOOL, NULL, "do not count user mode"),
	OPT(exclude_kernel, "exclude-kernel", 0, QZ_OPTION_BOOL, NULL, "do not count kernel mode"),
	OPT(exclude_guest, "exclude-guest", 0, QZ_OPTION_BOOL, NULL, "do not count guest mode"),
	OPT(exclude_host, "exclude-host", 'G', QZ_OPTION_BOOL, NULL, "count guest mode only"),
	OPT(user_callchain, "user-callchain", 0, QZ_OPTION_BOOL, NULL, "include user stacks (--no-user-callchain)"),
	OPT(kernel_callchain, "kernel-callchain", 0, QZ_OPTION_BOOL, NULL, "include kernel stacks (--no-kernel-callchain)"),
	OPT(verbose, "verbose", 'v', QZ_OPTION_LEVEL, NULL, "more detail; repeatable"),
	OPT(quiet, "quiet", 'q', QZ_OPTION_BOOL, NULL, "errors only: no warnings or notes on stderr"),
	OPT(inherit, "inherit", 0, QZ_OPTION_BOOL, NULL, "children inherit the events"),
	OPT(monotonic, "monotonic", 0, QZ_OPTION_BOOL, NULL, "timestamps are CLOCK_MONOTONIC (always so in quazar)"),
	OPT(tsc, "tsc", 0, QZ_OPTION_BOOL, NULL, "refused: timestamps are CLOCK_MONOTONIC, not TSC"),
	OPT(clock_offset, "clock-offset", 0, QZ_OPTION_COUNT, "N", "add N (hex allowed, wraps at 2^64) to every event's time"),
	OPT(kvmclock, "kvmclock", 0, QZ_OPTION_STRING, "UUID", "refused: see docs/perf-prof.md"),
	OPT(usage_self_ns, "usage-self", 0, QZ_OPTION_MS, "MS", "print quazar's own CPU, RSS and event rate every MS"),
	OPT(sampling_limit, "sampling-limit", 0, QZ_OPTION_COUNT, "N", "at most N samples per second per instance; the rest are dropped and counted"),
	OPT(perfeval_cpus, "perfeval-cpus", 0, QZ_OPTION_STRING, "LIST", "report the events and their cost for these CPUs"),
	OPT(perfeval_pids, "perfeval-pids", 0, QZ_OPTION_STRING, "PID,...", "report the events and their cost for these processes"),
	OPT(ptrace, "ptrace", 0, QZ_OPTION_BOOL, NULL, "follow the threads -p and -- cmd create (ptrace)"),
	{ 0 },
};

QZ_API const struct qz_option *qz_env__options(void)
{
	return env_options;
}

QZ_API struct qz_env *qz_env__new(void)
{
	struct qz_env *env = calloc(1, sizeof(*env));

	if (!env)
		return NULL;
	env->watermark = -1;
	env->user_callchain = true;
	env->kernel_callchain = true;
	return env;
}

QZ_API void qz_env__free(struct qz_env *env)
{
	if (!env)
		return;
	qz_options__free(env_options, env);
	free(env);
}
