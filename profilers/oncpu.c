// SPDX-License-Identifier: MIT
/*
 * oncpu: who runs on each CPU, and where each thread runs.
 *  - CPU mode (the default, -C): sched:sched_switch on every CPU; the time
 *    between a task's switch-in and its switch-out is its run on that CPU.
 *    A run is counted only when its switch-in was seen (a filter or a
 *    lost event can hide one), so a task is never credited with another's
 *    time; the task a CPU's first switch takes off ran since tracing began
 *    (taken as the end of init: the open that follows takes milliseconds),
 *    unless a filter is in use. At each
 *    interval the task still running is credited up to the report
 *    (without --order, when every event up to then is in).
 *  - thread mode (-p, -t, -- cmd): sched:sched_stat_runtime of the threads,
 *    whose runtime field the scheduler accounts (fair-class tasks only).
 * The idle task (tid 0) is left out.
 *
 * Memory: one row per (CPU, task) or (thread) seen in an interval.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "keytable.h"
#include "u64map.h"

/* Options beyond the common ones (oncpu_options below). */
struct oncpu_opts {
	bool detail;
	bool only_comm;
	char *prio;
	char *filter;
};

struct cpu_row {
	uint64_t runtime, switches, max;
	uint32_t cpu, tid;
	char comm[16];
};

struct thread_row {
	uint64_t runtime;
	uint32_t tid;
	char comm[16];
	uint64_t cpus[];	/* [nr_cpus] */
};

struct cur {
	uint32_t tid;
	uint64_t since;		/* 0: unknown */
	char comm[16];
};

struct oncpu {
	struct qz_session *session;
	bool thread_mode, detail, only_comm, credit_now, filtered;
	uint64_t t0;			/* the end of init: tracing begins soon after */
	long nr_cpus;
	const struct qz_tp_field *prev_pid, *prev_comm, *next_pid, *next_comm;
	const struct qz_tp_field *rt_pid, *rt_comm, *runtime;
	struct cur *cur;		/* [cpu], CPU mode */
	struct u64map rows;		/* CPU mode: (cpu, task) -> cpu_row; thread mode: tid -> thread_row */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* "1-99,120" into "(prev_prio>=1&&prev_prio<=99)||prev_prio==120||..." for both sides. */
static int prio_filter(struct qz_session *s, const char *list, char *buf, size_t len)
{
	static const char *const side[] = { "prev_prio", "next_prio" };
	size_t n = 0;

	buf[0] = 0;
	for (int k = 0; k < 2; k++) {
		const char *p = list;

		while (*p) {
			char *end;
			long lo = strtol(p, &end, 10), hi = lo;

			if (end == p || lo < 0 || lo > 139)
				goto bad;
			p = end;
			if (*p == '-') {
				hi = strtol(p + 1, &end, 10);
				if (end == p + 1 || hi < lo || hi > 139)
					goto bad;
				p = end;
			}
			if (*p && *p != ',')
				goto bad;
			p += *p == ',';
			if (lo == hi)
				n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s==%ld",
						      n ? "||" : "", side[k], lo);
			else
				n += (size_t)snprintf(buf + n, n < len ? len - n : 0,
						      "%s(%s>=%ld&&%s<=%ld)", n ? "||" : "",
						      side[k], lo, side[k], hi);
		}
	}
	if (n >= len) {
		qz_session__log(s, QZ_LOG_ERROR, "--prio %s: too many ranges", list);
		return -QZ_ERR_OPTION;
	}
	return 0;
bad:
	qz_session__log(s, QZ_LOG_ERROR,
			"--prio %s: give priorities 0-139 as a list of N or N-M (0-99 real-time, 100-139 normal)",
			list);
	return -QZ_ERR_OPTION;
}

static void oncpu_free(struct oncpu *o)
{
	free(o->cur);
	if (o->rows.keys)
		qz_u64map__free(&o->rows);
	free(o);
}

static int field(struct oncpu *o, int idx, const char *name, const struct qz_tp_field **f)
{
	return qz_mt__resolve_field(o->session, idx, "field", name, f);
}

static int oncpu_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct oncpu_opts *opts = qz_session__ops_opts(s);
	char filter[4096] = "", sel[4200];
	struct oncpu *o;
	int idx, err;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"oncpu chooses its own events (sched_switch, sched_stat_runtime); drop -e");
		return -QZ_ERR_OPTION;
	}
	if (opts->prio && opts->filter) {
		qz_session__log(s, QZ_LOG_ERROR, "--prio and --filter exclude each other: give one");
		return -QZ_ERR_OPTION;
	}
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->session = s;
	o->thread_mode = env->pids || env->tids || env->workload;
	o->detail = opts->detail;
	o->only_comm = opts->only_comm;
	o->credit_now = !env->order;
	o->filtered = opts->prio || opts->filter;
	o->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	o->interval_start = now_ns();
	if (o->thread_mode && (opts->prio || opts->detail || opts->only_comm || env->cgroup)) {
		qz_session__log(s, QZ_LOG_ERROR,
				"with -p/-t/-- cmd oncpu shows each thread's time per CPU; --prio, --detail, --only-comm and --cgroup apply to the CPU mode (-C)");
		err = -QZ_ERR_OPTION;
		goto fail;
	}
	if (opts->prio && (err = prio_filter(s, opts->prio, filter, sizeof(filter))))
		goto fail;
	if (opts->filter)
		snprintf(filter, sizeof(filter), "%s", opts->filter);
	if (o->thread_mode) {
		err = qz_u64map__init(&o->rows, sizeof(struct thread_row) +
					       (size_t)o->nr_cpus * sizeof(uint64_t));
		snprintf(sel, sizeof(sel), "sched:sched_stat_runtime%s%s%s", filter[0] ? "/" : "",
			 filter, filter[0] ? "/" : "");
		idx = err ? err : qz_session__add_events(s, sel, 0);
		err = idx < 0 ? idx : 0;
		if (!err)
			err = field(o, idx, "pid", &o->rt_pid);
		if (!err)
			err = field(o, idx, "comm", &o->rt_comm);
		if (!err)
			err = field(o, idx, "runtime", &o->runtime);
	} else {
		o->cur = calloc((size_t)o->nr_cpus, sizeof(*o->cur));
		err = o->cur ? qz_u64map__init(&o->rows, sizeof(struct cpu_row)) : -ENOMEM;
		snprintf(sel, sizeof(sel), "sched:sched_switch%s%s%s", filter[0] ? "/" : "",
			 filter, filter[0] ? "/" : "");
		idx = err ? err : qz_session__add_events(s, sel, 0);
		err = idx < 0 ? idx : 0;
		if (!err)
			err = field(o, idx, "prev_pid", &o->prev_pid);
		if (!err)
			err = field(o, idx, "prev_comm", &o->prev_comm);
		if (!err)
			err = field(o, idx, "next_pid", &o->next_pid);
		if (!err)
			err = field(o, idx, "next_comm", &o->next_comm);
	}
	if (err)
		goto fail;
	o->t0 = now_ns();	/* the clock of the events: CLOCK_MONOTONIC */
	*ctx = o;
	return 0;
fail:
	oncpu_free(o);
	return err;
}

static void copy_comm(char *dst, const char *src, size_t len)
{
	if (len > 15)
		len = 15;
	memcpy(dst, src ? src : "", src ? len : 0);
	dst[src ? len : 0] = 0;
}

/* The task that ran on cpu from since to until: add its run. */
static void credit(struct oncpu *o, uint32_t cpu, const struct cur *c, uint64_t until,
		   bool ended)
{
	uint64_t key, d = until > c->since ? until - c->since : 0;
	struct cpu_row *r;
	bool created;

	if (o->only_comm)
		key = qz_keytable__hash_str(c->comm) * 31 + cpu;
	else
		key = (uint64_t)cpu << 32 | c->tid;
	r = qz_u64map__put(&o->rows, key, &created);
	if (!r)
		return;
	if (created) {
		r->cpu = cpu;
		r->tid = c->tid;
		memcpy(r->comm, c->comm, sizeof(r->comm));
	}
	r->runtime += d;
	if (ended) {
		r->switches++;
		if (d > r->max)
			r->max = d;
	}
}

static void on_switch(struct oncpu *o, const struct qz_sample *smp)
{
	const void *raw = smp->raw;
	size_t size = smp->raw_size, plen = 0, nlen = 0;
	uint32_t prev = (uint32_t)qz_tp_field__u64(o->prev_pid, raw, size);
	uint32_t next = (uint32_t)qz_tp_field__u64(o->next_pid, raw, size);
	const char *pc = qz_tp_field__str(o->prev_comm, raw, size, &plen);
	const char *nc = qz_tp_field__str(o->next_comm, raw, size, &nlen);
	struct cur *c;

	if (smp->cpu >= (uint64_t)o->nr_cpus)
		return;
	c = &o->cur[smp->cpu];
	/*
	 * The first switch of a CPU: prev has run since tracing began (its
	 * switch-in would be here otherwise), unless a filter hid it.
	 */
	if (!c->since && prev && !o->filtered && smp->time > o->t0) {
		c->tid = prev;
		c->since = o->t0;
	}
	if (prev && c->since && c->tid == prev) {
		copy_comm(c->comm, pc, plen);	/* it may have exec'd */
		credit(o, smp->cpu, c, smp->time, true);
	}
	c->tid = next;
	c->since = smp->time;
	copy_comm(c->comm, nc, nlen);
}

static void on_runtime(struct oncpu *o, const struct qz_sample *smp)
{
	const void *raw = smp->raw;
	size_t size = smp->raw_size, len = 0;
	uint32_t pid = (uint32_t)qz_tp_field__u64(o->rt_pid, raw, size);
	const char *comm = qz_tp_field__str(o->rt_comm, raw, size, &len);
	struct thread_row *r;
	bool created;

	/* Accounted from another task's context (a wakeup): not this thread's run. */
	if (pid != smp->tid || !pid || smp->cpu >= (uint64_t)o->nr_cpus)
		return;
	r = qz_u64map__put(&o->rows, pid, &created);
	if (!r)
		return;
	if (created)
		r->tid = pid;
	copy_comm(r->comm, comm, len);
	r->runtime += qz_tp_field__u64(o->runtime, raw, size);
	r->cpus[smp->cpu] += qz_tp_field__u64(o->runtime, raw, size);
}

static void oncpu_sample(void *ctx, const struct qz_event *ev)
{
	struct oncpu *o = ctx;

	if (o->thread_mode)
		on_runtime(o, ev->sample);
	else
		on_switch(o, ev->sample);
}

/* ---- reports --------------------------------------------------------- */

static int cpu_row_cmp(const void *a, const void *b)
{
	const struct cpu_row *x = *(const struct cpu_row *const *)a;
	const struct cpu_row *y = *(const struct cpu_row *const *)b;

	if (x->cpu != y->cpu)
		return x->cpu < y->cpu ? -1 : 1;
	if (x->runtime != y->runtime)
		return x->runtime > y->runtime ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

static int thread_row_cmp(const void *a, const void *b)
{
	const struct thread_row *x = *(const struct thread_row *const *)a;
	const struct thread_row *y = *(const struct thread_row *const *)b;

	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

/* Rows of the map, sorted (owned array of borrowed rows). */
static void **sorted_rows(struct oncpu *o, int (*cmp)(const void *, const void *), size_t *nr)
{
	void **rows = malloc((o->rows.nr ?: 1) * sizeof(*rows));
	size_t pos = 0, n = 0;
	uint64_t key;
	void *val;

	if (!rows)
		return NULL;
	while (qz_u64map__next(&o->rows, &pos, &key, &val))
		rows[n++] = val;
	qsort(rows, n, sizeof(*rows), cmp);
	*nr = n;
	return rows;
}

static void report_cpus(struct oncpu *o, struct qz_output *out, uint64_t now, bool final)
{
	size_t nr = 0;
	struct cpu_row **rows = (struct cpu_row **)(void *)sorted_rows(o, cpu_row_cmp, &nr);
	struct qz_json *j = NULL;
	FILE *f = NULL;

	if (!rows)
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "oncpu", now);
		qz_json__key_u64(j, "interval_ns", now - o->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_str(j, "mode", "cpu");
		qz_json__key(j, "cpus");
		qz_json__begin_array(j);
	} else {
		f = qz_output__file(out);
		fputc('\n', f);
		if (o->detail)
			fprintf(f, "CPU SUM(ms/sws)      COMM%s(ms/sws/max_ms)\n--- ------------ %s\n",
				o->only_comm ? "" : ":TID",
				"-----------------------------------------------------");
		else
			fprintf(f, "CPU SUM(ms)  COMM%s(ms)\n--- -------- %s\n",
				o->only_comm ? "" : ":TID",
				"---------------------------------------------------");
	}
	for (size_t i = 0; i < nr;) {
		uint32_t cpu = rows[i]->cpu;
		uint64_t sum = 0, sws = 0;
		size_t k;

		for (k = i; k < nr && rows[k]->cpu == cpu; k++) {
			sum += rows[k]->runtime;
			sws += rows[k]->switches;
		}
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_u64(j, "cpu", cpu);
			qz_json__key_u64(j, "runtime_ns", sum);
			qz_json__key_u64(j, "switches", sws);
			qz_json__key(j, "tasks");
			qz_json__begin_array(j);
			for (; i < k; i++) {
				qz_json__begin_object(j);
				if (!o->only_comm)
					qz_json__key_u64(j, "tid", rows[i]->tid);
				qz_json__key_str(j, "comm", rows[i]->comm);
				qz_json__key_u64(j, "runtime_ns", rows[i]->runtime);
				qz_json__key_u64(j, "switches", rows[i]->switches);
				qz_json__key_u64(j, "max_ns", rows[i]->max);
				qz_json__end_object(j);
			}
			qz_json__end_array(j);
			qz_json__end_object(j);
			continue;
		}
		if (o->detail)
			fprintf(f, "%03u %.1fms/%-6" PRIu64, cpu, sum / 1e6, sws);
		else
			fprintf(f, "%03u %-8.1f", cpu, sum / 1e6);
		for (; i < k; i++) {
			struct cpu_row *r = rows[i];

			fprintf(f, " %s", r->comm);
			if (!o->only_comm)
				fprintf(f, ":%u", r->tid);
			if (o->detail)
				fprintf(f, "(%.1fms/%" PRIu64 "/%.1fms)", r->runtime / 1e6, r->switches,
					r->max / 1e6);
			else
				fprintf(f, "(%.1f)", r->runtime / 1e6);
		}
		fputc('\n', f);
	}
	if (j) {
		qz_json__end_array(j);
		qz_output__end(out);
	}
	free(rows);
}

static void report_threads(struct oncpu *o, struct qz_output *out, uint64_t now, bool final)
{
	size_t nr = 0;
	struct thread_row **rows = (struct thread_row **)(void *)sorted_rows(o, thread_row_cmp, &nr);
	struct qz_json *j = NULL;
	FILE *f = NULL;

	if (!rows)
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "oncpu", now);
		qz_json__key_u64(j, "interval_ns", now - o->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_str(j, "mode", "thread");
		qz_json__key(j, "threads");
		qz_json__begin_array(j);
	} else {
		f = qz_output__file(out);
		fprintf(f, "\nTHREAD COMM             SUM(ms)  CPUS(ms)\n------ ---------------- -------- ---------\n");
	}
	for (size_t i = 0; i < nr; i++) {
		struct thread_row *r = rows[i];

		if (j) {
			qz_json__begin_object(j);
			qz_json__key_u64(j, "tid", r->tid);
			qz_json__key_str(j, "comm", r->comm);
			qz_json__key_u64(j, "runtime_ns", r->runtime);
			qz_json__key(j, "cpus");
			qz_json__begin_array(j);
			for (long c = 0; c < o->nr_cpus; c++) {
				if (!r->cpus[c])
					continue;
				qz_json__begin_object(j);
				qz_json__key_i64(j, "cpu", c);
				qz_json__key_u64(j, "runtime_ns", r->cpus[c]);
				qz_json__end_object(j);
			}
			qz_json__end_array(j);
			qz_json__end_object(j);
			continue;
		}
		fprintf(f, "%-6u %-16s %-8.1f", r->tid, r->comm, r->runtime / 1e6);
		for (long c = 0; c < o->nr_cpus; c++)
			if (r->cpus[c])
				fprintf(f, " %ld(%.1fms)", c, r->cpus[c] / 1e6);
		fputc('\n', f);
	}
	if (j) {
		qz_json__end_array(j);
		qz_output__end(out);
	}
	free(rows);
}

static void oncpu_interval(void *ctx, struct qz_output *out, bool final)
{
	struct oncpu *o = ctx;
	uint64_t now = now_ns();

	if (!o->thread_mode && o->credit_now) {
		/* Every event up to now is in: the running tasks' time so far. */
		for (long c = 0; c < o->nr_cpus; c++) {
			struct cur *cur = &o->cur[c];

			if (cur->tid && cur->since && now > cur->since) {
				credit(o, (uint32_t)c, cur, now, false);
				cur->since = now;
			}
		}
	}
	if (o->thread_mode)
		report_threads(o, out, now, final);
	else
		report_cpus(o, out, now, final);
	qz_u64map__clear(&o->rows);
	o->interval_start = now;
}

/* SIGUSR1: the interval so far (runs ended; the running tasks' not yet). */
static void oncpu_status(void *ctx, struct qz_output *out)
{
	struct oncpu *o = ctx;

	if (!qz_output__json(out) && !qz_output__file(out))
		return;
	if (o->thread_mode)
		report_threads(o, out, now_ns(), false);
	else
		report_cpus(o, out, now_ns(), false);
}

static void oncpu_deinit(void *ctx)
{
	oncpu_free(ctx);
}

static const struct qz_option oncpu_options[] = {
	QZ_OPTION_ENTRY(struct oncpu_opts, detail, "detail", 0, QZ_OPTION_BOOL, NULL,
			"add each task's switch count and longest run"),
	QZ_OPTION_ENTRY(struct oncpu_opts, only_comm, "only-comm", 0, QZ_OPTION_BOOL, NULL,
			"one row per comm, threads added up"),
	QZ_OPTION_ENTRY(struct oncpu_opts, prio, "prio", 0, QZ_OPTION_STRING, "PRIO[-PRIO],...",
			"only tasks of these priorities (0-99 real-time, 100-139 normal)"),
	QZ_OPTION_ENTRY(struct oncpu_opts, filter, "filter", 0, QZ_OPTION_STRING, "FILTER",
			"a filter on the built-in event (sched_switch, or sched_stat_runtime with -p/-t)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_oncpu = {
	.name = "oncpu",
	.help = "who runs on each CPU, and for how long; with -p/-t, each thread's time on each CPU",
	.usage = "examples:\n"
		 "  quazar oncpu -C 0-3 -i 1000\n"
		 "  quazar oncpu -C 0-3 --detail --only-comm\n"
		 "  quazar oncpu --prio 1-99 -i 1000\n"
		 "  quazar oncpu -p 2347 -i 1000",
	.options = oncpu_options,
	.opts_size = sizeof(struct oncpu_opts),
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* each CPU's switches stand alone */
		.init = oncpu_init,
		.sample = oncpu_sample,
		.interval = oncpu_interval,
		.deinit = oncpu_deinit,
		.status = oncpu_status,
	},
};
