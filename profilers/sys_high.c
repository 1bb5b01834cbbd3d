// SPDX-License-Identifier: MIT
/*
 * sys-high: catch a CPU whose kernel-mode time spikes, unattended, and
 * hand over its stacks. `profile --than` with --sys on by default, as its
 * own profiler so the agent can run it as a collector: each trigger is
 * one report.
 */
#include <errno.h>
#include <stdlib.h>
#include "profiler_table.h"
#include "trigger.h"

struct sys_high_opts {
	int than;
	bool sys;
	uint64_t for_ns;
	char *flame_graph;
	uint64_t freq;
};

static const struct sys_high_opts sys_high_defaults = {
	.than = 30,
	.sys = true,
	.for_ns = QZ_TRIGGER_FOR_NS,
};

static int sys_high_init(struct qz_session *s, void **ctx)
{
	const struct sys_high_opts *opts = qz_session__ops_opts(s);
	struct qz_env *env = qz_session__env(s);
	struct qz_trigger_opts o = {
		.than = opts->than,
		.sys = opts->sys,
		.for_ns = opts->for_ns,
		.dir = opts->flame_graph,
		.burst_period_ns = opts->freq ? 1000000000ull / opts->freq : 0,
		.name = "sys-high",
	};
	int err;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"sys-high samples cpu-clock and takes no -e '%s'",
				env->events.v[0]);
		return -EINVAL;
	}
	*ctx = qz_trigger__new(s, &o, &err);
	return err;
}

static void sys_high_sample(void *ctx, const struct qz_event *ev)
{
	qz_trigger__sample(ctx, ev);
}

static void sys_high_interval(void *ctx, struct qz_output *out, bool final)
{
	qz_trigger__interval(ctx, out, final);
}

static void sys_high_deinit(void *ctx)
{
	qz_trigger__free(ctx);
}

static const struct qz_option sys_high_options[] = {
	QZ_OPTION_ENTRY(struct sys_high_opts, than, "than", 0, QZ_OPTION_PERCENT, "PERCENT",
			"fire when a CPU is this busy over an interval (default 30)"),
	QZ_OPTION_ENTRY(struct sys_high_opts, sys, "sys", 0, QZ_OPTION_BOOL, NULL,
			"kernel-mode % (default); --no-sys: busy %"),
	QZ_OPTION_ENTRY(struct sys_high_opts, for_ns, "for", 0, QZ_OPTION_TIME, "TIME",
			"capture stacks this long after a trigger (default 5s)"),
	QZ_OPTION_ENTRY(struct sys_high_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING,
			"DIR", "write DIR/<time>-cpu<N>.folded and .svg per trigger"),
	QZ_OPTION_ENTRY(struct sys_high_opts, freq, "freq", 'F', QZ_OPTION_COUNT, "HZ",
			"sampling rate while capturing (default 999; 99 when watching)",
			.max = 100000),
	{ 0 },
};

const struct qz_profiler qz_profiler_sys_high = {
	.name = "sys-high",
	.help = "catch CPUs whose kernel time spikes: their stacks and a flame graph per trigger",
	.usage = "Watches each CPU's kernel-mode % (busy % with --no-sys) every interval at\n"
		 "99 Hz; a CPU at --than or above is sampled at -F for --for, and one line\n"
		 "(or one JSON report) names it, its %, its top 5 functions and the files.\n"
		 "A CPU does not fire again within --for. The same as profile --than --sys.\n"
		 "examples:\n"
		 "  quazar sys-high --than 30 --flame-graph /var/tmp/sys-high/\n"
		 "  quazar sys-high --than 50 -C 0-3 --for 10s --json",
	.options = sys_high_options,
	.opts_size = sizeof(struct sys_high_opts),
	.opts_defaults = &sys_high_defaults,
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,
		.init = sys_high_init,
		.sample = sys_high_sample,
		.interval = sys_high_interval,
		.deinit = sys_high_deinit,
	},
};
