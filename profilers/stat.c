// SPDX-License-Identifier: MIT
/*
 * stat: count events per interval, aggregated or per CPU (--perins), with
 * values scaled for multiplexing and the share of time they really ran.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include <quazar/threadmap.h>
#include "profiler_table.h"

/* Options beyond the common ones (stat_options below). */
struct stat_opts {
	bool perins;
};

struct stat_prev {
	uint64_t val, ena, run;
};

struct stat {
	struct qz_session *session;
	bool perins;
	int nr_events, nr_cpus;
	struct stat_prev *prev;		/* [event][cpu]: the last reading */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int stat_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct stat_opts *opts = qz_session__ops_opts(s);
	struct stat *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->session = s;
	st->perins = opts->perins;
	st->interval_start = now_ns();
	qz_session__set_counting(s, true);
	for (int i = 0; i < env->events.n; i++) {
		int err = qz_session__add_events(s, env->events.v[i], 0);

		if (err < 0) {
			free(st);
			return err;
		}
	}
	if (!env->events.n) {
		/* perf stat's habit: a useful default set. */
		int err = qz_session__add_events(s,
			"task-clock,context-switches,cpu-migrations,page-faults", 0);

		if (err < 0) {
			free(st);
			return err;
		}
	}
	*ctx = st;
	return 0;
}

/* Counts of one event on one CPU index, summed over the threads. */
static struct qz_counts read_cpu(struct stat *st, struct qz_evsel *evsel,
				 int cpu_idx)
{
	struct qz_evlist *el = qz_session__evlist(st->session);
	int nr_threads = qz_thread_map__nr(qz_evlist__threads(el));
	QZ_OPTS(qz_counts, sum);

	for (int t = 0; t < nr_threads; t++) {
		QZ_OPTS(qz_counts, c);

		if (!qz_evsel__read(evsel, cpu_idx, t, &c))
			qz_counts__add(&sum, &c);
	}
	return sum;
}

/* The difference from the last reading, scaled on its own. */
static struct qz_counts delta(struct stat_prev *prev, const struct qz_counts *now)
{
	QZ_OPTS(qz_counts, d,
		.val = now->val - prev->val,
		.ena = now->ena - prev->ena,
		.run = now->run - prev->run);

	prev->val = now->val;
	prev->ena = now->ena;
	prev->run = now->run;
	qz_counts__scale(&d);
	return d;
}

static bool ensure_prev(struct stat *st)
{
	struct qz_evlist *el = qz_session__evlist(st->session);

	if (st->prev)
		return true;
	st->nr_events = qz_session__nr_events(st->session);
	st->nr_cpus = qz_cpu_map__nr(qz_evlist__cpus(el));
	st->prev = calloc((size_t)(st->nr_events * st->nr_cpus), sizeof(*st->prev));
	return st->prev != NULL;
}

static void json_counts(struct qz_json *j, const struct qz_counts *c)
{
	qz_json__key_u64(j, "value", c->val);
	qz_json__key_double(j, "scaled", c->scaled);
	qz_json__key_double(j, "running_pct", c->running_pct);
}

static void text_counts(FILE *f, const char *cpu, const char *event,
			const struct qz_counts *c)
{
	if (c->not_counted)
		fprintf(f, "%6s %20s  %-28s\n", cpu, "<not counted>", event);
	else
		fprintf(f, "%6s %20.0f  %-28s (%.2f%%)\n", cpu, c->scaled, event,
			c->running_pct);
}

static void stat_interval(void *ctx, struct qz_output *out, bool final)
{
	struct stat *st = ctx;
	struct qz_evlist *el = qz_session__evlist(st->session);
	struct qz_cpu_map *cpus = qz_evlist__cpus(el);
	uint64_t now = now_ns();
	struct qz_json *j = NULL;
	FILE *f = qz_output__file(out);

	(void)final;
	if (!ensure_prev(st))
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "stat", now);
		qz_json__key_u64(j, "interval_ns", now - st->interval_start);
		qz_json__key(j, "counters");
		qz_json__begin_array(j);
	} else {
		fprintf(f, "\n%.3f s interval:\n", (now - st->interval_start) / 1e9);
	}
	for (int e = 0; e < st->nr_events; e++) {
		struct qz_evsel *evsel = qz_session__evsel(st->session, e);
		const char *name = qz_session__event_name(st->session, e);
		QZ_OPTS(qz_counts, total);
		struct qz_counts per[st->nr_cpus];

		for (int c = 0; c < st->nr_cpus; c++) {
			struct qz_counts now_c = read_cpu(st, evsel, c);

			per[c] = delta(&st->prev[e * st->nr_cpus + c], &now_c);
			qz_counts__add(&total, &per[c]);
		}
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "event", name);
			json_counts(j, &total);
			if (st->perins) {
				qz_json__key(j, "per_cpu");
				qz_json__begin_array(j);
				for (int c = 0; c < st->nr_cpus; c++) {
					qz_json__begin_object(j);
					qz_json__key_i64(j, "cpu", qz_cpu_map__cpu(cpus, c));
					json_counts(j, &per[c]);
					qz_json__end_object(j);
				}
				qz_json__end_array(j);
			}
			qz_json__end_object(j);
			continue;
		}
		if (st->perins) {
			for (int c = 0; c < st->nr_cpus; c++) {
				char cpu[16];

				if (qz_cpu_map__cpu(cpus, c) < 0)
					snprintf(cpu, sizeof(cpu), "any");
				else
					snprintf(cpu, sizeof(cpu), "CPU%d", qz_cpu_map__cpu(cpus, c));
				text_counts(f, cpu, name, &per[c]);
			}
		} else {
			text_counts(f, "all", name, &total);
		}
	}
	if (j) {
		qz_json__end_array(j);
		qz_output__end(out);
	}
	st->interval_start = now;
}

static void stat_deinit(void *ctx)
{
	struct stat *st = ctx;

	free(st->prev);
	free(st);
}

static const struct qz_option stat_options[] = {
	QZ_OPTION_ENTRY(struct stat_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"statistics per instance (CPU, thread or key)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_stat = {
	.name = "stat",
	.help = "count events per interval, aggregated or per CPU, scaled for multiplexing",
	.usage = "examples:\n"
		 "  quazar stat -e cpu-clock,page-faults,context-switches -i 1000\n"
		 "  quazar stat -e page-faults -- ./prog\n"
		 "  quazar stat -e 'syscalls:sys_enter_read' --perins -i 1000",
	.options = stat_options,
	.opts_size = sizeof(struct stat_opts),
	.ops = {
		.init = stat_init,
		.interval = stat_interval,
		.deinit = stat_deinit,
	},
};
