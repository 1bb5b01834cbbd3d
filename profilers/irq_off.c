// SPDX-License-Identifier: MIT
/*
 * irq-off: find where interrupts stay disabled. A cpu-clock timer ticks
 * every --period on each CPU, in hard-interrupt context: while a CPU runs
 * with interrupts off the tick cannot fire, and fires as soon as they are
 * back on. A gap between two ticks longer than --than is printed with the
 * stack of the late tick (-g), which is where interrupts came back on:
 * the end of the section that held them off.
 *
 * Each interval reports the gaps per CPU (p50, p99, max, count over
 * --than), and reads every CPU's clock to name a CPU whose tick is late
 * right now. In a VM a vCPU the host does not run misses its ticks too:
 * such gaps are the host's, not the guest kernel's (no stack points at
 * an interrupt-enabling function then).
 *
 * Memory: one struct qz_hist (7.7 KiB) per CPU.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "callchain.h"
#include "groupcount.h"

/* Options beyond the common ones (irq_off_options below). */
struct irq_off_opts {
	uint64_t freq;
	uint64_t period;
	uint64_t than;
};

struct irq_off_cpu {
	struct qz_hist gaps;
	uint64_t over;
	uint64_t waiting;	/* at the last interval: ns since its last tick */
};

struct irq_off {
	struct qz_session *session;
	struct qz_output *out;
	struct groupcount g;
	struct qz_stack_printer *stacks;
	uint64_t period, than;
	struct irq_off_cpu *cpus;	/* [nr_cpus] */
	uint64_t interval_start, gaps_over;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void irq_off_free(struct irq_off *o)
{
	qz_groupcount__free(&o->g);
	qz_stack_printer__free(o->stacks);
	free(o->cpus);
	free(o);
}

static int irq_off_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct irq_off_opts *opts = qz_session__ops_opts(s);
	struct irq_off *o;
	int err;

	err = qz_groupcount__check_scope(s, "irq-off");
	if (err)
		return err;
	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"irq-off runs its own timer and takes no -e; to sample on a timer with events use quazar hrtimer");
		return -QZ_ERR_OPTION;
	}
	if (!opts->freq && !opts->period) {
		qz_session__log(s, QZ_LOG_ERROR,
				"irq-off needs its tick: --period TIME (e.g. --period 10ms --than 20ms) or -F HZ");
		return -QZ_ERR_OPTION;
	}
	if (opts->freq && opts->period) {
		qz_session__log(s, QZ_LOG_ERROR, "give -F or --period, not both");
		return -QZ_ERR_OPTION;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->session = s;
	o->out = qz_session__output(s);
	o->period = opts->period ?: 1000000000ull / opts->freq;
	o->than = opts->than;
	o->interval_start = now_ns();
	/* A fixed period even under -F: a frequency would move the timer. */
	err = qz_groupcount__init(&o->g, s, o->period, 0, PERF_SAMPLE_IP);
	if (!err && !(o->cpus = calloc((size_t)o->g.nr_cpus, sizeof(*o->cpus))))
		err = -ENOMEM;
	if (!err && env->callchain && !(o->stacks = qz_stack_printer__new()))
		err = -ENOMEM;
	if (err) {
		irq_off_free(o);
		return err;
	}
	for (long c = 0; c < o->g.nr_cpus; c++)
		QZ_HIST_INIT(&o->cpus[c].gaps);
	*ctx = o;
	return 0;
}

static void print_gap(struct irq_off *o, const struct qz_event *ev, uint64_t gap)
{
	const struct qz_sample *smp = ev->sample;
	const char *comm = qz_event__comm(ev);
	/* x86-64 and arm64 kernels live in the upper half of the address space */
	bool kernel = (int64_t)smp->ip < 0;

	if (o->stacks && smp->callchain_nr)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(o->stacks),
				       (pid_t)smp->pid);
	if (qz_output__json(o->out)) {
		struct qz_json *j = qz_output__begin(o->out, "irq_off_gap", smp->time);

		qz_json__key_u64(j, "cpu", smp->cpu);
		qz_json__key_u64(j, "pid", smp->pid);
		qz_json__key_u64(j, "tid", smp->tid);
		qz_json__key_str(j, "comm", comm);
		qz_json__key_u64(j, "gap_ns", gap);
		qz_json__key_u64(j, "period_ns", o->period);
		qz_json__key_bool(j, "in_kernel", kernel);
		if (o->stacks && smp->callchain_nr) {
			qz_json__key(j, "stack");
			qz_stack_printer__json(o->stacks, smp, j);
		}
		qz_output__end(o->out);
		return;
	}
	FILE *f = qz_output__file(o->out);

	fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64 ": irq-off: cpu-clock %" PRIu64
		   " ns%s\n", comm, smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
		smp->time % 1000000000 / 1000, gap,
		kernel ? "" : " (in user space, where interrupts are on: a tick the CPU did not get, e.g. the host did not run it)");
	if (o->stacks && smp->callchain_nr)
		qz_stack_printer__text(o->stacks, smp, f);
}

static void irq_off_sample(void *ctx, const struct qz_event *ev)
{
	struct irq_off *o = ctx;
	uint64_t gap;

	if (!qz_groupcount__tick(&o->g, ev))
		return;
	gap = o->g.delta[o->g.nr];
	qz_hist__record(&o->cpus[ev->sample->cpu].gaps, gap);
	if (o->than && gap > o->than) {
		o->cpus[ev->sample->cpu].over++;
		o->gaps_over++;
		print_gap(o, ev, gap);
	}
}

/* How long each CPU has gone without a tick, right now. */
static void read_waiting(struct irq_off *o)
{
	struct qz_evlist *el = qz_session__evlist(o->session);
	struct qz_evsel *clock = qz_session__evsel(o->session, o->g.leader);
	struct qz_cpu_map *cpus = el ? qz_evlist__cpus(el) : NULL;

	for (int i = 0; cpus && i < qz_cpu_map__nr(cpus); i++) {
		int cpu = qz_cpu_map__cpu(cpus, i);
		QZ_OPTS(qz_counts, c);
		uint64_t last;

		if (cpu < 0 || cpu >= o->g.nr_cpus || !o->g.primed[cpu] ||
		    qz_evsel__read(clock, i, 0, &c))
			continue;
		last = o->g.last[(size_t)cpu * (size_t)(o->g.nr + 1) + (size_t)o->g.nr];
		o->cpus[cpu].waiting = c.val > last ? c.val - last : 0;
	}
}

/* The gaps so far, as a report; reset: start the next interval. */
static void report(struct irq_off *o, struct qz_output *out, bool final, bool reset)
{
	uint64_t now = now_ns();
	struct qz_json *j = NULL;
	FILE *f = NULL;

	read_waiting(o);
	if (!qz_output__json(out) && !qz_output__file(out))
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "irq_off", now);
		qz_json__key_u64(j, "interval_ns", now - o->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_u64(j, "period_ns", o->period);
		qz_json__key_u64(j, "than_ns", o->than);
		qz_json__key(j, "cpus");
		qz_json__begin_array(j);
	} else {
		f = qz_output__file(out);
		fprintf(f, "\nirq-off: ticks every %.3f ms; gaps between ticks:\n%4s %8s %12s %12s %12s %8s\n",
			o->period / 1e6, "CPU", "ticks", "p50(us)", "p99(us)", "max(us)", "over");
	}
	for (long c = 0; c < o->g.nr_cpus; c++) {
		struct irq_off_cpu *pc = &o->cpus[c];
		const struct qz_hist *h = &pc->gaps;

		if (!h->count && !pc->waiting)
			continue;
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_i64(j, "cpu", c);
			qz_json__key_u64(j, "ticks", h->count);
			qz_json__key_u64(j, "p50", qz_hist__quantile(h, 0.50));
			qz_json__key_u64(j, "p99", qz_hist__quantile(h, 0.99));
			qz_json__key_u64(j, "max", h->max);
			qz_json__key_u64(j, "sum", h->sum);
			qz_json__key_u64(j, "over", pc->over);
			qz_json__key_u64(j, "waiting", pc->waiting);
			qz_json__end_object(j);
		} else {
			fprintf(f, "%4ld %8" PRIu64 " %12.3f %12.3f %12.3f %8" PRIu64 "\n", c,
				h->count, qz_hist__quantile(h, 0.50) / 1e3,
				qz_hist__quantile(h, 0.99) / 1e3, h->max / 1e3, pc->over);
			if (o->than && pc->waiting > o->than)
				fprintf(f, "     CPU %ld: no tick for %.3f ms, now\n", c,
					pc->waiting / 1e6);
		}
		if (!reset)
			continue;
		QZ_HIST_INIT(&pc->gaps);
		pc->over = 0;
		pc->waiting = 0;
	}
	if (j) {
		qz_json__end_array(j);
		qz_json__key_u64(j, "gaps_over", o->gaps_over);
		qz_output__end(out);
	}
	if (!reset)
		return;
	o->gaps_over = 0;
	o->interval_start = now;
}

static void irq_off_interval(void *ctx, struct qz_output *out, bool final)
{
	report(ctx, out, final, true);
}

/* SIGUSR1: the interval so far, and how long each CPU is without a tick now. */
static void irq_off_status(void *ctx, struct qz_output *out)
{
	report(ctx, out, false, false);
}

static void irq_off_deinit(void *ctx)
{
	irq_off_free(ctx);
}

static const struct qz_option irq_off_options[] = {
	QZ_OPTION_ENTRY(struct irq_off_opts, freq, "freq", 'F', QZ_OPTION_COUNT, "HZ",
			"tick at HZ on each CPU (as --period 1s/HZ)"),
	QZ_OPTION_ENTRY(struct irq_off_opts, period, "period", 0, QZ_OPTION_TIME, "TIME",
			"tick every TIME on each CPU: 10ms, 500us or ns"),
	QZ_OPTION_ENTRY(struct irq_off_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"print a gap between ticks longer than TIME, with its stack under -g"),
	{ 0 },
};

const struct qz_profiler qz_profiler_irq_off = {
	.name = "irq-off",
	.help = "find interrupts-disabled sections: timer ticks that come late, with the stack where interrupts came back on",
	.usage = "The gap between two ticks of a CPU is printed when it exceeds --than; the\n"
		 "late tick's stack (-g) is where interrupts were enabled again.\n"
		 "examples:\n"
		 "  quazar irq-off --period 10ms --than 20ms -g\n"
		 "  quazar irq-off -C 0 --period 10ms --than 20ms -g -i 200",
	.options = irq_off_options,
	.opts_size = sizeof(struct irq_off_opts),
	.no_nest = "it reads its timer's clock in each tick, which another profiler's events do not carry",
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* each CPU's ticks stand alone */
		.init = irq_off_init,
		.sample = irq_off_sample,
		.interval = irq_off_interval,
		.deinit = irq_off_deinit,
		.status = irq_off_status,
	},
};
