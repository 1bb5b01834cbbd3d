// SPDX-License-Identifier: MIT
/*
 * syscalls: system call latency and errors per syscall, perf-prof's
 * built-in multi-trace form:
 *
 *	quazar syscalls -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit [-k common_pid]
 *
 * multi-trace's core (relations.c) pairs each sys_enter with the next
 * sys_exit of the same thread (the key, common_pid unless -k says
 * otherwise) and hands the pair here: its latency goes to the row of its
 * syscall id (with --perins, of its thread and id), and a return value
 * from -4095 to -1 counts as an error. exit and exit_group never return:
 * they are left out. --than prints each slower pair, as multi-trace does.
 *
 * Memory: one struct qz_hist (7.7 KiB) per syscall id seen (per thread and
 * id with --perins, at most MAX_ROWS rows, the rest folded into one row
 * per id), plus multi-trace's pending table (one entry per thread in a
 * syscall).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/filter.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include <quazar/tasks.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "callchain.h"
#include "heatmap.h"
#include "print.h"
#include "relations.h"
#include "u64map.h"
#include "syscall_names.h"

/* Options beyond the common ones (syscalls_options below). */
struct syscalls_opts {
	char *key;
	uint64_t than;
	bool perins;
	char *heatmap;
};

#define MAX_ROWS 4096
#define OTHER_TID UINT32_MAX

struct sc_row {
	uint32_t tid, id;		/* tid: 0 without --perins, OTHER_TID folded */
	uint64_t errors, over;
	struct qz_hist hist;
};

struct syscalls {
	struct qz_session *session;
	struct qz_output *out;
	struct mt_core *core;
	struct mt_printer printer;
	struct heatmap *heatmap;
	const struct qz_tp_field *enter_id, *exit_id, *exit_ret;
	bool perins;
	uint64_t than;
	struct u64map rows;		/* (tid << 32 | id) -> sc_row */
	uint64_t mismatched;		/* enter and exit of different ids */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static const char *syscall_name(uint64_t id)
{
	if (id < sizeof(syscall_names) / sizeof(syscall_names[0]))
		return syscall_names[id];
	return NULL;
}

static struct sc_row *row_of(struct syscalls *sc, uint32_t tid, uint32_t id)
{
	uint64_t key = (uint64_t)tid << 32 | id;
	struct sc_row *r = qz_u64map__get(&sc->rows, key);
	bool created;

	if (r)
		return r;
	if (sc->rows.nr >= MAX_ROWS && tid)
		return row_of(sc, OTHER_TID, id);
	r = qz_u64map__put(&sc->rows, key, &created);
	if (r && created) {
		r->tid = tid;
		r->id = id;
		QZ_HIST_INIT(&r->hist);
	}
	return r;
}

/* sys_enter's syscall id, kept with the pending event1. */
static uint64_t stash_id(void *ctx, const struct qz_event *ev)
{
	struct syscalls *sc = ctx;

	return qz_tp_field__u64(sc->enter_id, ev->sample->raw, ev->sample->raw_size);
}

static void on_paired(void *ctx, const struct reltab_entry *prev,
		      const struct qz_event *ev, uint64_t key, uint64_t delta)
{
	struct syscalls *sc = ctx;
	const struct qz_sample *smp = ev->sample;
	uint64_t id = qz_tp_field__u64(sc->exit_id, smp->raw, smp->raw_size);
	int64_t ret = qz_tp_field__s64(sc->exit_ret, smp->raw, smp->raw_size);
	struct sc_row *r;

	(void)key;
	if (id != prev->aux || id > UINT32_MAX) {
		sc->mismatched++;
		return;
	}
	r = row_of(sc, sc->perins ? smp->tid : 0, (uint32_t)id);
	if (!r)
		return;
	qz_hist__record(&r->hist, delta);
	r->errors += ret < 0 && ret >= -4095;
	r->over += sc->than && delta > sc->than;
}

static void on_latency(void *ctx, uint64_t time, uint64_t delta)
{
	qz_heatmap__add(((struct syscalls *)ctx)->heatmap, time, delta);
}

static void on_outlier(void *ctx, struct reltab_entry *prev, const struct qz_event *ev,
		       uint64_t key, uint64_t delta, int pair)
{
	struct syscalls *sc = ctx;
	struct mt_rec *e1 = prev ? prev->data : NULL, *e2;
	const char *name = prev ? syscall_name(prev->aux) : NULL;
	char us[32];

	(void)pair;
	if (!e1 || !(e2 = qz_mt_rec__new(ev, key)))
		return;
	if (qz_output__json(sc->out)) {
		struct qz_json *j = qz_output__begin(sc->out, "syscall_slow", ev->sample->time);

		qz_json__key_u64(j, "id", prev->aux);
		qz_json__key_str(j, "name", name ? name : "");
		qz_json__key_u64(j, "tid", key);
		qz_json__key_u64(j, "latency", delta);
		qz_json__key(j, "enter");
		qz_mt__print_json(&sc->printer, e1, j);
		qz_json__key(j, "exit");
		qz_mt__print_json(&sc->printer, e2, j);
		qz_output__end(sc->out);
	} else {
		FILE *f = qz_output__file(sc->out);

		qz_mt__fmt_us(delta, us, sizeof(us));
		fprintf(f, "%s(%" PRIu64 ") thread %" PRIu64 " latency %s us\n", name ? name : "?",
			prev->aux, key, us);
		qz_mt__print_text(&sc->printer, e1, "> ", f);
		qz_mt__print_text(&sc->printer, e2, "< ", f);
	}
	free(e2);
}

static void syscalls_free(struct syscalls *sc)
{
	qz_mt_core__free(sc->core);
	qz_heatmap__free(sc->heatmap);
	qz_stack_printer__free(sc->printer.stacks);
	if (sc->rows.keys)
		qz_u64map__free(&sc->rows);
	free(sc);
}

/* -e as perf-prof takes it: raw_syscalls:sys_enter, then raw_syscalls:sys_exit. */
static int check_event(struct syscalls *sc, int idx, const char *name)
{
	struct qz_tp_event *tp = qz_session__tp_event(sc->session, idx);

	if (tp && !strcmp(qz_tp_event__sys(tp), "raw_syscalls") &&
	    !strcmp(qz_tp_event__name(tp), name))
		return 0;
	qz_session__log(sc->session, QZ_LOG_ERROR,
			"syscalls relates raw_syscalls:sys_enter to raw_syscalls:sys_exit, not '%s': use -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit (filters allowed)",
			qz_session__event_name(sc->session, idx));
	return -QZ_ERR_OPTION;
}

static int resolve_key(struct syscalls *sc, int idx, const char *key,
		       struct mt_event_cfg *cfg)
{
	const struct qz_event_spec *spec = qz_session__spec(sc->session, idx);
	const char *k = spec->key ? spec->key : key;
	const char *attr = spec->key ? "key" : "-k";

	if (!is_field_name(k)) {
		cfg->key_expr = qz_session__expr(sc->session, idx, attr, k);
		return cfg->key_expr ? 0 : -errno;
	}
	return qz_mt__resolve_field(sc->session, idx, attr, k, &cfg->key);
}

static int syscalls_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct syscalls_opts *opts = qz_session__ops_opts(s);
	struct mt_event_cfg evs[2] = { { .pos = 0 }, { .pos = 1 } };
	const char *sel[2] = { "raw_syscalls:sys_enter", "raw_syscalls:sys_exit" };
	struct syscalls *sc;
	int err = 0;

	if (env->events.n && env->events.n != 2) {
		qz_session__log(s, QZ_LOG_ERROR,
				"syscalls takes -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit, or no -e");
		return -QZ_ERR_OPTION;
	}
	sc = calloc(1, sizeof(*sc));
	if (!sc)
		return -ENOMEM;
	sc->session = s;
	sc->out = qz_session__output(s);
	sc->printer.session = s;
	sc->perins = opts->perins;
	sc->than = opts->than;
	sc->interval_start = now_ns();
	err = qz_u64map__init(&sc->rows, sizeof(struct sc_row));
	for (int i = 0; i < 2 && !err; i++) {
		int idx = qz_session__add_events(s, env->events.n ? env->events.v[i] : sel[i], 0);

		if (idx < 0)
			err = idx;
		else if (idx != i || qz_session__nr_events(s) != i + 1)
			err = check_event(sc, qz_session__nr_events(s) - 1, "");
		else
			err = check_event(sc, i, i ? "sys_exit" : "sys_enter");
	}
	if (!err)
		err = resolve_key(sc, 0, opts->key ?: "common_pid", &evs[0]);
	if (!err)
		err = resolve_key(sc, 1, opts->key ?: "common_pid", &evs[1]);
	if (!err)
		err = qz_mt__resolve_field(s, 0, "field", "id", &sc->enter_id);
	if (!err)
		err = qz_mt__resolve_field(s, 1, "field", "id", &sc->exit_id);
	if (!err)
		err = qz_mt__resolve_field(s, 1, "field", "ret", &sc->exit_ret);
	if (!err && sc->than) {
		for (int i = 0; i < 2; i++)
			if (qz_session__spec(s, i)->stack || env->callchain)
				sc->printer.stacks = sc->printer.stacks ?: qz_stack_printer__new();
	}
	if (!err && opts->heatmap) {
		char path[4096];
		size_t len = strlen(opts->heatmap);

		snprintf(path, sizeof(path), "%s%s", opts->heatmap,
			 len >= 4 && !strcmp(opts->heatmap + len - 4, ".svg") ? "" : ".svg");
		sc->heatmap = qz_heatmap__new(path, env->interval_ns / 10);
		if (!sc->heatmap)
			err = -ENOMEM;
	}
	if (!err) {
		struct mt_core_opts o = {
			.nr_events = 2,
			.events = evs,
			.nr_pos = 2,
			.impl = MT_IMPL_DELAY,
			.key_tid = true,
			.than = opts->than,
			.keep_records = opts->than != 0,
			.outlier = on_outlier,
			.latency = sc->heatmap ? on_latency : NULL,
			.paired = on_paired,
			.stash = stash_id,
			.ctx = sc,
		};

		sc->core = qz_mt_core__new(&o);
		if (!sc->core)
			err = -ENOMEM;
	}
	if (err) {
		syscalls_free(sc);
		return err;
	}
	/* A thread enters on one CPU and may leave on another. */
	env->order = true;
	*ctx = sc;
	return 0;
}

static void syscalls_sample(void *ctx, const struct qz_event *ev)
{
	struct syscalls *sc = ctx;

	if (ev->sample->callchain_nr && sc->printer.stacks)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(sc->printer.stacks),
				       (pid_t)ev->sample->pid);
	qz_mt_core__event(sc->core, ev, qz_mt_core__key(sc->core, ev), MT_ROLE_ANY);
}

static int row_cmp(const void *a, const void *b)
{
	const struct sc_row *x = *(const struct sc_row *const *)a;
	const struct sc_row *y = *(const struct sc_row *const *)b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	/* the busiest syscalls first, as perf-prof sorts them */
	if (x->hist.sum != y->hist.sum)
		return x->hist.sum > y->hist.sum ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static const char *tid_comm(struct syscalls *sc, uint32_t tid)
{
	struct qz_tasks *tasks = qz_session__tasks(sc->session);
	const char *comm = tasks && tid != OTHER_TID ? qz_tasks__comm(tasks, (pid_t)tid) : NULL;

	return comm ? comm : "";
}

static void report_json(struct syscalls *sc, struct qz_output *out, struct sc_row **rows,
			size_t nr, uint64_t now, bool final)
{
	struct qz_json *j = qz_output__begin(out, "syscalls", now);
	struct qz_session_stats st = { .sz = sizeof(st) };

	qz_json__key_u64(j, "interval_ns", now - sc->interval_start);
	qz_json__key_bool(j, "final", final);
	qz_json__key(j, "rows");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		const struct sc_row *r = rows[i];
		const char *name = syscall_name(r->id);

		qz_json__begin_object(j);
		if (sc->perins) {
			if (r->tid == OTHER_TID) {
				qz_json__key_bool(j, "other", true);
			} else {
				qz_json__key_u64(j, "tid", r->tid);
				qz_json__key_str(j, "comm", tid_comm(sc, r->tid));
			}
		}
		qz_json__key_u64(j, "id", r->id);
		qz_json__key_str(j, "name", name ? name : "");
		qz_json__key_u64(j, "calls", r->hist.count);
		qz_json__key_u64(j, "total", r->hist.sum);
		qz_json__key_u64(j, "min", r->hist.min);
		qz_json__key_u64(j, "avg", r->hist.count ? r->hist.sum / r->hist.count : 0);
		qz_json__key_u64(j, "p50", qz_hist__quantile(&r->hist, 0.50));
		qz_json__key_u64(j, "p99", qz_hist__quantile(&r->hist, 0.99));
		qz_json__key_u64(j, "max", r->hist.max);
		qz_json__key_u64(j, "errors", r->errors);
		if (sc->than)
			qz_json__key_u64(j, "over", r->over);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key_u64(j, "events", sc->core->events);
	qz_json__key_u64(j, "pending", sc->core->pending.nr);
	qz_json__key_u64(j, "mismatched", sc->mismatched);
	qz_session__stats(sc->session, &st);
	qz_json__key_u64(j, "late", st.late);
	qz_json__key_u64(j, "lost", st.lost);
	qz_output__end(out);
}

static void report_text(struct syscalls *sc, struct sc_row **rows, size_t nr, FILE *f)
{
	fputc('\n', f);
	if (sc->perins)
		fprintf(f, "%-7s %-16s ", "thread", "comm");
	fprintf(f, "%-20s %8s %16s %12s %12s %12s %12s %6s%s\n", "syscalls", "calls", "total(us)",
		"min(us)", "avg(us)", "p99(us)", "max(us)", "err", sc->than ? "   than(reqs)" : "");
	for (size_t i = 0; i < nr; i++) {
		const struct sc_row *r = rows[i];
		const struct qz_hist *h = &r->hist;
		const char *name = syscall_name(r->id);
		char label[64];

		if (sc->perins) {
			if (r->tid == OTHER_TID)
				fprintf(f, "%-7s %-16s ", "(other)", "");
			else
				fprintf(f, "%-7u %-16s ", r->tid, tid_comm(sc, r->tid));
		}
		if (name)
			snprintf(label, sizeof(label), "%s(%u)", name, r->id);
		else
			snprintf(label, sizeof(label), "%u", r->id);
		fprintf(f, "%-20s %8" PRIu64 " %16.3f %12.3f %12.3f %12.3f %12.3f %6" PRIu64, label,
			h->count, h->sum / 1e3, h->min / 1e3, h->count ? h->sum / 1e3 / h->count : 0.0,
			qz_hist__quantile(h, 0.99) / 1e3, h->max / 1e3, r->errors);
		if (sc->than)
			fprintf(f, " %6" PRIu64 " (%3" PRIu64 "%%)", r->over,
				h->count ? r->over * 100 / h->count : 0);
		fputc('\n', f);
	}
}

/* The rows so far, sorted, as a report; 0 or -ENOMEM. */
static int report(struct syscalls *sc, struct qz_output *out, uint64_t now, bool final)
{
	struct sc_row **rows = malloc((sc->rows.nr ?: 1) * sizeof(*rows));
	size_t pos = 0, nr = 0;
	uint64_t key;
	void *val;

	if (!rows)
		return -ENOMEM;
	while (qz_u64map__next(&sc->rows, &pos, &key, &val))
		rows[nr++] = val;
	qsort(rows, nr, sizeof(*rows), row_cmp);
	if (qz_output__json(out))
		report_json(sc, out, rows, nr, now, final);
	else if (nr && qz_output__file(out))
		report_text(sc, rows, nr, qz_output__file(out));
	free(rows);
	return 0;
}

static void syscalls_interval(void *ctx, struct qz_output *out, bool final)
{
	struct syscalls *sc = ctx;
	uint64_t now = now_ns();

	if (report(sc, out, now, final))
		return;
	qz_u64map__clear(&sc->rows);
	sc->interval_start = now;
	if (final && sc->heatmap) {
		int err = qz_heatmap__write(sc->heatmap, "syscalls latency");

		if (err)
			qz_session__log(sc->session, QZ_LOG_ERROR, "--heatmap: cannot write the SVG: %s",
					qz_strerror(err));
	}
}

/* SIGUSR1: the rows of the interval so far. */
static void syscalls_status(void *ctx, struct qz_output *out)
{
	report(ctx, out, now_ns(), false);
}

static void syscalls_deinit(void *ctx)
{
	syscalls_free(ctx);
}

static const struct qz_option syscalls_options[] = {
	QZ_OPTION_ENTRY(struct syscalls_opts, key, "key", 'k', QZ_OPTION_STRING, "FIELD",
			"field relating sys_enter to sys_exit (default common_pid: the thread)"),
	QZ_OPTION_ENTRY(struct syscalls_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"print each syscall slower than TIME, and count them per row"),
	QZ_OPTION_ENTRY(struct syscalls_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"rows per thread and syscall"),
	QZ_OPTION_ENTRY(struct syscalls_opts, heatmap, "heatmap", 0, QZ_OPTION_STRING, "FILE",
			"write a latency heatmap (FILE.svg)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_syscalls = {
	.name = "syscalls",
	.help = "system call latency and error counts per syscall (and per thread with --perins)",
	.usage = "Without -e it traces raw_syscalls:sys_enter and raw_syscalls:sys_exit.\n"
		 "examples:\n"
		 "  quazar syscalls -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -p 1 --perins\n"
		 "  quazar syscalls -e raw_syscalls:sys_enter -e raw_syscalls:sys_exit -k common_pid --order -C 0\n"
		 "  quazar syscalls -C 0 --than 10ms",
	.options = syscalls_options,
	.opts_size = sizeof(struct syscalls_opts),
	.attrs = QZ_PATTR_KEY,
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.default_order = true,
		.init = syscalls_init,
		.sample = syscalls_sample,
		.interval = syscalls_interval,
		.deinit = syscalls_deinit,
		.status = syscalls_status,
	},
};
