// SPDX-License-Identifier: MIT
/*
 * trace: print every event as it arrives. Text follows perf script's
 * shape with the kernel's print fmt; JSON has one object per event with
 * typed fields.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include <quazar/evsel.h>
#include "profiler_table.h"
#include "callchain.h"
#include "folded.h"
#include "bpf_filter.h"

/* Options beyond the common ones (trace_options below). */
struct trace_opts {
	char *flame_graph;
	bool overwrite;
	struct bpf_filter_opts filter;	/* perf-prof's BPF filters */
};

struct trace {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *stacks;
	struct folded *flame;		/* --flame-graph: stacks counted, not printed */
	struct bpf_filter *filter;	/* the BPF filters on every event */
	char *line;		/* print-fmt text of one event */
	size_t line_len;
};

static void trace_free(struct trace *t)
{
	qz_folded__free(t->flame);
	qz_bpf_filter__free(t->filter);
	qz_stack_printer__free(t->stacks);
	free(t->line);
	free(t);
}

static int trace_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct trace_opts *opts = qz_session__ops_opts(s);
	struct trace *t;

	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"trace needs events: -e sys:name (see 'quazar list')");
		return -EINVAL;
	}
	if (opts->overwrite) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--overwrite is not supported: quazar reads its rings as they fill and never keeps only the newest events; drop it (a larger -m loses fewer events)");
		return -QZ_ERR_OPTION;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->session = s;
	t->out = qz_session__output(s);
	t->line_len = 4096;
	t->line = malloc(t->line_len);
	t->stacks = qz_stack_printer__new();
	if (!t->line || !t->stacks)
		goto fail;
	if (opts->flame_graph) {
		t->flame = qz_folded__new(t->stacks, opts->flame_graph);
		if (!t->flame)
			goto fail;
		qz_folded__set_graph(t->flame, "quazar trace: event stacks", "events");
		env->callchain = true;
	}
	for (int i = 0; i < env->events.n; i++) {
		int err = qz_session__add_events(s, env->events.v[i], 0);

		if (err < 0) {
			trace_free(t);
			return err;
		}
	}
	if (qz_bpf_filter__wanted(&opts->filter)) {
		struct qz_filter_cfg cfg;

		if (qz_bpf_filter__config(s, &opts->filter, &cfg) ||
		    !(t->filter = qz_bpf_filter__attach(s, &cfg))) {
			trace_free(t);
			return -EINVAL;
		}
	}
	*ctx = t;
	return 0;
fail:
	trace_free(t);
	return -ENOMEM;
}

/* What one sample stands for: its own period, else the event's period=. */
static uint64_t sample_period(const struct qz_event *ev)
{
	if (ev->sample->type & PERF_SAMPLE_PERIOD)
		return ev->sample->period;
	return qz_evsel__attr(qz_session__evsel(ev->session, ev->index))->sample_period;
}

static void trace_json(struct trace *t, const struct qz_event *ev,
		       struct qz_output *out)
{
	const struct qz_sample *smp = ev->sample;
	struct qz_json *j = qz_output__begin(out, "event", smp->time);

	qz_event__json_header(ev, j);
	if (ev->tp) {
		qz_json__key(j, "fields");
		qz_json__begin_object(j);
		qz_tp_event__write_json(ev->tp, smp->raw, smp->raw_size, j, 0);
		qz_json__end_object(j);
	} else {
		qz_json__key_u64(j, "period", sample_period(ev));
	}
	if (smp->callchain_nr) {
		qz_json__key(j, "stack");
		qz_stack_printer__json(t->stacks, smp, j);
	}
	qz_output__end(out);
}

static void trace_text(struct trace *t, const struct qz_event *ev, FILE *f)
{
	const struct qz_sample *smp = ev->sample;

	fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64 ": %s: ",
		qz_event__comm(ev), smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
		smp->time % 1000000000 / 1000,
		qz_session__event_name(ev->session, ev->index));
	if (ev->tp) {
		qz_tp_event__print(ev->tp, smp->raw, smp->raw_size, t->line,
				   t->line_len);
		fputs(t->line, f);
	} else {
		fprintf(f, "period=%" PRIu64, sample_period(ev));
	}
	fputc('\n', f);
	if (smp->callchain_nr)
		qz_stack_printer__text(t->stacks, smp, f);
}

static void trace_sample(void *ctx, const struct qz_event *ev)
{
	struct trace *t = ctx;

	if (t->filter && !qz_bpf_filter__keep(t->filter, ev))
		return;
	if (t->flame) {
		if (ev->sample->callchain_nr)
			qz_folded__add(t->flame, qz_event__comm(ev), ev->sample);
		return;
	}
	if (qz_output__json(t->out))
		trace_json(t, ev, t->out);
	else
		trace_text(t, ev, qz_output__file(t->out));
}

static void trace_interval(void *ctx, struct qz_output *out, bool final)
{
	struct trace *t = ctx;

	(void)out;
	if (final && t->flame)
		qz_folded__write(t->flame, t->session);
}

static void trace_deinit(void *ctx)
{
	trace_free(ctx);
}

static const struct qz_option trace_options[] = {
	QZ_OPTION_ENTRY(struct trace_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING, "FILE",
			"write FILE.folded and its flame graph FILE.svg (implies -g)"),
	QZ_OPTION_ENTRY(struct trace_opts, overwrite, "overwrite", 0, QZ_OPTION_BOOL, NULL,
			"refused: perf-prof's overwrite mode (keep the newest events) is not supported"),
	QZ_BPF_FILTER_OPTIONS(struct trace_opts, filter),
	{ 0 },
};

const struct qz_profiler qz_profiler_trace = {
	.name = "trace",
	.help = "print every event: time, cpu, task, event and its fields",
	.usage = "examples:\n"
		 "  quazar trace -e sched:sched_wakeup,sched:sched_switch\n"
		 "  quazar trace -e 'syscalls:sys_enter_getppid' --json -- ./prog\n"
		 "  quazar trace -e 'sched:sched_switch/prev_pid<next_pid/stack/' -N 10",
	.options = trace_options,
	.opts_size = sizeof(struct trace_opts),
	.nest = true,
	.ops = {
		.init = trace_init,
		.sample = trace_sample,
		.interval = trace_interval,
		.deinit = trace_deinit,
	},
};
