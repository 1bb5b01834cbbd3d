// SPDX-License-Identifier: MIT
/*
 * num-dist: the distribution of a number each event carries (perf-prof's
 * num-dist, formerly mpdelay). Each event names its number with delay=: a
 * field (delay=runtime) or an expression over the fields
 * (delay=(runtime/1000)). Per event, and per instance with --perins, a
 * bounded histogram gives calls, total, min, avg, p50, p95, p99 and max
 * each interval; --than prints the events above a value; --heatmap draws
 * value against time.
 *
 * Memory: one struct qz_hist (7.7 KiB) per row, at most MAX_ROWS rows;
 * past that an event's further instances share one "other" row.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/filter.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "evline.h"
#include "heatmap.h"
#include "histrow.h"
#include "u64map.h"

#define MAX_ROWS 4096
#define OTHER_INST 0xffffffffffffull	/* 48 bits: (inst << 16) | event */

struct nd_opts {
	bool perins;
	uint64_t than;
	char *heatmap;
};

struct nd_row {
	uint64_t negative;	/* values below 0, not in the histogram */
	struct qz_hist hist;
};

struct nd_event {
	const struct qz_tp_field *field;
	const struct qz_filter *expr;
	bool is_signed;
	struct heatmap *heatmap;
};

struct num_dist {
	struct qz_session *session;
	struct qz_output *out;
	struct nd_event *ev;
	int nr_ev, name_len;
	bool perins, key_tid;
	uint64_t than;
	struct u64map rows;		/* (inst << 16 | event) -> struct nd_row * */
	struct evline line;
	uint64_t interval_start, outliers;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void free_rows(struct num_dist *n)
{
	size_t pos = 0;
	void *val;

	while (qz_u64map__next(&n->rows, &pos, NULL, &val))
		free(*(struct nd_row **)val);
	qz_u64map__clear(&n->rows);
}

static void nd_free(struct num_dist *n)
{
	free_rows(n);
	qz_u64map__free(&n->rows);
	for (int i = 0; i < n->nr_ev; i++)
		qz_heatmap__free(n->ev[i].heatmap);
	free(n->ev);
	free(n);
}

/* FILE-<event>.svg, the event's name made a file name. */
static int open_heatmap(struct num_dist *n, int idx, const char *base)
{
	const char *name = qz_session__event_name(n->session, idx);
	size_t len = strlen(base) + strlen(name) + 8;
	char *path = malloc(len);
	size_t at;

	if (!path)
		return -ENOMEM;
	at = (size_t)snprintf(path, len, "%s-", base);
	for (const char *c = name; *c; c++)
		path[at++] = (*c == '/' || *c == ':' || *c == ' ') ? '_' : *c;
	strcpy(path + at, ".svg");
	n->ev[idx].heatmap = qz_heatmap__new(path, qz_session__env(n->session)->interval_ns / 10);
	free(path);
	return n->ev[idx].heatmap ? 0 : -ENOMEM;
}

static int setup_event(struct num_dist *n, int idx)
{
	const struct qz_event_spec *spec = qz_session__spec(n->session, idx);
	struct qz_tp_event *tp = qz_session__tp_event(n->session, idx);
	const char *name = qz_session__event_name(n->session, idx);
	struct nd_event *e = &n->ev[idx];

	if ((int)strlen(name) > n->name_len)
		n->name_len = (int)strlen(name);
	if (!spec->delay) {
		qz_session__log(n->session, QZ_LOG_ERROR,
				"num-dist: '%s' has no number: give it with delay=FIELD or an expression, e.g. -e 'sched:sched_stat_runtime//delay=runtime/'",
				name);
		return -QZ_ERR_OPTION;
	}
	if (!is_field_name(spec->delay))
		return (e->expr = qz_session__expr(n->session, idx, "delay", spec->delay)) ?
			       0 : -errno;
	if (!tp) {
		qz_session__log(n->session, QZ_LOG_ERROR,
				"delay=%s on '%s': only tracepoints have fields", spec->delay, name);
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	{
		int err = qz_mt__resolve_field(n->session, idx, "delay", spec->delay, &e->field);

		if (err)
			return err;
	}
	e->is_signed = qz_tp_field__flags(e->field) & QZ_TP_FIELD_SIGNED;
	return 0;
}

static int nd_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct nd_opts *opts = qz_session__ops_opts(s);
	struct num_dist *n;
	int err = 0;

	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"num-dist needs events with their number: -e 'sys:name//delay=FIELD/'");
		return -EINVAL;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->session = s;
	n->out = qz_session__output(s);
	n->perins = opts->perins;
	n->than = opts->than;
	n->key_tid = env->pids || env->tids || env->workload;
	n->name_len = 5;
	n->interval_start = now_ns();
	if (qz_u64map__init(&n->rows, sizeof(struct nd_row *))) {
		free(n);
		return -ENOMEM;
	}
	for (int i = 0; i < env->events.n && err >= 0; i++)
		err = qz_session__add_events(s, env->events.v[i], 0);
	if (err >= 0) {
		n->nr_ev = qz_session__nr_events(s);
		n->ev = calloc((size_t)n->nr_ev, sizeof(*n->ev));
		err = n->ev ? 0 : -ENOMEM;
		if (n->nr_ev > 0xffff)
			err = -E2BIG;
	}
	for (int i = 0; !err && i < n->nr_ev; i++) {
		err = setup_event(n, i);
		if (!err && opts->heatmap)
			err = open_heatmap(n, i, opts->heatmap);
	}
	if (err) {
		nd_free(n);
		return err;
	}
	*ctx = n;
	return 0;
}

static struct nd_row *row_of(struct num_dist *n, uint64_t inst, int idx)
{
	uint64_t key = (inst & OTHER_INST) << 16 | (uint64_t)idx;
	struct nd_row **slot = qz_u64map__get(&n->rows, key);
	bool created;

	if (slot)
		return *slot;
	if (n->rows.nr >= MAX_ROWS) {
		key = OTHER_INST << 16 | (uint64_t)idx;
		if ((slot = qz_u64map__get(&n->rows, key)))
			return *slot;
	}
	slot = qz_u64map__put(&n->rows, key, &created);
	if (!slot)
		return NULL;
	*slot = malloc(sizeof(**slot));
	if (!*slot) {
		qz_u64map__del(&n->rows, key);
		return NULL;
	}
	(*slot)->negative = 0;
	QZ_HIST_INIT(&(*slot)->hist);
	return *slot;
}

static void print_outlier(struct num_dist *n, const struct qz_event *ev, int64_t v)
{
	n->outliers++;
	if (qz_output__json(n->out)) {
		struct qz_json *j = qz_output__begin(n->out, "num_dist_outlier", ev->sample->time);

		qz_evline__json(&n->line, ev, j);
		qz_json__key_i64(j, "value", v);
		qz_output__end(n->out);
	} else {
		FILE *f = qz_output__file(n->out);

		fprintf(f, "value %" PRId64 " > %" PRIu64 ": ", v, n->than);
		qz_evline__text(&n->line, ev, f);
	}
}

static void nd_sample(void *ctx, const struct qz_event *ev)
{
	struct num_dist *n = ctx;
	const struct nd_event *e = &n->ev[ev->index];
	const struct qz_sample *smp = ev->sample;
	uint64_t inst = !n->perins ? 0 : n->key_tid ? smp->tid : smp->cpu;
	struct nd_row *row = row_of(n, inst, ev->index);
	int64_t v;

	if (e->field)
		v = e->is_signed ? qz_tp_field__s64(e->field, smp->raw, smp->raw_size) :
				   (int64_t)qz_tp_field__u64(e->field, smp->raw, smp->raw_size);
	else
		v = qz_filter__eval(e->expr, smp->raw, smp->raw_size);
	if (!row)
		return;
	if (v < 0 && (e->expr || e->is_signed)) {
		row->negative++;
	} else {
		qz_hist__record(&row->hist, (uint64_t)v);
		if (e->heatmap)
			qz_heatmap__add(e->heatmap, smp->time, (uint64_t)v);
	}
	if (n->than && v > 0 && (uint64_t)v > n->than)
		print_outlier(n, ev, v);
}

struct nd_sorted {
	uint64_t key;
	struct nd_row *row;
};

static int sorted_cmp(const void *a, const void *b)
{
	const struct nd_sorted *x = a, *y = b;
	uint64_t ex = x->key & 0xffff, ey = y->key & 0xffff;

	if (ex != ey)
		return ex < ey ? -1 : 1;
	return (x->key > y->key) - (x->key < y->key);
}

static void report(struct num_dist *n, struct nd_sorted *rows, size_t nr, bool final,
		   uint64_t now)
{
	struct qz_output *out = n->out;

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "num_dist", now);
		struct qz_session_stats st = { .sz = sizeof(st) };

		qz_session__stats(n->session, &st);
		qz_json__key_u64(j, "interval_ns", now - n->interval_start);
		qz_json__key_bool(j, "final", final);
		if (n->perins)
			qz_json__key_str(j, "instance", n->key_tid ? "tid" : "cpu");
		qz_json__key(j, "rows");
		qz_json__begin_array(j);
		for (size_t i = 0; i < nr; i++) {
			uint64_t inst = rows[i].key >> 16;

			qz_json__begin_object(j);
			qz_json__key_str(j, "event", qz_session__event_name(n->session,
									(int)(rows[i].key & 0xffff)));
			if (n->perins) {
				if (inst == OTHER_INST)
					qz_json__key_bool(j, "other", true);
				else
					qz_json__key_u64(j, "instance", inst);
			}
			qz_histrow__json(&rows[i].row->hist, j);
			qz_json__key_u64(j, "negative", rows[i].row->negative);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_json__key_u64(j, "outliers", n->outliers);
		qz_json__key_u64(j, "lost", st.lost);
		qz_output__end(out);
	} else {
		FILE *f = qz_output__file(out);

		fputc('\n', f);
		if (n->perins)
			fprintf(f, "%-8s ", n->key_tid ? "[THREAD]" : "[CPU]");
		fprintf(f, "%*s", n->name_len, "event");
		qz_histrow__header(f, false);
		fputc('\n', f);
		for (size_t i = 0; i < nr; i++) {
			uint64_t inst = rows[i].key >> 16;

			if (n->perins) {
				if (inst == OTHER_INST)
					fprintf(f, "%-8s ", "(other)");
				else
					fprintf(f, "%-8" PRIu64 " ", inst);
			}
			fprintf(f, "%*s", n->name_len,
				qz_session__event_name(n->session, (int)(rows[i].key & 0xffff)));
			qz_histrow__text(&rows[i].row->hist, f, false);
			if (rows[i].row->negative)
				fprintf(f, "  (%" PRIu64 " below 0)", rows[i].row->negative);
			fputc('\n', f);
		}
	}
}

static void nd_interval(void *ctx, struct qz_output *out, bool final)
{
	struct num_dist *n = ctx;
	struct nd_sorted *rows = malloc((n->rows.nr + 1) * sizeof(*rows));
	uint64_t now = now_ns();
	size_t nr = 0, pos = 0;
	uint64_t key;
	void *val;

	(void)out;
	if (!rows)
		return;
	while (qz_u64map__next(&n->rows, &pos, &key, &val)) {
		struct nd_row *r = *(struct nd_row **)val;

		if (r->hist.count || r->negative)
			rows[nr++] = (struct nd_sorted){ key, r };
	}
	qsort(rows, nr, sizeof(*rows), sorted_cmp);
	report(n, rows, nr, final, now);
	free(rows);
	free_rows(n);
	n->outliers = 0;
	n->interval_start = now;
	for (int i = 0; final && i < n->nr_ev; i++) {
		int err = n->ev[i].heatmap ? qz_heatmap__write(n->ev[i].heatmap, "num-dist") : 0;

		if (err)
			qz_session__log(n->session, QZ_LOG_ERROR,
					"--heatmap: cannot write the SVG: %s", qz_strerror(err));
	}
}

static void nd_deinit(void *ctx)
{
	nd_free(ctx);
}

static const struct qz_option nd_options[] = {
	QZ_OPTION_ENTRY(struct nd_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"a row per instance: CPU, or thread with -p/-t/-- cmd"),
	QZ_OPTION_ENTRY(struct nd_opts, than, "than", 0, QZ_OPTION_COUNT, "N",
			"print the events whose number exceeds N"),
	QZ_OPTION_ENTRY(struct nd_opts, heatmap, "heatmap", 0, QZ_OPTION_STRING, "FILE",
			"draw value against time: FILE-<event>.svg"),
	{ 0 },
};

const struct qz_profiler qz_profiler_num_dist = {
	.name = "num-dist",
	.help = "the distribution of a number each event carries (delay=FIELD or EXPR)",
	.usage = "attrs: delay=FIELD or delay=EXPR (the number), alias=NAME\n"
		 "examples:\n"
		 "  quazar num-dist -e 'sched:sched_stat_runtime//delay=runtime/' -C 0 -i 1000\n"
		 "  quazar num-dist -e 'sched:sched_stat_runtime//delay=(runtime/1000)/alias=runtime_us/'\n"
		 "  quazar num-dist -e 'syscalls:sys_enter_write//delay=count/' --perins -p PID",
	.attrs = QZ_PATTR_DELAY,
	.options = nd_options,
	.opts_size = sizeof(struct nd_opts),
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* a histogram does not care */
		.init = nd_init,
		.sample = nd_sample,
		.interval = nd_interval,
		.deinit = nd_deinit,
	},
};
