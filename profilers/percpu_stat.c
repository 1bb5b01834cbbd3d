// SPDX-License-Identifier: MIT
/*
 * percpu-stat: what each CPU did in each interval, in one row: context
 * switches, migrations, page faults, (with --syscalls) system calls,
 * interrupts, softirqs, hrtimers, workqueue items, KVM exits, network
 * receive and transmit, page allocations, compaction, reclaim, page
 * migration, page cache additions, writeback, and idle entries. Every
 * event is counted in the kernel per CPU and read at the interval; a
 * tracepoint this kernel lacks is left out (and said so with -v).
 *
 * Memory: one previous reading per event and CPU.
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
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"

/* Options beyond the common ones (percpu_stat_options below). */
struct percpu_stat_opts {
	bool syscalls;
};

/* perf-prof's columns, in its order; "idle" must stay last (see below). */
static const struct {
	const char *event;	/* a software event or sys:name */
	const char *column;	/* header, and JSON key */
	bool syscalls;		/* only with --syscalls */
} columns[] = {
	{ "context-switches", "csw" },
	{ "cpu-migrations", "cpu-mig" },
	{ "minor-faults", "minflt" },
	{ "major-faults", "majflt" },
	{ "raw_syscalls:sys_enter", "syscalls", true },
	{ "irq:irq_handler_entry", "hardirq" },
	{ "irq:softirq_entry", "softirq" },
	{ "timer:hrtimer_expire_entry", "hrtimer" },
	{ "workqueue:workqueue_execute_start", "workqueue" },
	{ "kvm:kvm_exit", "kvm-exit" },
	{ "net:netif_receive_skb", "net-recv" },
	{ "net:net_dev_xmit", "xmit" },
	{ "net:napi_gro_receive_entry", "gro" },
	{ "kmem:mm_page_alloc", "mm-alloc" },
	{ "compaction:mm_compaction_migratepages", "compact" },
	{ "vmscan:mm_vmscan_direct_reclaim_begin", "reclaim" },
	{ "migrate:mm_migrate_pages", "migrate" },
	{ "filemap:mm_filemap_add_to_page_cache", "page-cache" },
	{ "writeback:wbc_writepage", "wb-pages" },
	/* enter and exit: counted twice per idle period, halved below */
	{ "power:cpu_idle", "idle" },
};

#define NR_COLUMNS (sizeof(columns) / sizeof(columns[0]))

struct percpu_stat {
	struct qz_session *session;
	int nr;				/* columns opened */
	int col[NR_COLUMNS];		/* their index in columns[] */
	int nr_cpus;
	uint64_t *prev;			/* [event][cpu idx] */
	uint64_t rows;			/* text rows printed: the header every 60 */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int count_one(const char *sys, const char *name, void *ctx)
{
	(void)sys;
	(void)name;
	(*(int *)ctx)++;
	return 0;
}

static int percpu_stat_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct percpu_stat_opts *opts = qz_session__ops_opts(s);
	QZ_OPTS(qz_tp_opts, topts);
	struct percpu_stat *p;
	struct qz_tp *tp;
	int err = 0;

	if (env->events.n || env->pids || env->tids || env->cgroup || env->workload) {
		qz_session__log(s, QZ_LOG_ERROR,
				"percpu-stat counts its own events on CPUs: it takes -C, not -e, -p, -t, --cgroup or a command");
		return -QZ_ERR_OPTION;
	}
	tp = qz_tp__new(&topts);
	if (!tp) {
		err = -errno;
		qz_session__log(s, QZ_LOG_ERROR, "cannot read the tracepoints (tracefs): %s; are you root?",
				qz_strerror(err));
		return err;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		qz_tp__free(tp);
		return -ENOMEM;
	}
	p->session = s;
	p->interval_start = now_ns();
	qz_session__set_counting(s, true);
	for (size_t i = 0; i < NR_COLUMNS && !err; i++) {
		int found = 0, idx;

		if (columns[i].syscalls && !opts->syscalls)
			continue;
		if (strchr(columns[i].event, ':') &&
		    (qz_tp__expand(tp, columns[i].event, count_one, &found) < 0 || !found)) {
			qz_session__log(s, QZ_LOG_INFO, "%s: not in this kernel, left out",
					columns[i].event);
			continue;
		}
		idx = qz_session__add_events(s, columns[i].event, 0);
		if (idx < 0)
			err = idx;
		else
			p->col[p->nr++] = (int)i;
	}
	qz_tp__free(tp);
	if (err) {
		free(p);
		return err;
	}
	*ctx = p;
	return 0;
}

/* Each CPU's counts since the last interval; update: start the next one. */
static void report(struct percpu_stat *p, struct qz_output *out, bool final, bool update)
{
	struct qz_evlist *el = qz_session__evlist(p->session);
	struct qz_cpu_map *cpus = qz_evlist__cpus(el);
	uint64_t now = now_ns(), *d;
	struct qz_json *j = NULL;
	FILE *f = NULL;

	if (!p->prev) {
		p->nr_cpus = qz_cpu_map__nr(cpus);
		p->prev = calloc((size_t)p->nr * (size_t)p->nr_cpus, sizeof(*p->prev));
		if (!p->prev)
			return;
	}
	if (!qz_output__json(out) && !qz_output__file(out))
		return;
	d = calloc((size_t)p->nr, sizeof(*d));
	if (!d)
		return;
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "percpu_stat", now);
		qz_json__key_u64(j, "interval_ns", now - p->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key(j, "cpus");
		qz_json__begin_array(j);
	} else {
		f = qz_output__file(out);
		if (p->rows % 60 == 0 || !update) {
			fprintf(f, "%4s", "CPU");
			for (int e = 0; e < p->nr; e++)
				fprintf(f, " %*s", (int)strlen(columns[p->col[e]].column) < 6 ? 6 :
						   (int)strlen(columns[p->col[e]].column),
					columns[p->col[e]].column);
			fputc('\n', f);
		}
	}
	for (int c = 0; c < p->nr_cpus; c++) {
		for (int e = 0; e < p->nr; e++) {
			QZ_OPTS(qz_counts, cnt);
			uint64_t *prev = &p->prev[(size_t)e * (size_t)p->nr_cpus + (size_t)c];

			d[e] = 0;
			if (qz_evsel__read(qz_session__evsel(p->session, e), c, 0, &cnt))
				continue;
			d[e] = cnt.val > *prev ? cnt.val - *prev : 0;
			if (update)
				*prev = cnt.val;
			if (!strcmp(columns[p->col[e]].column, "idle"))
				d[e] /= 2;
		}
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_i64(j, "cpu", qz_cpu_map__cpu(cpus, c));
			for (int e = 0; e < p->nr; e++)
				qz_json__key_u64(j, columns[p->col[e]].column, d[e]);
			qz_json__end_object(j);
			continue;
		}
		fprintf(f, "%4d", qz_cpu_map__cpu(cpus, c));
		for (int e = 0; e < p->nr; e++)
			fprintf(f, " %*" PRIu64, (int)strlen(columns[p->col[e]].column) < 6 ? 6 :
					       (int)strlen(columns[p->col[e]].column), d[e]);
		fputc('\n', f);
	}
	if (j) {
		qz_json__end_array(j);
		qz_output__end(out);
	}
	free(d);
	if (!update)
		return;
	p->rows++;
	p->interval_start = now;
}

static void percpu_stat_interval(void *ctx, struct qz_output *out, bool final)
{
	report(ctx, out, final, true);
}

/* SIGUSR1: the counts since the interval began. */
static void percpu_stat_status(void *ctx, struct qz_output *out)
{
	report(ctx, out, false, false);
}

static void percpu_stat_deinit(void *ctx)
{
	struct percpu_stat *p = ctx;

	free(p->prev);
	free(p);
}

static const struct qz_option percpu_stat_options[] = {
	QZ_OPTION_ENTRY(struct percpu_stat_opts, syscalls, "syscalls", 0, QZ_OPTION_BOOL, NULL,
			"count system calls too (raw_syscalls:sys_enter)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_percpu_stat = {
	.name = "percpu-stat",
	.help = "per-CPU activity each interval: switches, faults, interrupts, softirqs, timers, network, memory, idle",
	.usage = "examples:\n"
		 "  quazar percpu-stat -i 1000\n"
		 "  quazar percpu-stat -C 0-3 --syscalls --json",
	.options = percpu_stat_options,
	.opts_size = sizeof(struct percpu_stat_opts),
	.no_nest = "it counts events rather than reading them one by one",
	.ops = {
		.default_interval_ms = 1000,
		.init = percpu_stat_init,
		.interval = percpu_stat_interval,
		.deinit = percpu_stat_deinit,
		.status = percpu_stat_status,
	},
};
