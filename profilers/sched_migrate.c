// SPDX-License-Identifier: MIT
/*
 * sched-migrate: task migrations between CPUs, and why. Each
 * sched:sched_migrate_task is sampled with its kernel stack; the first
 * frame that names a migration path gives the reason:
 *   wakeup    try_to_wake_up: the wakee placed on another CPU
 *   fork      wake_up_new_task: a new task placed
 *   exec      sched_exec: balancing at exec
 *   balance   the load balancer (periodic, idle, active)
 *   rt        push/pull of real-time and deadline tasks
 *   numa      NUMA balancing (swap or move to the preferred node)
 *   affinity  a changed CPU mask (sched_setaffinity, migrate_disable, ...)
 *   hotplug   tasks pushed off a CPU going offline
 *   other     none of these
 * and the cache topology (sysfs) says whether source and destination share
 * the L2, the last-level cache, the NUMA node. Each interval reports the
 * totals per reason and the tasks that moved most; --detail prints each
 * migration that leaves its last-level cache (-vv: every migration), -g
 * with its stack, --flame-graph their folded stacks.
 *
 * Memory: a reason per stack address seen (cached), a row per task.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/cpumap.h>
#include <quazar/session.h>
#include <quazar/stack.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "callchain.h"
#include "folded.h"
#include "u64map.h"

/* Options beyond the common ones (sched_migrate_options below). */
struct sched_migrate_opts {
	bool detail;
	char *filter;
	char *flame_graph;
};

enum reason { R_WAKEUP, R_FORK, R_EXEC, R_BALANCE, R_RT, R_NUMA, R_AFFINITY, R_HOTPLUG,
	      R_OTHER, NR_REASONS, R_NONE = NR_REASONS, R_STOPPER };

static const char *const reason_names[NR_REASONS] = {
	"wakeup", "fork", "exec", "balance", "rt", "numa", "affinity", "hotplug", "other",
};

/* Kernel functions on each migration path (names of 5.x and 6.x kernels). */
static const struct {
	const char *sym;
	enum reason reason;
} paths[] = {
	{ "try_to_wake_up", R_WAKEUP },
	{ "wake_up_new_task", R_FORK },
	{ "sched_exec", R_EXEC },
	{ "sched_balance_rq", R_BALANCE },
	{ "load_balance", R_BALANCE },
	{ "sched_balance_newidle", R_BALANCE },
	{ "newidle_balance", R_BALANCE },
	{ "sched_balance_domains", R_BALANCE },
	{ "rebalance_domains", R_BALANCE },
	{ "active_load_balance_cpu_stop", R_BALANCE },
	{ "detach_tasks", R_BALANCE },
	{ "detach_one_task", R_BALANCE },
	{ "push_rt_task", R_RT },
	{ "pull_rt_task", R_RT },
	{ "push_dl_task", R_RT },
	{ "pull_dl_task", R_RT },
	{ "migrate_swap_stop", R_NUMA },
	{ "migrate_task_to", R_NUMA },
	{ "task_numa_migrate", R_NUMA },
	{ "__balance_push_cpu_stop", R_HOTPLUG },
	{ "balance_push", R_HOTPLUG },
	{ "sched_cpu_dying", R_HOTPLUG },
	{ "migrate_tasks", R_HOTPLUG },
	{ "migration_cpu_stop", R_AFFINITY },
	{ "__set_cpus_allowed_ptr", R_AFFINITY },
	{ "affine_move_task", R_AFFINITY },
	{ "sched_setaffinity", R_AFFINITY },
	{ "set_cpus_allowed_ptr", R_AFFINITY },
	/* a wakeup from here completes a stop work: see reason_of() */
	{ "cpu_stopper_thread", R_STOPPER },
};

struct topo {
	int l2, llc, node;	/* ids: the first CPU sharing it; node number */
};

struct mig_stat {
	uint64_t count, same_l2, same_llc, cross_llc, cross_node;
};

struct task_row {
	uint64_t count;
	char comm[16];
};

struct sched_migrate {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *printer;	/* symbols, for the reasons */
	struct folded *flame;
	bool detail, every, stacks;
	long nr_cpus;
	struct topo *topo;			/* [cpu] */
	const struct qz_tp_field *comm, *pid, *prio, *orig, *dest;
	struct u64map reason_of;		/* kernel address -> reason + 1 */
	struct mig_stat total, by_reason[NR_REASONS];
	struct u64map tasks;			/* pid -> task_row */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The first CPU of a shared_cpu_list file, or -1. */
static int first_cpu(const char *path)
{
	FILE *f = fopen(path, "re");
	int cpu = -1;

	if (f) {
		if (fscanf(f, "%d", &cpu) != 1)
			cpu = -1;
		fclose(f);
	}
	return cpu;
}

static int read_int(const char *path)
{
	FILE *f = fopen(path, "re");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* The caches each CPU shares (sysfs), by the first CPU sharing each. */
static void read_topology(struct sched_migrate *m)
{
	char path[256];

	for (long c = 0; c < m->nr_cpus; c++) {
		struct topo *t = &m->topo[c];
		int top = 0;

		t->l2 = t->llc = -1;
		t->node = 0;
		for (int i = 0; i < 8; i++) {
			int level, shared;

			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/cache/index%d/level",
				 c, i);
			level = read_int(path);
			if (level < 0)
				continue;
			snprintf(path, sizeof(path),
				 "/sys/devices/system/cpu/cpu%ld/cache/index%d/shared_cpu_list", c, i);
			shared = first_cpu(path);
			if (level == 2)
				t->l2 = shared;
			if (level >= top) {
				top = level;
				t->llc = shared;
			}
		}
		for (int n = 0; n < 1024; n++) {
			snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%ld/node%d", c, n);
			if (!access(path, F_OK)) {
				t->node = n;
				break;
			}
		}
	}
}

static void sched_migrate_free(struct sched_migrate *m)
{
	qz_folded__free(m->flame);
	qz_stack_printer__free(m->printer);
	if (m->reason_of.keys)
		qz_u64map__free(&m->reason_of);
	if (m->tasks.keys)
		qz_u64map__free(&m->tasks);
	free(m->topo);
	free(m);
}

static int field(struct sched_migrate *m, int idx, const char *name,
		 const struct qz_tp_field **f)
{
	return qz_mt__resolve_field(m->session, idx, "field", name, f);
}

static int sched_migrate_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct sched_migrate_opts *opts = qz_session__ops_opts(s);
	struct sched_migrate *m;
	char sel[4200];
	int idx, err;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"sched-migrate traces sched:sched_migrate_task itself; drop -e (--filter filters it)");
		return -QZ_ERR_OPTION;
	}
	if (opts->flame_graph && !env->callchain) {
		qz_session__log(s, QZ_LOG_ERROR, "--flame-graph writes the migrations' stacks: add -g");
		return -QZ_ERR_OPTION;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->session = s;
	m->out = qz_session__output(s);
	m->detail = opts->detail;
	m->every = env->verbose >= 2;
	m->stacks = env->callchain;
	m->interval_start = now_ns();
	m->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	m->topo = calloc((size_t)m->nr_cpus, sizeof(*m->topo));
	m->printer = qz_stack_printer__new();
	if (!m->topo || !m->printer || qz_u64map__init(&m->reason_of, sizeof(uint8_t)) ||
	    qz_u64map__init(&m->tasks, sizeof(struct task_row)) ||
	    (opts->flame_graph && !(m->flame = qz_folded__new(m->printer, opts->flame_graph)))) {
		err = -ENOMEM;
		goto fail;
	}
	read_topology(m);
	/* The reason comes from the kernel stack; user frames only with -g. */
	if (!env->callchain)
		env->user_callchain = false;
	snprintf(sel, sizeof(sel), "sched:sched_migrate_task/%s/stack/",
		 opts->filter ? opts->filter : "");
	idx = qz_session__add_events(s, sel, 0);
	err = idx < 0 ? idx : 0;
	if (!err)
		err = field(m, idx, "comm", &m->comm);
	if (!err)
		err = field(m, idx, "pid", &m->pid);
	if (!err)
		err = field(m, idx, "prio", &m->prio);
	if (!err)
		err = field(m, idx, "orig_cpu", &m->orig);
	if (!err)
		err = field(m, idx, "dest_cpu", &m->dest);
	if (err)
		goto fail;
	*ctx = m;
	return 0;
fail:
	sched_migrate_free(m);
	return err;
}

/* The reason of one kernel address (cached), or R_NONE. */
static enum reason addr_reason(struct sched_migrate *m, uint64_t addr)
{
	struct qz_symbolizer *sym = qz_stack_printer__symbolizer(m->printer);
	uint8_t *cached = qz_u64map__get(&m->reason_of, addr);
	enum reason r = R_NONE;
	struct qz_symbol s;

	if (cached)
		return (enum reason)(*cached - 1);
	if (!qz_symbolizer__kernel(sym, addr, &s) && s.name) {
		for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
			size_t len = strlen(paths[i].sym);

			/* "try_to_wake_up" and its "try_to_wake_up.cold" part */
			if (!strncmp(s.name, paths[i].sym, len) &&
			    (!s.name[len] || s.name[len] == '.')) {
				r = paths[i].reason;
				break;
			}
		}
	}
	cached = qz_u64map__put(&m->reason_of, addr, NULL);
	if (cached)
		*cached = (uint8_t)(r + 1);
	return r;
}

/*
 * The first frame, innermost out, on a migration path. A wakeup by the
 * CPU's stopper thread completes a stop work that moved a running task:
 * migration_cpu_stop only points the waiting task at its new CPU
 * (wake_cpu), and the stopper's wakeup moves it. That is an affinity
 * change (sched_setaffinity, migrate_disable; also sched_exec and NUMA
 * moves of a running task, which the kernel completes the same way).
 */
static enum reason reason_of(struct sched_migrate *m, const struct qz_sample *smp)
{
	enum reason first = R_NONE;

	for (uint64_t i = 0; i < smp->callchain_nr; i++) {
		uint64_t ip = smp->callchain[i];
		enum reason r;

		if (ip >= PERF_CONTEXT_MAX) {
			if (ip == PERF_CONTEXT_USER)
				break;
			continue;
		}
		r = addr_reason(m, ip);
		if (r == R_STOPPER)
			return first == R_WAKEUP || first == R_NONE ? R_AFFINITY : first;
		if (r == R_NONE)
			continue;
		if (first != R_NONE)
			continue;
		first = r;
		if (r != R_WAKEUP)
			return r;
	}
	return first == R_NONE ? R_OTHER : first;
}

static void add_stat(struct mig_stat *st, bool l2, bool llc, bool node)
{
	st->count++;
	st->same_l2 += l2;
	st->same_llc += llc;
	st->cross_llc += !llc;
	st->cross_node += !node;
}

static void print_migration(struct sched_migrate *m, const struct qz_event *ev,
			    enum reason r, uint32_t pid, const char *comm, size_t comm_len,
			    int orig, int dest, bool l2, bool llc)
{
	const struct qz_sample *smp = ev->sample;
	int prio = (int)qz_tp_field__s64(m->prio, smp->raw, smp->raw_size);

	if (m->stacks && smp->callchain_nr)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(m->printer), (pid_t)smp->pid);
	if (qz_output__json(m->out)) {
		struct qz_json *j = qz_output__begin(m->out, "migration", smp->time);

		qz_json__key_u64(j, "cpu", smp->cpu);
		qz_json__key_u64(j, "by_pid", smp->pid);
		qz_json__key_str(j, "by_comm", qz_event__comm(ev));
		qz_json__key_u64(j, "pid", pid);
		qz_json__key(j, "comm");
		qz_json__strn(j, comm ? comm : "", comm ? comm_len : 0);
		qz_json__key_i64(j, "prio", prio);
		qz_json__key_i64(j, "orig_cpu", orig);
		qz_json__key_i64(j, "dest_cpu", dest);
		qz_json__key_str(j, "reason", reason_names[r]);
		qz_json__key_bool(j, "same_l2", l2);
		qz_json__key_bool(j, "same_llc", llc);
		if (m->stacks && smp->callchain_nr) {
			qz_json__key(j, "stack");
			qz_stack_printer__json(m->printer, smp, j);
		}
		qz_output__end(m->out);
		return;
	}
	FILE *f = qz_output__file(m->out);

	fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64
		   ": sched:sched_migrate_task: comm=%.*s pid=%u prio=%d orig_cpu=%d dest_cpu=%d reason=%s%s\n",
		qz_event__comm(ev), smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
		smp->time % 1000000000 / 1000, (int)comm_len, comm ? comm : "", pid, prio, orig,
		dest, reason_names[r], llc ? "" : " (leaves its LLC)");
	if (m->stacks && smp->callchain_nr)
		qz_stack_printer__text(m->printer, smp, f);
}

static void sched_migrate_sample(void *ctx, const struct qz_event *ev)
{
	struct sched_migrate *m = ctx;
	const struct qz_sample *smp = ev->sample;
	int orig = (int)qz_tp_field__s64(m->orig, smp->raw, smp->raw_size);
	int dest = (int)qz_tp_field__s64(m->dest, smp->raw, smp->raw_size);
	uint32_t pid = (uint32_t)qz_tp_field__u64(m->pid, smp->raw, smp->raw_size);
	size_t comm_len = 0;
	const char *comm = qz_tp_field__str(m->comm, smp->raw, smp->raw_size, &comm_len);
	bool l2 = false, llc = false, node = true;
	enum reason r = reason_of(m, smp);
	struct task_row *t;
	bool created;

	if (orig >= 0 && dest >= 0 && orig < m->nr_cpus && dest < m->nr_cpus) {
		const struct topo *a = &m->topo[orig], *b = &m->topo[dest];

		l2 = a->l2 >= 0 && a->l2 == b->l2;
		llc = a->llc >= 0 && a->llc == b->llc;
		node = a->node == b->node;
	}
	add_stat(&m->total, l2, llc, node);
	add_stat(&m->by_reason[r], l2, llc, node);
	t = qz_u64map__put(&m->tasks, pid, &created);
	if (t) {
		t->count++;
		if (comm)
			snprintf(t->comm, sizeof(t->comm), "%.*s", (int)comm_len, comm);
	}
	if (m->flame && smp->callchain_nr) {
		char who[32];

		snprintf(who, sizeof(who), "%s", reason_names[r]);
		qz_folded__add(m->flame, who, smp);
	}
	if (m->every || (m->detail && !llc))
		print_migration(m, ev, r, pid, comm, comm_len, orig, dest, l2, llc);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static int task_cmp(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;	/* {count, pid} */

	if (x[0] != y[0])
		return x[0] > y[0] ? -1 : 1;
	return x[1] < y[1] ? -1 : x[1] > y[1];
}

#define TOP_TASKS 10

static void report(struct sched_migrate *m, struct qz_output *out, uint64_t now, bool final)
{
	uint64_t key, (*top)[2] = malloc((m->tasks.nr ?: 1) * sizeof(*top));
	size_t pos = 0, nr = 0;
	void *val;

	if (!top)
		return;
	while (qz_u64map__next(&m->tasks, &pos, &key, &val)) {
		top[nr][0] = ((struct task_row *)val)->count;
		top[nr++][1] = key;
	}
	qsort(top, nr, sizeof(*top), task_cmp);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "sched_migrate", now);

		qz_json__key_u64(j, "interval_ns", now - m->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_u64(j, "total", m->total.count);
		qz_json__key_u64(j, "same_l2", m->total.same_l2);
		qz_json__key_u64(j, "same_llc", m->total.same_llc);
		qz_json__key_u64(j, "cross_llc", m->total.cross_llc);
		qz_json__key_u64(j, "cross_node", m->total.cross_node);
		qz_json__key(j, "reasons");
		qz_json__begin_array(j);
		for (int r = 0; r < NR_REASONS; r++) {
			if (!m->by_reason[r].count)
				continue;
			qz_json__begin_object(j);
			qz_json__key_str(j, "reason", reason_names[r]);
			qz_json__key_u64(j, "count", m->by_reason[r].count);
			qz_json__key_u64(j, "same_l2", m->by_reason[r].same_l2);
			qz_json__key_u64(j, "same_llc", m->by_reason[r].same_llc);
			qz_json__key_u64(j, "cross_llc", m->by_reason[r].cross_llc);
			qz_json__key_u64(j, "cross_node", m->by_reason[r].cross_node);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_json__key(j, "tasks");
		qz_json__begin_array(j);
		for (size_t i = 0; i < nr && i < TOP_TASKS; i++) {
			struct task_row *t = qz_u64map__get(&m->tasks, top[i][1]);

			qz_json__begin_object(j);
			qz_json__key_u64(j, "pid", top[i][1]);
			qz_json__key_str(j, "comm", t ? t->comm : "");
			qz_json__key_u64(j, "count", top[i][0]);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		FILE *f = qz_output__file(out);

		fprintf(f, "\nsched-migrate total %" PRIu64 ", same LLC %" PRIu64 " hit %.0f%%, same L2 %"
			   PRIu64 " hit %.0f%%, other node %" PRIu64 "\n",
			m->total.count, m->total.same_llc, pct(m->total.same_llc, m->total.count),
			m->total.same_l2, pct(m->total.same_l2, m->total.count), m->total.cross_node);
		if (m->total.count) {
			fprintf(f, "%-9s %8s %8s %8s %9s\n", "REASON", "COUNT", "SAME_L2", "SAME_LLC",
				"CROSS_LLC");
			for (int r = 0; r < NR_REASONS; r++)
				if (m->by_reason[r].count)
					fprintf(f, "%-9s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 " %9" PRIu64
						   "\n", reason_names[r], m->by_reason[r].count,
						m->by_reason[r].same_l2, m->by_reason[r].same_llc,
						m->by_reason[r].cross_llc);
			fprintf(f, "%-8s %-16s %8s\n", "PID", "COMM", "MOVES");
			for (size_t i = 0; i < nr && i < TOP_TASKS; i++) {
				struct task_row *t = qz_u64map__get(&m->tasks, top[i][1]);

				fprintf(f, "%-8" PRIu64 " %-16s %8" PRIu64 "\n", top[i][1],
					t ? t->comm : "", top[i][0]);
			}
		}
	}
	free(top);
}

static void sched_migrate_interval(void *ctx, struct qz_output *out, bool final)
{
	struct sched_migrate *m = ctx;
	uint64_t now = now_ns();

	report(m, out, now, final);
	memset(&m->total, 0, sizeof(m->total));
	memset(m->by_reason, 0, sizeof(m->by_reason));
	qz_u64map__clear(&m->tasks);
	m->interval_start = now;
	if (final && m->flame)
		qz_folded__write(m->flame, m->session);
}

/* SIGUSR1: the interval so far. */
static void sched_migrate_status(void *ctx, struct qz_output *out)
{
	report(ctx, out, now_ns(), false);
}

static void sched_migrate_deinit(void *ctx)
{
	sched_migrate_free(ctx);
}

static const struct qz_option sched_migrate_options[] = {
	QZ_OPTION_ENTRY(struct sched_migrate_opts, detail, "detail", 0, QZ_OPTION_BOOL, NULL,
			"print each migration that leaves its last-level cache (-vv: every one)"),
	QZ_OPTION_ENTRY(struct sched_migrate_opts, filter, "filter", 0, QZ_OPTION_STRING, "FILTER",
			"a filter on sched:sched_migrate_task (comm, pid, prio, orig_cpu, dest_cpu)"),
	QZ_OPTION_ENTRY(struct sched_migrate_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING,
			"FILE", "with -g, write the migrations' stacks to FILE.folded, under their reason"),
	{ 0 },
};

const struct qz_profiler qz_profiler_sched_migrate = {
	.name = "sched-migrate",
	.help = "task migrations between CPUs: their reason (wakeup, balance, affinity, ...) and whether they keep the cache",
	.usage = "examples:\n"
		 "  quazar sched-migrate --detail\n"
		 "  quazar sched-migrate --filter 'pid==1234' -vv -g\n"
		 "  quazar sched-migrate -g --flame-graph migrations -i 10000",
	.options = sched_migrate_options,
	.opts_size = sizeof(struct sched_migrate_opts),
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* counts */
		.init = sched_migrate_init,
		.sample = sched_migrate_sample,
		.interval = sched_migrate_interval,
		.deinit = sched_migrate_deinit,
		.status = sched_migrate_status,
	},
};
