// SPDX-License-Identifier: MIT
/*
 * watchdog: hard and soft lockups, seen coming. It follows the kernel's
 * own detectors (wd_core.h) on the CPUs of /proc/sys/kernel/watchdog_cpumask:
 *  - timer:hrtimer_expire_entry of watchdog_timer_fn: the CPU's watchdog
 *    timer ran (it feeds the hard lockup detector and kicks the stopper);
 *  - sched:sched_switch to migration/N: the stopper ran softlockup_fn,
 *    the CPU's proof that it still schedules;
 *  - a sampler on every CPU at -F Hz, with -g its stack: "cycles" where
 *    the CPU has a PMU (an NMI on x86, so it samples a CPU that has
 *    interrupts off), else cpu-clock (a timer interrupt: it samples such a
 *    CPU only when interrupts come back on, at the end of the section).
 * A CPU whose stopper has not run for --soft (default watchdog_thresh,
 * half the kernel's limit) or whose timer has not run for --hard (default
 * watchdog_thresh / 2) is reported with the stack the sampler took there.
 * Each interval reports, per CPU, the longest gaps seen.
 *
 * Memory: per CPU, a few counters and the last sample's callchain.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/attr.h>
#include <quazar/cpumap.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include <quazar/threadmap.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "callchain.h"
#include "wd_core.h"

/* Options beyond the common ones (watchdog_options below). */
struct watchdog_opts {
	uint64_t freq;
	uint64_t soft, hard;
};

#define DEFAULT_FREQ 1

struct last_sample {
	uint64_t time;
	uint32_t pid, tid;
	uint64_t nr;
	uint64_t *ips;		/* owned */
	char comm[16];
};

struct watchdog {
	struct qz_session *session;
	struct qz_output *out;
	struct wd_core core;
	int i_tick, i_switch, i_sampler;
	const struct qz_tp_field *next_comm;
	const char *sampler;		/* "cycles" or "cpu-clock" */
	int thresh;			/* watchdog_thresh, s */
	struct qz_stack_printer *stacks;
	struct last_sample *last;	/* [cpu] */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A line of a /proc/sys file, without its newline, into buf; 0 or -errno. */
static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return err;
}

/* The address of a text symbol in /proc/kallsyms, or 0. */
static uint64_t kallsyms(const char *name)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	char line[512], sym[256], type;
	unsigned long long addr;
	uint64_t found = 0;

	if (!f)
		return 0;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 't' || type == 'T') && !strcmp(sym, name))
			found = addr;
	fclose(f);
	return found;
}

/* Hardware cycles open here (a PMU, whose overflow is an NMI on x86)? */
static bool have_cycles(void)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .sample_period = 1000000000 };
	struct qz_cpu_map *cpus = qz_cpu_map__new("0", NULL, 0);
	struct qz_thread_map *threads = qz_thread_map__new_any();
	struct qz_evsel *e = NULL;
	bool ok = false;

	if (cpus && threads && !qz_attr__named(&attr, "cycles") &&
	    (e = qz_evsel__new(&attr, "cycles")))
		ok = !qz_evsel__open(e, cpus, threads, NULL);
	qz_evsel__free(e);
	qz_cpu_map__put(cpus);
	qz_thread_map__put(threads);
	return ok;
}

/* The CPU's clock, for a cycles period that makes about freq samples a second. */
static uint64_t cpu_hz(void)
{
	FILE *f = fopen("/proc/cpuinfo", "re");
	char line[256];
	double mhz = 0;

	while (f && fgets(line, sizeof(line), f) && !mhz)
		if (!strncmp(line, "cpu MHz", 7) && strchr(line, ':'))
			mhz = atof(strchr(line, ':') + 1);
	if (f)
		fclose(f);
	return mhz > 0 ? (uint64_t)(mhz * 1e6) : 2000000000ull;
}

static void watchdog_free(struct watchdog *w)
{
	for (long c = 0; w->last && c < w->core.nr_cpus; c++)
		free(w->last[c].ips);
	free(w->last);
	qz_wd_core__free(&w->core);
	qz_stack_printer__free(w->stacks);
	free(w);
}

static int add(struct watchdog *w, const char *sel, int *idx)
{
	*idx = qz_session__add_events(w->session, sel, 0);
	return *idx < 0 ? *idx : 0;
}

static int watchdog_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct watchdog_opts *opts = qz_session__ops_opts(s);
	uint64_t fn = kallsyms("watchdog_timer_fn"), freq = opts->freq ?: DEFAULT_FREQ;
	char line[256], sel[512];
	struct watchdog *w;
	int err;

	if (env->events.n || env->pids || env->tids || env->cgroup || env->workload) {
		qz_session__log(s, QZ_LOG_ERROR,
				"watchdog watches CPUs with its own events: it takes -C, not -e, -p, -t, --cgroup or a command");
		return -QZ_ERR_OPTION;
	}
	if (!fn) {
		qz_session__log(s, QZ_LOG_ERROR,
				"no watchdog_timer_fn in /proc/kallsyms: this kernel has no lockup detector (CONFIG_SOFTLOCKUP_DETECTOR), or kallsyms hides it (run as root)");
		return -ENOENT;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->session = s;
	w->out = qz_session__output(s);
	w->interval_start = now_ns();
	w->thresh = read_line("/proc/sys/kernel/watchdog_thresh", line, sizeof(line)) ? 10 : atoi(line);
	if (w->thresh <= 0)
		w->thresh = 10;
	if (!env->cpus && !read_line("/proc/sys/kernel/watchdog_cpumask", line, sizeof(line)) &&
	    line[0] && !(env->cpus = strdup(line))) {
		err = -ENOMEM;
		goto fail;
	}
	err = qz_wd_core__init(&w->core, sysconf(_SC_NPROCESSORS_CONF),
			       opts->soft ?: (uint64_t)w->thresh * 1000000000ull,
			       opts->hard ?: (uint64_t)w->thresh * 500000000ull);
	if (!err && !(w->last = calloc((size_t)w->core.nr_cpus, sizeof(*w->last))))
		err = -ENOMEM;
	if (!err && env->callchain && !(w->stacks = qz_stack_printer__new()))
		err = -ENOMEM;
	if (err)
		goto fail;
	snprintf(sel, sizeof(sel), "timer:hrtimer_expire_entry/function==0x%" PRIx64 "/", fn);
	err = add(w, sel, &w->i_tick);
	if (!err)
		err = add(w, "sched:sched_switch/next_comm~\"migration/*\"/", &w->i_switch);
	if (!err)
		err = qz_mt__resolve_field(s, w->i_switch, "field", "next_comm", &w->next_comm);
	if (!err) {
		if (have_cycles()) {
			w->sampler = "cycles";
			snprintf(sel, sizeof(sel), "cycles//period=%" PRIu64 "/", cpu_hz() / freq);
		} else {
			w->sampler = "cpu-clock";
			snprintf(sel, sizeof(sel), "cpu-clock//period=%" PRIu64 "/",
				 (uint64_t)(1000000000ull / freq));
			qz_session__log(s, QZ_LOG_INFO,
					"no hardware PMU: sampling on cpu-clock, a timer interrupt, which cannot sample a CPU while its interrupts are off");
		}
		err = add(w, sel, &w->i_sampler);
	}
	if (err)
		goto fail;
	*ctx = w;
	return 0;
fail:
	watchdog_free(w);
	return err;
}

static void keep_sample(struct watchdog *w, const struct qz_event *ev)
{
	const struct qz_sample *smp = ev->sample;
	struct last_sample *l = &w->last[smp->cpu];

	l->time = smp->time;
	l->pid = smp->pid;
	l->tid = smp->tid;
	snprintf(l->comm, sizeof(l->comm), "%s", qz_event__comm(ev));
	if (!w->stacks)
		return;
	if (smp->callchain_nr > l->nr || !l->ips) {
		uint64_t *n = realloc(l->ips, (smp->callchain_nr ?: 1) * sizeof(*n));

		if (!n) {
			l->nr = 0;
			return;
		}
		l->ips = n;
	}
	l->nr = smp->callchain_nr;
	if (l->nr)
		memcpy(l->ips, smp->callchain, l->nr * sizeof(*l->ips));
}

static void warn(struct watchdog *w, int cpu, enum wd_warn kind, uint64_t age,
		 uint64_t when)
{
	const struct last_sample *l = &w->last[cpu];
	const char *what = kind == WD_HARD ? "hard" : "soft";
	uint64_t limit = kind == WD_HARD ? w->core.hard_after : w->core.soft_after;
	QZ_OPTS(qz_sample, smp, .pid = l->pid, .tid = l->tid, .cpu = (uint32_t)cpu,
		.time = l->time, .callchain_nr = l->nr, .callchain = l->ips);

	if (w->stacks && l->nr)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(w->stacks), (pid_t)l->pid);
	if (qz_output__json(w->out)) {
		struct qz_json *j = qz_output__begin(w->out, "lockup_warning", when);

		qz_json__key_i64(j, "cpu", cpu);
		qz_json__key_str(j, "kind", what);
		qz_json__key_u64(j, "age_ns", age);
		qz_json__key_u64(j, "warn_ns", limit);
		qz_json__key_u64(j, "kernel_limit_ns", (uint64_t)w->thresh * 1000000000ull *
							 (kind == WD_HARD ? 1 : 2));
		if (l->time) {
			qz_json__key(j, "sample");
			qz_json__begin_object(j);
			qz_json__key_u64(j, "time", l->time);
			qz_json__key_u64(j, "pid", l->pid);
			qz_json__key_u64(j, "tid", l->tid);
			qz_json__key_str(j, "comm", l->comm);
			if (w->stacks && l->nr) {
				qz_json__key(j, "stack");
				qz_stack_printer__json(w->stacks, &smp, j);
			}
			qz_json__end_object(j);
		}
		qz_output__end(w->out);
		return;
	}
	FILE *f = qz_output__file(w->out);

	fprintf(f, "%" PRIu64 ".%06" PRIu64 " CPU %d: %s lockup coming: %s for %.3f s (the kernel reports it at %d s)\n",
		when / 1000000000, when % 1000000000 / 1000, cpu, what,
		kind == WD_HARD ? "its watchdog timer has not run" : "its watchdog thread has not run",
		age / 1e9, w->thresh * (kind == WD_HARD ? 1 : 2));
	if (l->time) {
		fprintf(f, "  last sample %" PRIu64 ".%06" PRIu64 ": %s %u/%u\n",
			l->time / 1000000000, l->time % 1000000000 / 1000, l->comm, l->pid, l->tid);
		if (w->stacks && l->nr)
			qz_stack_printer__text(w->stacks, &smp, f);
	}
}

static void watchdog_sample(void *ctx, const struct qz_event *ev)
{
	struct watchdog *w = ctx;
	const struct qz_sample *smp = ev->sample;
	int cpu = (int)smp->cpu;
	uint64_t hard = 0, soft = 0;

	if (cpu < 0 || cpu >= w->core.nr_cpus)
		return;
	if (ev->index == w->i_tick) {
		if (qz_wd_core__tick(&w->core, cpu, smp->time, &soft) == WD_SOFT)
			warn(w, cpu, WD_SOFT, soft, smp->time);
	} else if (ev->index == w->i_switch) {
		size_t len = 0;
		const char *comm = qz_tp_field__str(w->next_comm, smp->raw, smp->raw_size, &len);
		char mine[32];
		int n = snprintf(mine, sizeof(mine), "migration/%d", cpu);

		/* The stopper of this CPU: it runs nowhere else. */
		if (comm && len == (size_t)n && !memcmp(comm, mine, len))
			qz_wd_core__switch_in(&w->core, cpu, smp->time);
	} else if (ev->index == w->i_sampler) {
		unsigned k;

		keep_sample(w, ev);
		k = qz_wd_core__sample(&w->core, cpu, smp->time, &hard, &soft);
		if (k & WD_HARD)
			warn(w, cpu, WD_HARD, hard, smp->time);
		if (k & WD_SOFT)
			warn(w, cpu, WD_SOFT, soft, smp->time);
	}
}

static void report(struct watchdog *w, struct qz_output *out, uint64_t now, bool final)
{
	char enabled[32] = "";
	struct qz_json *j = NULL;
	FILE *f = NULL;

	read_line("/proc/sys/kernel/watchdog", enabled, sizeof(enabled));
	if (!qz_output__json(out) && !qz_output__file(out))
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "watchdog", now);
		qz_json__key_u64(j, "interval_ns", now - w->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_bool(j, "enabled", atoi(enabled) != 0);
		qz_json__key_i64(j, "thresh_s", w->thresh);
		qz_json__key_u64(j, "soft_warn_ns", w->core.soft_after);
		qz_json__key_u64(j, "hard_warn_ns", w->core.hard_after);
		qz_json__key_str(j, "sampler", w->sampler);
		qz_json__key(j, "cpus");
		qz_json__begin_array(j);
	} else {
		f = qz_output__file(out);
		fprintf(f, "\nwatchdog%s: thresh %d s, warn at %.1f s (soft) and %.1f s (hard), sampler %s\n"
			   "%4s %6s %8s %14s %14s %6s %6s\n",
			atoi(enabled) ? "" : " (disabled in /proc/sys/kernel/watchdog)", w->thresh,
			w->core.soft_after / 1e9, w->core.hard_after / 1e9, w->sampler, "CPU",
			"ticks", "touches", "max_tick_gap", "max_stopper", "soft", "hard");
	}
	for (long c = 0; c < w->core.nr_cpus; c++) {
		const struct wd_cpu *pc = &w->core.cpu[c];

		if (!pc->ticks && !pc->touches && !pc->last_tick)
			continue;
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_i64(j, "cpu", c);
			qz_json__key_u64(j, "ticks", pc->ticks);
			qz_json__key_u64(j, "touches", pc->touches);
			qz_json__key_u64(j, "max_tick_gap", pc->max_tick_gap);
			qz_json__key_u64(j, "max_stopper_age", pc->max_touch_age);
			qz_json__key_u64(j, "soft_warnings", pc->soft_warnings);
			qz_json__key_u64(j, "hard_warnings", pc->hard_warnings);
			qz_json__end_object(j);
		} else {
			fprintf(f, "%4ld %6" PRIu64 " %8" PRIu64 " %12.3f s %12.3f s %6" PRIu64
				   " %6" PRIu64 "\n", c, pc->ticks, pc->touches,
				pc->max_tick_gap / 1e9, pc->max_touch_age / 1e9, pc->soft_warnings,
				pc->hard_warnings);
		}
	}
	if (j) {
		qz_json__end_array(j);
		qz_output__end(out);
	}
}

static void watchdog_interval(void *ctx, struct qz_output *out, bool final)
{
	struct watchdog *w = ctx;
	uint64_t now = now_ns();

	report(w, out, now, final);
	qz_wd_core__reset(&w->core);
	w->interval_start = now;
}

/* SIGUSR1: the interval so far. */
static void watchdog_status(void *ctx, struct qz_output *out)
{
	report(ctx, out, now_ns(), false);
}

static void watchdog_deinit(void *ctx)
{
	watchdog_free(ctx);
}

static const struct qz_option watchdog_options[] = {
	QZ_OPTION_ENTRY(struct watchdog_opts, freq, "freq", 'F', QZ_OPTION_COUNT, "HZ",
			"sample each CPU at HZ (default 1), its stack with -g"),
	QZ_OPTION_ENTRY(struct watchdog_opts, soft, "soft", 0, QZ_OPTION_TIME, "TIME",
			"warn when a CPU's watchdog thread has not run for TIME (default watchdog_thresh)"),
	QZ_OPTION_ENTRY(struct watchdog_opts, hard, "hard", 0, QZ_OPTION_TIME, "TIME",
			"warn when a CPU's watchdog timer has not run for TIME (default watchdog_thresh/2)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_watchdog = {
	.name = "watchdog",
	.help = "hard and soft lockups seen coming: CPUs whose watchdog timer or thread is late, with their stacks",
	.usage = "Follows the kernel's lockup detectors on the CPUs of\n"
		 "/proc/sys/kernel/watchdog_cpumask (or -C) and warns before they fire.\n"
		 "examples:\n"
		 "  quazar watchdog -F 1 -g\n"
		 "  quazar watchdog -C 0-3 -F 10 -g --soft 5s --json",
	.options = watchdog_options,
	.opts_size = sizeof(struct watchdog_opts),
	.nest = true,
	.ops = {
		.default_interval_ms = 10000,
		.any_order = true,	/* each CPU's events stand alone */
		.init = watchdog_init,
		.sample = watchdog_sample,
		.interval = watchdog_interval,
		.deinit = watchdog_deinit,
		.status = watchdog_status,
	},
};
