// SPDX-License-Identifier: MIT
/*
 * hrcount: high-resolution counting. Each -e is counted on every CPU in
 * slots of --period within each interval: with -i 1000 --period 100ms a
 * report shows ten counts per event, "12|3|0|...", so bursts shorter than
 * the interval show. A cpu-clock timer leads the counted events (see
 * groupcount.h): each tick carries the counts since the last one, and
 * ticks fill the slots of their CPU in order. A round is reported when
 * every CPU has filled it. A tick that comes late (a CPU that could not
 * take its timer interrupt) covers the slots it missed: their counts go
 * into the slot of the late tick, and the missed slots stay 0.
 *
 * Memory: 2 rounds x CPUs x events x slots x 8 bytes.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "groupcount.h"

/* Options beyond the common ones (hrcount_options below). */
struct hrcount_opts {
	uint64_t period;
	bool perins;
};

#define MAX_SLOTS 1000

struct hrcount {
	struct qz_session *session;
	struct qz_output *out;
	struct groupcount g;
	uint64_t period;
	int slots;			/* per round: interval / period */
	bool perins;
	uint64_t *counts;		/* [2][cpu][event][slot] */
	uint64_t *pos;			/* [cpu]: ticks placed so far */
	uint8_t *active;		/* [cpu]: in the CPU map */
	bool learnt;			/* active[] filled from the CPU map */
	uint64_t round;			/* the next round to report */
	uint64_t forced, missed;	/* rounds reported before every CPU filled them; slots skipped */
	uint64_t started;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t *slot_row(struct hrcount *h, uint64_t round, long cpu, int ev)
{
	size_t per_round = (size_t)h->g.nr_cpus * (size_t)h->g.nr * (size_t)h->slots;

	return h->counts + (round & 1) * per_round +
	       ((size_t)cpu * (size_t)h->g.nr + (size_t)ev) * (size_t)h->slots;
}

static void hrcount_free(struct hrcount *h)
{
	qz_groupcount__free(&h->g);
	free(h->counts);
	free(h->pos);
	free(h->active);
	free(h);
}

static int hrcount_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct hrcount_opts *opts = qz_session__ops_opts(s);
	uint64_t interval = env->interval_ns ?: 1000000000ull;
	struct hrcount *h;
	int err;

	err = qz_groupcount__check_scope(s, "hrcount");
	if (err)
		return err;
	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"hrcount counts events: give them with -e (e.g. -e sched:sched_switch --period 100ms)");
		return -QZ_ERR_OPTION;
	}
	if (opts->period > interval || (opts->period && interval / opts->period > MAX_SLOTS)) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--period must split the interval (-i %" PRIu64 " ms) into 1 to %d slots",
				interval / 1000000, MAX_SLOTS);
		return -QZ_ERR_OPTION;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->session = s;
	h->out = qz_session__output(s);
	h->perins = opts->perins;
	h->period = opts->period ?: interval;
	h->slots = (int)(interval / h->period);
	h->started = now_ns();
	env->interval_ns = interval;
	err = qz_groupcount__init(&h->g, s, h->period, 0, 0);
	if (!err) {
		h->counts = calloc(2 * (size_t)h->g.nr_cpus * (size_t)h->g.nr * (size_t)h->slots,
				   sizeof(*h->counts));
		h->pos = calloc((size_t)h->g.nr_cpus, sizeof(*h->pos));
		h->active = calloc((size_t)h->g.nr_cpus, 1);
		if (!h->counts || !h->pos || !h->active)
			err = -ENOMEM;
	}
	if (err) {
		hrcount_free(h);
		return err;
	}
	*ctx = h;
	return 0;
}

/* The CPUs the timer runs on, learnt once the events are open. */
static void learn_cpus(struct hrcount *h)
{
	struct qz_evlist *el = qz_session__evlist(h->session);
	struct qz_cpu_map *cpus = el ? qz_evlist__cpus(el) : NULL;

	if (h->learnt || !cpus)
		return;
	h->learnt = true;
	for (int i = 0; cpus && i < qz_cpu_map__nr(cpus); i++) {
		int cpu = qz_cpu_map__cpu(cpus, i);

		if (cpu >= 0 && cpu < h->g.nr_cpus)
			h->active[cpu] = 1;
	}
}

/* Slot s of event e in the round being reported: one CPU's, or all (-1). */
static uint64_t slot_value(struct hrcount *h, long cpu, int e, int s)
{
	uint64_t v = 0;

	if (cpu >= 0)
		return slot_row(h, h->round, cpu, e)[s];
	for (long k = 0; k < h->g.nr_cpus; k++)
		v += h->active[k] ? slot_row(h, h->round, k, e)[s] : 0;
	return v;
}

static void show_round(struct hrcount *h, struct qz_output *out, bool final, int filled)
{
	uint64_t now = now_ns();
	int nr = h->g.nr;

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "hrcount", now);

		qz_json__key_u64(j, "round", h->round);
		qz_json__key_u64(j, "period_ns", h->period);
		qz_json__key_u64(j, "slots", (uint64_t)filled);
		qz_json__key_bool(j, "final", final);
		qz_json__key(j, "rows");
		qz_json__begin_array(j);
		for (long c = h->perins ? 0 : -1; c < (h->perins ? h->g.nr_cpus : 0); c++) {
			if (c >= 0 && !h->active[c])
				continue;
			for (int e = 0; e < nr; e++) {
				uint64_t total = 0;

				qz_json__begin_object(j);
				qz_json__key_str(j, "event", h->g.names[e]);
				if (h->perins)
					qz_json__key_i64(j, "cpu", c);
				qz_json__key(j, "counts");
				qz_json__begin_array(j);
				for (int s = 0; s < filled; s++) {
					uint64_t v = slot_value(h, c, e, s);

					total += v;
					qz_json__u64(j, v);
				}
				qz_json__end_array(j);
				qz_json__key_u64(j, "total", total);
				qz_json__end_object(j);
			}
		}
		qz_json__end_array(j);
		qz_json__key_u64(j, "forced", h->forced);
		qz_json__key_u64(j, "missed", h->missed);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		FILE *f = qz_output__file(out);
		int width = 0;

		for (int e = 0; e < nr; e++) {
			int w = (int)strlen(h->g.names[e]);

			width = w > width ? w : width;
		}
		fprintf(f, "\nhrcount: %.3f s, %d x %.3f ms\n", (now - h->started) / 1e9, filled,
			h->period / 1e6);
		for (long c = h->perins ? 0 : -1; c < (h->perins ? h->g.nr_cpus : 0); c++) {
			if (c >= 0 && !h->active[c])
				continue;
			for (int e = 0; e < nr; e++) {
				if (h->perins)
					fprintf(f, "[%03ld] ", c);
				fprintf(f, "%*s ", width, h->g.names[e]);
				for (int s = 0; s < filled; s++)
					fprintf(f, "%s%" PRIu64, s ? "|" : "",
						slot_value(h, c, e, s));
				fputc('\n', f);
			}
		}
	}
}

static void report_round(struct hrcount *h, bool final, int filled)
{
	show_round(h, h->out, final, filled);
	for (long c = 0; c < h->g.nr_cpus; c++)
		for (int e = 0; e < h->g.nr; e++)
			memset(slot_row(h, h->round, c, e), 0, (size_t)h->slots * sizeof(uint64_t));
	h->round++;
}

/* Report every round all CPUs have filled. */
static void flush_rounds(struct hrcount *h)
{
	for (;;) {
		uint64_t end = (h->round + 1) * (uint64_t)h->slots;
		bool done = true, any = false;

		for (long c = 0; c < h->g.nr_cpus && done; c++) {
			done = !h->active[c] || h->pos[c] >= end;
			any |= h->active[c];
		}
		if (!done || !any)
			return;
		report_round(h, false, h->slots);
	}
}

static void hrcount_sample(void *ctx, const struct qz_event *ev)
{
	struct hrcount *h = ctx;
	long cpu = (long)ev->sample->cpu;
	uint64_t clock, r;
	int s;

	if (!qz_groupcount__tick(&h->g, ev))
		return;
	learn_cpus(h);
	h->active[cpu] = 1;
	clock = h->g.delta[h->g.nr];
	/* A late tick covers the slots it missed: they stay empty. */
	if (clock >= 2 * h->period) {
		h->pos[cpu] += clock / h->period - 1;
		h->missed += clock / h->period - 1;
	}
	r = h->pos[cpu] / (uint64_t)h->slots;
	/* Two rounds are kept: one CPU far ahead reports the oldest as it is. */
	while (r >= h->round + 2) {
		h->forced++;
		report_round(h, false, h->slots);
	}
	if (r < h->round) {
		/* behind a forced report: its counts join the round in progress */
		r = h->round;
		h->pos[cpu] = r * (uint64_t)h->slots;
	}
	s = (int)(h->pos[cpu] % (uint64_t)h->slots);
	for (int e = 0; e < h->g.nr; e++)
		slot_row(h, r, cpu, e)[s] += h->g.delta[e];
	h->pos[cpu]++;
	flush_rounds(h);
}

/* The slots each CPU has filled in the round in progress. */
static int filled(struct hrcount *h)
{
	uint64_t most = 0, start = h->round * (uint64_t)h->slots;

	for (long c = 0; c < h->g.nr_cpus; c++)
		if (h->active[c] && h->pos[c] > start && h->pos[c] - start > most)
			most = h->pos[c] - start;
	return most < (uint64_t)h->slots ? (int)most : h->slots;
}

static void hrcount_interval(void *ctx, struct qz_output *out, bool final)
{
	struct hrcount *h = ctx;
	uint64_t most = 0;

	(void)out;
	learn_cpus(h);
	flush_rounds(h);
	if (!final)
		return;
	most = (uint64_t)filled(h);
	if (most)
		report_round(h, true, (int)most);
}

/* SIGUSR1: the round in progress, its slots so far. */
static void hrcount_status(void *ctx, struct qz_output *out)
{
	struct hrcount *h = ctx;

	show_round(h, out, false, filled(h));
}

static void hrcount_deinit(void *ctx)
{
	hrcount_free(ctx);
}

static const struct qz_option hrcount_options[] = {
	QZ_OPTION_ENTRY(struct hrcount_opts, period, "period", 0, QZ_OPTION_TIME, "TIME",
			"count in slots of TIME within each interval (default: the interval)"),
	QZ_OPTION_ENTRY(struct hrcount_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"counts per CPU"),
	{ 0 },
};

const struct qz_profiler qz_profiler_hrcount = {
	.name = "hrcount",
	.help = "high-resolution counting: each event's count in every --period slot of the interval, per CPU or summed",
	.usage = "Reports come when every CPU has filled a round of interval/period slots.\n"
		 "examples:\n"
		 "  quazar hrcount -e sched:sched_switch,irq:irq_handler_entry --period 100ms -i 1000\n"
		 "  quazar hrcount -e 'sched:sched_wakeup//alias=wakeup/' -C 0-1 --period 10ms -i 100 --perins",
	.options = hrcount_options,
	.opts_size = sizeof(struct hrcount_opts),
	.no_nest = "its timer leads a group of events the kernel counts, and a group does not join another profiler's events",
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* each CPU's ticks stand alone */
		.init = hrcount_init,
		.sample = hrcount_sample,
		.interval = hrcount_interval,
		.deinit = hrcount_deinit,
		.status = hrcount_status,
	},
};
