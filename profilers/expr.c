// SPDX-License-Identifier: MIT
/*
 * expr: evaluate an expression over each event's fields, to try a filter
 * or a key before using it elsewhere (perf-prof's `expr`). The expression
 * is compiled as key=, top-by= and filters are (qz_session__expr), and
 * evaluated with qz_filter__eval; each event is printed with the result.
 * Like perf-prof it stops after 5 events unless -N says otherwise.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <quazar/filter.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "evline.h"

#define DEFAULT_EVENTS 5

struct expr_opts {
	char *expression;
};

struct expr {
	struct qz_output *out;
	const struct qz_filter *prog;
	struct evline line;
	uint64_t events, nonzero;
};

static int expr_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct expr_opts *opts = qz_session__ops_opts(s);
	struct expr *x;
	int err;

	if (env->events.n != 1) {
		qz_session__log(s, QZ_LOG_ERROR,
				"expr takes one event: quazar expr -e sys:name 'EXPRESSION'");
		return -QZ_ERR_OPTION;
	}
	if (!opts->expression || !*opts->expression) {
		qz_session__log(s, QZ_LOG_ERROR,
				"expr needs an expression after the event: quazar expr -e %s 'FIELD * 2'",
				env->events.v[0]);
		return -QZ_ERR_OPTION;
	}
	err = qz_session__add_events(s, env->events.v[0], 0);
	if (err < 0)
		return err;
	if (qz_session__nr_events(s) != 1) {
		qz_session__log(s, QZ_LOG_ERROR,
				"-e '%s' names %d events: expr evaluates over one event's fields; name one",
				env->events.v[0], qz_session__nr_events(s));
		return -QZ_ERR_OPTION;
	}
	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->out = qz_session__output(s);
	x->prog = qz_session__expr(s, 0, "expression", opts->expression);
	if (!x->prog) {
		err = -errno;
		free(x);
		return err;
	}
	if (!env->exit_n)
		env->exit_n = DEFAULT_EVENTS;
	if (!qz_output__json(x->out))
		fprintf(qz_output__file(x->out), "expression: %s\n", opts->expression);
	*ctx = x;
	return 0;
}

static void expr_sample(void *ctx, const struct qz_event *ev)
{
	struct expr *x = ctx;
	const struct qz_sample *smp = ev->sample;
	int64_t result = qz_filter__eval(x->prog, smp->raw, smp->raw_size);

	x->events++;
	x->nonzero += result != 0;
	if (qz_output__json(x->out)) {
		struct qz_json *j = qz_output__begin(x->out, "expr", smp->time);

		qz_evline__json(&x->line, ev, j);
		qz_json__key_i64(j, "result", result);
		qz_output__end(x->out);
	} else {
		FILE *f = qz_output__file(x->out);

		qz_evline__text(&x->line, ev, f);
		fprintf(f, "result: 0x%" PRIx64 " (%" PRId64 ")\n", (uint64_t)result, result);
	}
}

static void expr_interval(void *ctx, struct qz_output *out, bool final)
{
	struct expr *x = ctx;

	if (!final || qz_output__json(out))
		return;
	fprintf(qz_output__file(out), "%" PRIu64 " events, %" PRIu64 " nonzero (true)\n",
		x->events, x->nonzero);
}

static void expr_deinit(void *ctx)
{
	free(ctx);
}

static const struct qz_option expr_options[] = {
	QZ_OPTION_ENTRY(struct expr_opts, expression, "expression", 0, QZ_OPTION_STRING, "EXPRESSION",
			"the expression (or give it as the argument after the options)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_expr = {
	.name = "expr",
	.help = "evaluate an expression over each event's fields (to test filters and keys)",
	.usage = "The language of filters, key= and top-by= (see docs/events.md); stops after\n"
		 "5 events unless -N is given.\n"
		 "examples:\n"
		 "  quazar expr -e sched:sched_wakeup 'pid * 2 + 1'\n"
		 "  quazar expr -e 'kmem:mm_page_alloc/order>0/' '4096 << order'\n"
		 "  quazar expr -e sched:sched_wakeup 'comm ~ \"*sh\"' -N 20",
	.options = expr_options,
	.opts_size = sizeof(struct expr_opts),
	.positional = "expression",
	.ops = {
		.init = expr_init,
		.sample = expr_sample,
		.interval = expr_interval,
		.deinit = expr_deinit,
	},
};
