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
	uint64_t period;	/* --period: a count per period, as hrcount */
};

#define MAX_SLOTS 4096		/* periods kept per interval */

struct stat_prev {
	uint64_t val, ena, run;
};

struct stat {
	struct qz_session *session;
	bool perins;
	int nr_events, nr_cpus;
	struct stat_prev *prev;		/* [event][cpu]: the last reading */
	uint64_t interval_start;
	/* --period: slot counts [event][cpu][slot] since the interval began */
	uint64_t period_ns;
	struct stat_prev *pprev;	/* [event][cpu]: the reading at the last period */
	uint64_t *slots;
	int nr_slots, max_slots;
	uint64_t slots_dropped;
	uint64_t last_tick;
	uint64_t per_interval;		/* periods per report; 0: at exit */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void stat_tick(void *ctx);

static int stat_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct stat_opts *opts = qz_session__ops_opts(s);
	struct stat *st = calloc(1, sizeof(*st));

	if (!st)
		return -ENOMEM;
	st->session = s;
	st->perins = opts->perins;
	st->interval_start = st->last_tick = now_ns();
	qz_session__set_counting(s, true);
	if (opts->period) {
		/* perf-prof: -i defaults to 1000 ms, --period to -i. */
		if (!env->interval_ns && !env->workload)
			env->interval_ns = 1000000000ull;
		if (env->interval_ns && opts->period > env->interval_ns) {
			qz_session__log(s, QZ_LOG_ERROR,
					"--period is longer than -i: give a period within the interval");
			free(st);
			return -QZ_ERR_OPTION;
		}
		st->period_ns = opts->period;
		st->max_slots = env->interval_ns ?
			(int)(env->interval_ns / opts->period) + 2 : MAX_SLOTS;
		if (st->max_slots > MAX_SLOTS)
			st->max_slots = MAX_SLOTS;
		/*
		 * The periods drive the reports, so that each interval holds
		 * exactly -i / --period of them: the session's own interval
		 * timer would drift against the period timer.
		 */
		st->per_interval = env->interval_ns ? env->interval_ns / opts->period : 0;
		env->interval_ns = 0;
	}
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
	if (st->period_ns)
		qz_session__set_tick(s, st->period_ns, stat_tick);
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
/* The difference from the last reading, scaled; prev moves on when commit. */
static struct qz_counts delta(struct stat_prev *prev, const struct qz_counts *now,
			      bool commit)
{
	QZ_OPTS(qz_counts, d,
		.val = now->val - prev->val,
		.ena = now->ena - prev->ena,
		.run = now->run - prev->run);

	if (commit) {
		prev->val = now->val;
		prev->ena = now->ena;
		prev->run = now->run;
	}
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
	if (st->period_ns) {
		st->pprev = calloc((size_t)(st->nr_events * st->nr_cpus), sizeof(*st->pprev));
		st->slots = calloc((size_t)(st->nr_events * st->nr_cpus * st->max_slots),
				   sizeof(*st->slots));
	}
	return st->prev && (!st->period_ns || (st->pprev && st->slots));
}

static uint64_t *slot_row(struct stat *st, int e, int c)
{
	return &st->slots[((size_t)e * (size_t)st->nr_cpus + (size_t)c) * (size_t)st->max_slots];
}

/*
 * --period: the counts of one more period, hrcount's "count per slot". At
 * the end of an interval, a remainder shorter than half a period (the
 * interval and period timers fire together) joins the last slot.
 */
static void period_read(struct stat *st, bool remainder)
{
	uint64_t now = now_ns();
	bool join = remainder && st->nr_slots &&
		    now - st->last_tick < st->period_ns / 2;

	if (!ensure_prev(st))
		return;
	st->last_tick = now;
	if (!join && st->nr_slots == st->max_slots) {
		st->slots_dropped++;
		return;
	}
	for (int e = 0; e < st->nr_events; e++) {
		struct qz_evsel *evsel = qz_session__evsel(st->session, e);

		for (int c = 0; c < st->nr_cpus; c++) {
			struct qz_counts now_c = read_cpu(st, evsel, c);
			struct qz_counts d = delta(&st->pprev[e * st->nr_cpus + c], &now_c, true);
			uint64_t v = (uint64_t)(d.scaled + 0.5);

			if (join)
				slot_row(st, e, c)[st->nr_slots - 1] += v;
			else
				slot_row(st, e, c)[st->nr_slots] = v;
		}
	}
	if (!join)
		st->nr_slots++;
}

static void stat_report(struct stat *st, struct qz_output *out, bool commit);

static void stat_tick(void *ctx)
{
	struct stat *st = ctx;

	period_read(st, false);
	if (st->per_interval && (uint64_t)st->nr_slots >= st->per_interval) {
		struct qz_output *out = qz_session__output(st->session);

		stat_report(st, out, true);
		qz_output__flush(out);
	}
}

static void text_slots(FILE *f, const char *cpu, const char *event, const uint64_t *row,
		       int nr, uint64_t total)
{
	fprintf(f, "[%s] %s ", cpu, event);
	for (int i = 0; i < nr; i++)
		fprintf(f, "%" PRIu64 "|", row[i]);
	fprintf(f, " total %" PRIu64 "\n", total);
}

static void json_slots(struct qz_json *j, const uint64_t *rows, int nr_rows, int stride, int nr)
{
	qz_json__key(j, "periods");
	qz_json__begin_array(j);
	for (int i = 0; i < nr; i++) {
		uint64_t v = 0;

		for (int r = 0; r < nr_rows; r++)
			v += rows[(size_t)r * (size_t)stride + (size_t)i];
		qz_json__u64(j, v);
	}
	qz_json__end_array(j);
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

/* A report of the interval so far; commit starts the next interval. */
static void stat_report(struct stat *st, struct qz_output *out, bool commit)
{
	struct qz_evlist *el = qz_session__evlist(st->session);
	struct qz_cpu_map *cpus = qz_evlist__cpus(el);
	uint64_t now = now_ns();
	struct qz_json *j = NULL;
	FILE *f = qz_output__file(out);

	if (!ensure_prev(st))
		return;
	if (st->period_ns && commit)
		period_read(st, true);	/* the last, partial period */
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "stat", now);
		qz_json__key_u64(j, "interval_ns", now - st->interval_start);
		if (st->period_ns)
			qz_json__key_u64(j, "period_ns", st->period_ns);
		qz_json__key(j, "counters");
		qz_json__begin_array(j);
	} else if (f && st->period_ns) {
		fprintf(f, "\n%.3f s interval, %d periods of %.3f ms%s:\n",
			(now - st->interval_start) / 1e9, st->nr_slots, st->period_ns / 1e6,
			commit ? "" : " so far");
	} else if (f) {
		fprintf(f, "\n%.3f s interval%s:\n", (now - st->interval_start) / 1e9,
			commit ? "" : " so far");
	} else {
		return;
	}
	for (int e = 0; e < st->nr_events; e++) {
		struct qz_evsel *evsel = qz_session__evsel(st->session, e);
		const char *name = qz_session__event_name(st->session, e);
		QZ_OPTS(qz_counts, total);
		struct qz_counts per[st->nr_cpus];

		for (int c = 0; c < st->nr_cpus; c++) {
			struct qz_counts now_c = read_cpu(st, evsel, c);

			per[c] = delta(&st->prev[e * st->nr_cpus + c], &now_c, commit);
			qz_counts__add(&total, &per[c]);
		}
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "event", name);
			json_counts(j, &total);
			if (st->period_ns)
				json_slots(j, slot_row(st, e, 0), st->nr_cpus, st->max_slots,
					   st->nr_slots);
			if (st->perins) {
				qz_json__key(j, "per_cpu");
				qz_json__begin_array(j);
				for (int c = 0; c < st->nr_cpus; c++) {
					qz_json__begin_object(j);
					qz_json__key_i64(j, "cpu", qz_cpu_map__cpu(cpus, c));
					json_counts(j, &per[c]);
					if (st->period_ns)
						json_slots(j, slot_row(st, e, c), 1, st->max_slots,
							   st->nr_slots);
					qz_json__end_object(j);
				}
				qz_json__end_array(j);
			}
			qz_json__end_object(j);
			continue;
		}
		if (st->period_ns) {
			uint64_t sum[st->nr_slots ?: 1], tot = 0;

			if (st->perins) {
				for (int c = 0; c < st->nr_cpus; c++) {
					char cpu[16];
					uint64_t t = 0;

					for (int i = 0; i < st->nr_slots; i++)
						t += slot_row(st, e, c)[i];
					if (qz_cpu_map__cpu(cpus, c) < 0)
						snprintf(cpu, sizeof(cpu), "any");
					else
						snprintf(cpu, sizeof(cpu), "%03d", qz_cpu_map__cpu(cpus, c));
					text_slots(f, cpu, name, slot_row(st, e, c), st->nr_slots, t);
				}
				continue;
			}
			for (int i = 0; i < st->nr_slots; i++) {
				sum[i] = 0;
				for (int c = 0; c < st->nr_cpus; c++)
					sum[i] += slot_row(st, e, c)[i];
				tot += sum[i];
			}
			text_slots(f, "all", name, sum, st->nr_slots, tot);
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
		if (st->period_ns)
			qz_json__key_u64(j, "periods_dropped", st->slots_dropped);
		qz_output__end(out);
	} else if (st->slots_dropped) {
		fprintf(f, "(%" PRIu64 " periods past %d were not kept)\n", st->slots_dropped,
			st->max_slots);
	}
	if (commit) {
		st->interval_start = now;
		st->nr_slots = 0;
		st->slots_dropped = 0;
	}
}

static void stat_interval(void *ctx, struct qz_output *out, bool final)
{
	(void)final;
	stat_report(ctx, out, true);
}

/* SIGUSR1: the counts of the interval so far, nothing reset. */
static void stat_status(void *ctx, struct qz_output *out)
{
	stat_report(ctx, out, false);
}

static void stat_deinit(void *ctx)
{
	struct stat *st = ctx;

	free(st->prev);
	free(st->pprev);
	free(st->slots);
	free(st);
}

static const struct qz_option stat_options[] = {
	QZ_OPTION_ENTRY(struct stat_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"statistics per instance (CPU, thread or key)"),
	QZ_OPTION_ENTRY(struct stat_opts, period, "period", 0, QZ_OPTION_TIME, "TIME",
			"also count per period of TIME within each interval, as hrcount"),
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
	.nest = false,
	.no_nest = "it counts events rather than reading them one by one",
	.ops = {
		.init = stat_init,
		.interval = stat_interval,
		.deinit = stat_deinit,
		.status = stat_status,
	},
};
