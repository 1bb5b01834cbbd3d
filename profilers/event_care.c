// SPDX-License-Identifier: MIT
/*
 * event-care: are events lost or out of order? (perf-prof's event-care.)
 * Every sample carries its event's counter (PERF_SAMPLE_READ): the count
 * of that event so far on that CPU (or thread), whether sampled or not.
 * Consecutive samples of one instance must differ by exactly the sample
 * period; a larger step is that many events the kernel counted and never
 * delivered. Each instance's samples must come in time order; and the
 * stream as delivered is checked against the newest event seen so far
 * (what --order is for). The kernel's own LOST records are counted too.
 * At the end each event's final count finds what was lost after the last
 * sample of its instance.
 *
 * Problems are printed as they are found; each interval reports per event
 * its samples, lost and out-of-order counts.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "evline.h"
#include "u64map.h"

struct ec_inst {
	uint64_t counter, time;
};

struct ec_event {
	uint64_t samples, lost, out_of_order;
	uint64_t all_samples, all_lost;	/* since the start */
};

struct event_care {
	struct qz_session *session;
	struct qz_output *out;
	struct ec_event *ev;
	int nr_ev;
	bool per_thread;
	struct u64map inst;		/* (event, cpu[, tid]) -> struct ec_inst */
	struct evline line;
	struct qz_stack_printer *stacks;
	uint64_t newest, unordered, kernel_lost, no_counter;
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void ec_free(struct event_care *c)
{
	qz_u64map__free(&c->inst);
	qz_stack_printer__free(c->stacks);
	free(c->ev);
	free(c);
}

static int ec_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	struct event_care *c;
	int err = 0;

	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR, "event-care needs events: -e sys:name");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->session = s;
	c->out = qz_session__output(s);
	c->per_thread = env->pids || env->tids || env->workload;
	c->interval_start = now_ns();
	if (qz_u64map__init(&c->inst, sizeof(struct ec_inst))) {
		free(c);
		return -ENOMEM;
	}
	if (env->callchain) {
		c->stacks = qz_stack_printer__new();
		c->line.stacks = c->stacks;
		if (!c->stacks)
			err = -ENOMEM;
	}
	for (int i = 0; !err && i < env->events.n; i++) {
		err = qz_session__add_events(s, env->events.v[i], PERF_SAMPLE_READ);
		err = err < 0 ? err : 0;
	}
	if (!err) {
		c->nr_ev = qz_session__nr_events(s);
		c->ev = calloc((size_t)c->nr_ev, sizeof(*c->ev));
		if (!c->ev)
			err = -ENOMEM;
	}
	if (err) {
		ec_free(c);
		return err;
	}
	*ctx = c;
	return 0;
}

static void report_now(struct event_care *c, const struct qz_event *ev, const char *what,
		       uint64_t n, uint64_t prev_time)
{
	const char *name = qz_session__event_name(c->session, ev->index);

	if (qz_output__json(c->out)) {
		struct qz_json *j = qz_output__begin(c->out, "event_care_problem", ev->sample->time);

		qz_json__key_str(j, "problem", what);
		qz_json__key_u64(j, "count", n);
		if (prev_time)
			qz_json__key_u64(j, "previous_time", prev_time);
		qz_json__key(j, "at");
		qz_json__begin_object(j);
		qz_evline__json(&c->line, ev, j);
		qz_json__end_object(j);
		qz_output__end(c->out);
		return;
	}
	if (prev_time)
		fprintf(qz_output__file(c->out), "%s %s: %" PRIu64 " < %" PRIu64 "\n", name, what,
			ev->sample->time, prev_time);
	else
		fprintf(qz_output__file(c->out), "%s %s %" PRIu64 " events\n", name, what, n);
	if (c->stacks)
		qz_evline__text(&c->line, ev, qz_output__file(c->out));
}

static void ec_sample(void *ctx, const struct qz_event *ev)
{
	struct event_care *c = ctx;
	const struct qz_sample *smp = ev->sample;
	struct ec_event *e = &c->ev[ev->index];
	uint64_t key = (uint64_t)ev->index << 48 | (uint64_t)(smp->cpu & 0xffff) << 32 |
		       (c->per_thread ? smp->tid : 0);
	uint64_t value, period = smp->period ? smp->period : 1;
	struct ec_inst *in;
	bool created;

	e->samples++;
	e->all_samples++;
	if (smp->time < c->newest)
		c->unordered++;
	else
		c->newest = smp->time;
	in = qz_u64map__put(&c->inst, key, &created);
	if (!in)
		return;
	if (qz_sample__read_entry(smp, 0, &value, NULL, NULL)) {
		c->no_counter++;
		return;
	}
	/* The count since the event was enabled, or since its last sample. */
	if (value - in->counter > period && value > in->counter) {
		uint64_t lost = (value - in->counter) / period - 1;

		e->lost += lost;
		e->all_lost += lost;
		report_now(c, ev, "lost", lost, 0);
	}
	if (!created && smp->time < in->time) {
		e->out_of_order++;
		report_now(c, ev, "out-of-order", 1, in->time);
	}
	in->counter = value;
	in->time = smp->time;
}

static void ec_lost(void *ctx, int cpu, uint64_t lost)
{
	(void)cpu;
	((struct event_care *)ctx)->kernel_lost += lost;
}

/*
 * Events lost after an instance's last sample show in no later sample:
 * at the end, each event's final count (every CPU and thread) says how
 * many there were in all.
 */
static void final_count(struct event_care *c)
{
	for (int i = 0; i < c->nr_ev; i++) {
		struct qz_evsel *evsel = qz_session__evsel(c->session, i);
		const struct perf_event_attr *attr = qz_evsel__attr(evsel);
		uint64_t period = attr->freq || !attr->sample_period ? 0 : attr->sample_period;
		struct ec_event *e = &c->ev[i];
		QZ_OPTS(qz_counts, counts);
		uint64_t made;

		if (!period || qz_evsel__read_total(evsel, &counts))
			continue;
		made = counts.val / period;
		if (made > e->all_samples + e->all_lost) {
			e->lost += made - e->all_samples - e->all_lost;
			e->all_lost = made - e->all_samples;
		}
	}
}

static void ec_interval(void *ctx, struct qz_output *out, bool final)
{
	struct event_care *c = ctx;
	uint64_t now = now_ns();

	/* With -N the events past the N-th were counted but never meant to
	 * be delivered: the final count would call them lost. */
	if (final && !qz_session__env(c->session)->exit_n)
		final_count(c);

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "event_care", now);

		qz_json__key_u64(j, "interval_ns", now - c->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key(j, "events");
		qz_json__begin_array(j);
		for (int i = 0; i < c->nr_ev; i++) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "event", qz_session__event_name(c->session, i));
			qz_json__key_u64(j, "samples", c->ev[i].samples);
			qz_json__key_u64(j, "lost", c->ev[i].lost);
			qz_json__key_u64(j, "out_of_order", c->ev[i].out_of_order);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_json__key_u64(j, "kernel_lost", c->kernel_lost);
		qz_json__key_u64(j, "unordered", c->unordered);
		qz_json__key_u64(j, "no_counter", c->no_counter);
		qz_output__end(out);
	} else {
		FILE *f = qz_output__file(out);

		fprintf(f, "\n%-32s %12s %12s %12s\n", "event", "samples", "lost", "out-of-order");
		for (int i = 0; i < c->nr_ev; i++)
			fprintf(f, "%-32s %12" PRIu64 " %12" PRIu64 " %12" PRIu64 "\n",
				qz_session__event_name(c->session, i), c->ev[i].samples,
				c->ev[i].lost, c->ev[i].out_of_order);
		fprintf(f, "LOST records %" PRIu64 ", delivered out of time order %" PRIu64
			   "%s\n", c->kernel_lost, c->unordered,
			c->unordered && !qz_session__env(c->session)->order ? " (without --order)" : "");
	}
	for (int i = 0; i < c->nr_ev; i++)
		c->ev[i].samples = c->ev[i].lost = c->ev[i].out_of_order = 0;
	c->kernel_lost = c->unordered = c->no_counter = 0;
	c->interval_start = now;
}

static void ec_deinit(void *ctx)
{
	ec_free(ctx);
}

const struct qz_profiler qz_profiler_event_care = {
	.name = "event-care",
	.help = "check events for losses (each sample's counter) and time order",
	.usage = "examples:\n"
		 "  quazar event-care -e sched:sched_wakeup -m 64\n"
		 "  quazar event-care -e 'sched:sched_switch,sched:sched_wakeup' --order -i 1000",
	.ops = {
		.default_interval_ms = 1000,
		.init = ec_init,
		.sample = ec_sample,
		.lost = ec_lost,
		.interval = ec_interval,
		.deinit = ec_deinit,
	},
};
