// SPDX-License-Identifier: MIT
/*
 * hrtimer: conditional sampling on a high-resolution timer. A cpu-clock
 * timer ticks on each CPU every --period (or at -F Hz) and leads a group
 * of counted events (-e): each tick knows how many of each happened on
 * its CPU since the last one. An expression over those counts (an
 * event's name is its count; `period` is the ns since the last tick)
 * says whether the tick is printed, with its stack under -g:
 *
 *	quazar hrtimer -e sched:sched_switch -C 0 --period 50ms 'sched_switch==0'
 *
 * prints every 50 ms in which CPU 0 did not switch tasks, and where it
 * was. The events are counted in the kernel, never sampled: the cost is
 * one increment per event plus one sample per tick and CPU.
 *
 * Memory: (events + 1) x 8 bytes per CPU.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/filter.h>
#include <quazar/session.h>
#include <quazar/tasks.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "callchain.h"
#include "groupcount.h"

/* Options beyond the common ones (hrtimer_options below). */
struct hrtimer_opts {
	uint64_t freq;
	uint64_t period;
	char *expression;	/* --expression, or the bare argument */
};

struct hrtimer {
	struct qz_session *session;
	struct qz_output *out;
	struct groupcount g;
	struct qz_tp *vars_tp;		/* the counts as a record's fields */
	struct qz_filter *expr;
	uint64_t *record;		/* 8-byte header, then the counts */
	size_t record_size;
	struct qz_stack_printer *stacks;
	bool all;			/* -v: every tick */
	uint64_t ticks, printed;
};

/* A variable name of the expression language: C identifier. */
static bool identifier(const char *s)
{
	if (!s[0] || (s[0] >= '0' && s[0] <= '9'))
		return false;
	return !s[strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")];
}

/*
 * The counts of a tick as the fields of a synthetic tracepoint, so the
 * filter language (qz_filter) evaluates the expression over them.
 */
static int compile_expression(struct hrtimer *h, const char *text)
{
	QZ_OPTS(qz_tp_opts, topts, .offline = true);
	struct qz_tp_event *ev;
	struct qz_parse_error perr;
	size_t len = 4096 + (size_t)h->g.nr * 128, n;
	char *fmt = malloc(len), diag[1024];
	int err;

	if (!fmt)
		return -ENOMEM;
	n = (size_t)snprintf(fmt, len,
			     "name: hrtimer\nID: 1\nformat:\n"
			     "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
			     "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
			     "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
			     "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n");
	for (int i = 0; i <= h->g.nr; i++) {
		const char *name = i < h->g.nr ? h->g.names[i] : "period";

		for (int k = 0; k < i; k++) {
			if (!strcmp(h->g.names[k], name)) {
				qz_session__log(h->session, QZ_LOG_ERROR,
						"two events are called '%s' in the expression: give one an alias= (-e '%s//alias=NAME/')",
						name, qz_session__event_name(h->session, h->g.members[i < h->g.nr ? i : k]));
				free(fmt);
				return -QZ_ERR_OPTION;
			}
		}
		if (!identifier(name)) {
			qz_session__log(h->session, QZ_LOG_ERROR,
					"'%s' cannot be a variable of the expression: use alias=NAME of letters, digits and _",
					name);
			free(fmt);
			return -QZ_ERR_OPTION;
		}
		n += (size_t)snprintf(fmt + n, len - n,
				      "\tfield:u64 %s;\toffset:%d;\tsize:8;\tsigned:0;\n",
				      name, 8 + 8 * i);
	}
	snprintf(fmt + n, len - n, "\nprint fmt: \"counts\"\n");
	h->vars_tp = qz_tp__new(&topts);
	if (!h->vars_tp) {
		free(fmt);
		return -errno;
	}
	err = qz_tp__add_format(h->vars_tp, "hrtimer", fmt, &ev);
	free(fmt);
	if (err)
		return err;
	h->expr = qz_filter__compile(text, ev, &perr);
	if (!h->expr) {
		err = -errno;
		qz_parse_error__format(&perr, text, diag, sizeof(diag));
		qz_session__log(h->session, QZ_LOG_ERROR,
				"bad expression (its variables are the events' names and period):\n%s",
				diag);
		return err;
	}
	h->record_size = 8 + 8 * ((size_t)h->g.nr + 1);
	h->record = calloc(1, h->record_size);
	if (!h->record)
		return -ENOMEM;
	((uint16_t *)h->record)[0] = 1;	/* common_type: the ID above */
	return 0;
}

static void hrtimer_free(struct hrtimer *h)
{
	qz_groupcount__free(&h->g);
	qz_filter__free(h->expr);
	qz_tp__free(h->vars_tp);
	qz_stack_printer__free(h->stacks);
	free(h->record);
	free(h);
}

static int hrtimer_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct hrtimer_opts *opts = qz_session__ops_opts(s);
	struct hrtimer *h;
	int err;

	err = qz_groupcount__check_scope(s, "hrtimer");
	if (err)
		return err;
	if (!opts->freq && !opts->period) {
		qz_session__log(s, QZ_LOG_ERROR,
				"hrtimer needs its tick: -F HZ or --period TIME (e.g. --period 50ms)");
		return -QZ_ERR_OPTION;
	}
	if (opts->freq && opts->period) {
		qz_session__log(s, QZ_LOG_ERROR, "give -F or --period, not both");
		return -QZ_ERR_OPTION;
	}
	if (env->events.n && !opts->expression) {
		qz_session__log(s, QZ_LOG_ERROR,
				"an EXPRESSION over the events' counts is needed, e.g. quazar hrtimer -e %s --period 50ms '%s==0'",
				env->events.v[0], "sched_switch");
		return -QZ_ERR_OPTION;
	}
	if (!env->events.n && opts->expression) {
		qz_session__log(s, QZ_LOG_ERROR,
				"the expression '%s' reads the counts of events: give them with -e",
				opts->expression);
		return -QZ_ERR_OPTION;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->session = s;
	h->out = qz_session__output(s);
	h->all = env->verbose > 0;
	err = qz_groupcount__init(&h->g, s, opts->period, opts->freq, 0);
	if (!err && opts->expression)
		err = compile_expression(h, opts->expression);
	if (!err && env->callchain && !(h->stacks = qz_stack_printer__new()))
		err = -ENOMEM;
	if (err) {
		hrtimer_free(h);
		return err;
	}
	*ctx = h;
	return 0;
}

static void print_tick(struct hrtimer *h, const struct qz_event *ev)
{
	const struct qz_sample *smp = ev->sample;
	const char *comm = qz_event__comm(ev);
	struct groupcount *g = &h->g;

	if (qz_output__json(h->out)) {
		struct qz_json *j = qz_output__begin(h->out, "hrtimer", smp->time);

		qz_json__key_u64(j, "cpu", smp->cpu);
		qz_json__key_u64(j, "pid", smp->pid);
		qz_json__key_u64(j, "tid", smp->tid);
		qz_json__key_str(j, "comm", comm);
		qz_json__key_u64(j, "clock_ns", g->delta[g->nr]);
		qz_json__key(j, "counts");
		qz_json__begin_object(j);
		for (int i = 0; i < g->nr; i++)
			qz_json__key_u64(j, g->names[i], g->delta[i]);
		qz_json__end_object(j);
		if (h->stacks && smp->callchain_nr) {
			qz_json__key(j, "stack");
			qz_stack_printer__json(h->stacks, smp, j);
		}
		qz_output__end(h->out);
		return;
	}
	FILE *f = qz_output__file(h->out);

	fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64 ": hrtimer: cpu-clock %" PRIu64
		   " ns\n", comm, smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
		smp->time % 1000000000 / 1000, g->delta[g->nr]);
	for (int i = 0; i < g->nr; i++)
		fprintf(f, "    %s %" PRIu64 "\n", g->names[i], g->delta[i]);
	if (h->stacks && smp->callchain_nr)
		qz_stack_printer__text(h->stacks, smp, f);
}

static void hrtimer_sample(void *ctx, const struct qz_event *ev)
{
	struct hrtimer *h = ctx;
	struct groupcount *g = &h->g;

	if (ev->index != g->leader || !qz_groupcount__tick(g, ev))
		return;
	h->ticks++;
	if (h->expr) {
		memcpy(h->record + 1, g->delta, ((size_t)g->nr + 1) * sizeof(uint64_t));
		if (!qz_filter__eval(h->expr, h->record, h->record_size) && !h->all)
			return;
	} else if (!h->all) {
		return;
	}
	h->printed++;
	if (h->stacks && ev->sample->callchain_nr)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(h->stacks),
				       (pid_t)ev->sample->pid);
	print_tick(h, ev);
}

static void hrtimer_interval(void *ctx, struct qz_output *out, bool final)
{
	struct hrtimer *h = ctx;

	if (final && h->g.bad_reads)
		qz_session__log(h->session, QZ_LOG_WARN,
				"%" PRIu64 " ticks carried an incomplete group read and were skipped",
				h->g.bad_reads);
	(void)out;
}

/* SIGUSR1: the ticks so far, and how many were printed. */
static void hrtimer_status(void *ctx, struct qz_output *out)
{
	struct hrtimer *h = ctx;

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "hrtimer_status", 0);

		qz_json__key_u64(j, "ticks", h->ticks);
		qz_json__key_u64(j, "printed", h->printed);
		qz_json__key_u64(j, "bad_reads", h->g.bad_reads);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		fprintf(qz_output__file(out),
			"hrtimer: %" PRIu64 " ticks, %" PRIu64 " printed, %" PRIu64 " incomplete\n",
			h->ticks, h->printed, h->g.bad_reads);
	}
}

static void hrtimer_deinit(void *ctx)
{
	hrtimer_free(ctx);
}

static const struct qz_option hrtimer_options[] = {
	QZ_OPTION_ENTRY(struct hrtimer_opts, freq, "freq", 'F', QZ_OPTION_COUNT, "HZ",
			"tick at HZ on each CPU"),
	QZ_OPTION_ENTRY(struct hrtimer_opts, period, "period", 0, QZ_OPTION_TIME, "TIME",
			"tick every TIME on each CPU: 50ms, 500us, 1s or ns"),
	QZ_OPTION_ENTRY(struct hrtimer_opts, expression, "expression", 0, QZ_OPTION_STRING,
			"EXPRESSION", "print the ticks where it holds (also the bare argument)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_hrtimer = {
	.name = "hrtimer",
	.help = "conditional sampling on a high-resolution timer: print the ticks whose event counts match an expression",
	.usage = "EXPRESSION reads the counts since the CPU's last tick: each -e event by\n"
		 "its name (or alias=), and period, the ns since that tick. It is true: the\n"
		 "tick is printed (with -g, its stack). -v prints every tick.\n"
		 "examples:\n"
		 "  quazar hrtimer -e sched:sched_switch -C 0 --period 50ms 'sched_switch==0'\n"
		 "  quazar hrtimer -e sched:sched_switch,sched:sched_wakeup -C 0-5 -F 20 -g \\\n"
		 "      'sched_switch==0 && sched_wakeup==0'",
	.options = hrtimer_options,
	.opts_size = sizeof(struct hrtimer_opts),
	.no_nest = "its timer leads a group of events the kernel counts, and a group does not join another profiler's events",
	.positional = "expression",
	.ops = {
		.any_order = true,	/* each CPU's ticks stand alone */
		.init = hrtimer_init,
		.sample = hrtimer_sample,
		.interval = hrtimer_interval,
		.deinit = hrtimer_deinit,
		.status = hrtimer_status,
	},
};
