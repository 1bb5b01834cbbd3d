// SPDX-License-Identifier: MIT
/*
 * task-state: time each task spends in each state, from sched_switch and
 * sched_wakeup(_new):
 *   switch-in  (next_pid=A)    RD -> R   records A's RD (runnable, waiting)
 *   switch-out (prev_pid=A)    R -> prev_state (S, D, T, t, I, ...; RD
 *                              when preempted)   records A's R
 *   wakeup     (pid=A)         sleeping -> RD    records A's sleep state
 * Scoping (-p, -t, --cgroup, --filter COMMS) becomes tracepoint filters on
 * events opened on every CPU: an event attached to a task misses the
 * switch-in and the wakeup, which happen in other tasks' context.
 *
 * Memory: one 48-byte entry per task seen (at most MAX_TASKS, oldest
 * evicted); one struct qz_hist per state, and with --perins per (task,
 * state) up to MAX_ROWS rows, the rest folded into "other".
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "reltab.h"

/* Options beyond the common ones (task_state_options below). */
struct task_state_opts {
	bool interruptible, uninterruptible, no_interruptible;
	char *filter;
	uint64_t than;
	bool perins;
};

#define MAX_TASKS (1u << 18)
#define MAX_ROWS 4096
#define MAX_SCOPE_TIDS 256

enum { ST_R, ST_S, ST_D, ST_T, ST_t, ST_X, ST_Z, ST_P, ST_I, ST_RD, NR_ST, ST_NONE };
static const char *const st_names[NR_ST] = { "R", "S", "D", "T", "t", "X", "Z", "P", "I", "RD" };

struct ts_row {
	uint32_t tid;
	uint8_t state;
	bool used;
	char comm[16];
	struct qz_hist hist;
};

struct task_state {
	struct qz_session *session;
	struct qz_output *out;
	int i_switch, i_wakeup, i_wakeup_new;
	const struct qz_tp_field *prev_pid, *prev_state, *prev_comm, *next_pid,
		*next_comm, *w_pid, *w_comm, *wn_pid, *wn_comm;
	bool perins, sleep_only;
	unsigned report;		/* bit per state that is reported */
	uint64_t than;
	/* user-space scope: tids, or comm patterns */
	uint32_t *tids;
	int nr_tids;
	char **comms;
	int nr_comms;

	struct reltab tasks;		/* tid -> state (aux), since (time) */
	struct qz_hist total[NR_ST];
	struct ts_row *rows;		/* perins, open addressing */
	uint64_t rows_cap, rows_nr;
	struct ts_row other[NR_ST];
	uint64_t interval_start, outliers;
	char filter_switch[8300], filter_wakeup[4096];	/* as given to the kernel */
	bool capped;			/* --ptrace: new threads past MAX_SCOPE_TIDS */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int state_of(uint64_t prev_state)
{
	static const int bits[] = { ST_S, ST_D, ST_T, ST_t, ST_X, ST_Z, ST_P, ST_I };

	prev_state &= 0xff;	/* TASK_REPORT_MAX (0x100): preempted */
	if (!prev_state)
		return ST_RD;
	return bits[__builtin_ctzll(prev_state)];
}

/* ---- scope ---------------------------------------------------------- */

static int add_tid(struct task_state *t, uint32_t tid)
{
	if (t->nr_tids >= MAX_SCOPE_TIDS) {
		qz_session__log(t->session, QZ_LOG_ERROR,
				"task-state follows at most %d threads; use --filter COMM for larger scopes",
				MAX_SCOPE_TIDS);
		return -E2BIG;
	}
	t->tids[t->nr_tids++] = tid;
	return 0;
}

static int add_pid_threads(struct task_state *t, const char *pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	dir = opendir(path);
	if (!dir) {
		err = -errno;
		qz_session__log(t->session, QZ_LOG_ERROR, "-p %s: no such process (%s)", pid,
				qz_strerror(err));
		return err;
	}
	while (!err && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			err = add_tid(t, (uint32_t)strtoul(d->d_name, NULL, 10));
	closedir(dir);
	return err;
}

static int add_list(struct task_state *t, const char *list, bool pids)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save))
		err = pids ? add_pid_threads(t, tok) : add_tid(t, (uint32_t)strtoul(tok, NULL, 10));
	free(copy);
	return err;
}

static int add_cgroup(struct task_state *t, const char *cg)
{
	char path[4096];
	unsigned long tid;
	int err = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s%s/cgroup.threads",
		 cg[0] == '/' && strncmp(cg, "/sys/fs/cgroup", 14) ? "/sys/fs/cgroup" : cg[0] == '/' ? "" : "/sys/fs/cgroup/",
		 cg);
	f = fopen(path, "r");
	if (!f) {
		err = -errno;
		qz_session__log(t->session, QZ_LOG_ERROR,
				"--cgroup %s: cannot read %s (%s); give a cgroup v2 path",
				cg, path, qz_strerror(err));
		return err;
	}
	while (!err && fscanf(f, "%lu", &tid) == 1)
		err = add_tid(t, (uint32_t)tid);
	fclose(f);
	return err;
}

/* "F==1||F==2" or "F==\"a\"||F~\"b*\"" into buf. */
static void scope_filter(struct task_state *t, const char *pid_f, const char *comm_f,
			 char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; i < t->nr_tids && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s==%u", n ? "||" : "", pid_f,
				      t->tids[i]);
	for (int i = 0; i < t->nr_comms && n < len; i++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s%s\"%s\"", n ? "||" : "", comm_f,
				      strpbrk(t->comms[i], "*?[") ? "~" : "==", t->comms[i]);
}

static bool in_scope(const struct task_state *t, uint32_t tid, const char *comm,
		     size_t comm_len)
{
	char name[17];

	if (!t->nr_tids && !t->nr_comms)
		return tid != 0;
	for (int i = 0; i < t->nr_tids; i++)
		if (t->tids[i] == tid)
			return true;
	if (!t->nr_comms || !comm)
		return false;
	snprintf(name, sizeof(name), "%.*s", (int)comm_len, comm);
	for (int i = 0; i < t->nr_comms; i++)
		if (!fnmatch(t->comms[i], name, 0))
			return true;
	return false;
}

/* ---- statistics ------------------------------------------------------ */

static struct qz_hist *hist_of(struct task_state *t, uint32_t tid, int st,
			       const char *comm, size_t comm_len)
{
	uint64_t s, key = (uint64_t)tid << 4 | (uint64_t)st;

	if (!t->perins)
		return &t->total[st];
	if (!t->rows || (t->rows_nr + 1) * 4 > t->rows_cap * 3) {
		uint64_t ncap = t->rows_cap ? t->rows_cap * 2 : 64;
		struct ts_row *n;

		if (t->rows_nr >= MAX_ROWS || !(n = calloc(ncap, sizeof(*n))))
			return &t->other[st].hist;
		for (uint64_t i = 0; i < t->rows_cap; i++) {
			struct ts_row *r = &t->rows[i];

			if (!r->used)
				continue;
			for (s = ((uint64_t)r->tid << 4 | r->state) * 0x9e3779b97f4a7c15ull >> 20 & (ncap - 1);
			     n[s].used; s = (s + 1) & (ncap - 1))
				;
			n[s] = *r;
		}
		free(t->rows);
		t->rows = n;
		t->rows_cap = ncap;
	}
	for (s = key * 0x9e3779b97f4a7c15ull >> 20 & (t->rows_cap - 1); t->rows[s].used;
	     s = (s + 1) & (t->rows_cap - 1))
		if (t->rows[s].tid == tid && t->rows[s].state == st) {
			if (comm && comm_len && strncmp(t->rows[s].comm, comm, comm_len))
				snprintf(t->rows[s].comm, sizeof(t->rows[s].comm), "%.*s",
					 (int)comm_len, comm);	/* it exec'd */
			return &t->rows[s].hist;
		}
	if (t->rows_nr >= MAX_ROWS)
		return &t->other[st].hist;
	t->rows[s].used = true;
	t->rows[s].tid = tid;
	t->rows[s].state = (uint8_t)st;
	snprintf(t->rows[s].comm, sizeof(t->rows[s].comm), "%.*s", (int)comm_len,
		 comm ? comm : "");
	QZ_HIST_INIT(&t->rows[s].hist);
	t->rows_nr++;
	return &t->rows[s].hist;
}

static void record(struct task_state *t, uint32_t tid, int st, uint64_t from,
		   uint64_t to, const char *comm, size_t comm_len)
{
	uint64_t d = to > from ? to - from : 0;

	if (!(t->report & 1u << st))
		return;
	qz_hist__record(hist_of(t, tid, st, comm, comm_len), d);
	if (!t->than || d <= t->than)
		return;
	t->outliers++;
	if (qz_output__json(t->out)) {
		struct qz_json *j = qz_output__begin(t->out, "outlier", to);

		qz_json__key_u64(j, "tid", tid);
		qz_json__key(j, "comm");
		qz_json__strn(j, comm ? comm : "", comm ? comm_len : 0);
		qz_json__key_str(j, "state", st_names[st]);
		qz_json__key_u64(j, "start", from);
		qz_json__key_u64(j, "end", to);
		qz_json__key_u64(j, "duration", d);
		qz_output__end(t->out);
	} else {
		fprintf(qz_output__file(t->out),
			"%6u %-16.*s %-2s %" PRIu64 ".%06" PRIu64 " -> %" PRIu64 ".%06" PRIu64
			" %" PRIu64 ".%03" PRIu64 " us\n",
			tid, (int)comm_len, comm ? comm : "", st_names[st], from / 1000000000,
			from % 1000000000 / 1000, to / 1000000000, to % 1000000000 / 1000,
			d / 1000, d % 1000);
	}
}

static struct reltab_entry *task(struct task_state *t, uint32_t tid)
{
	struct reltab_entry *e = reltab_find(&t->tasks, tid);

	if (!e && (e = qz_reltab__insert(&t->tasks, tid)))
		e->aux = ST_NONE;
	return e;
}

/* ---- events ------------------------------------------------------------ */

static void on_switch(struct task_state *t, const struct qz_sample *smp)
{
	const void *raw = smp->raw;
	size_t size = smp->raw_size, plen = 0, nlen = 0;
	uint32_t prev = (uint32_t)qz_tp_field__u64(t->prev_pid, raw, size);
	uint32_t next = (uint32_t)qz_tp_field__u64(t->next_pid, raw, size);
	const char *pc = qz_tp_field__str(t->prev_comm, raw, size, &plen);
	const char *nc = qz_tp_field__str(t->next_comm, raw, size, &nlen);
	struct reltab_entry *e;

	if (prev && in_scope(t, prev, pc, plen) && (e = task(t, prev))) {
		int st = state_of(qz_tp_field__u64(t->prev_state, raw, size));

		if (e->aux == ST_R)
			record(t, prev, ST_R, e->time, smp->time, pc, plen);
		if (st == ST_X || st == ST_Z) {
			qz_reltab__remove(&t->tasks, e);
		} else {
			e->aux = (uint64_t)st;
			e->time = smp->time;
		}
	}
	if (next && in_scope(t, next, nc, nlen) && (e = task(t, next))) {
		if (e->aux == ST_RD)
			record(t, next, ST_RD, e->time, smp->time, nc, nlen);
		e->aux = ST_R;
		e->time = smp->time;
	}
}

static void on_wakeup(struct task_state *t, const struct qz_sample *smp,
		      const struct qz_tp_field *pid_f, const struct qz_tp_field *comm_f)
{
	size_t len = 0;
	uint32_t pid = (uint32_t)qz_tp_field__u64(pid_f, smp->raw, smp->raw_size);
	const char *comm = qz_tp_field__str(comm_f, smp->raw, smp->raw_size, &len);
	struct reltab_entry *e;

	if (!pid || !in_scope(t, pid, comm, len) || !(e = task(t, pid)))
		return;
	if (e->aux == ST_R || e->aux == ST_RD)
		return;		/* already runnable */
	if (e->aux != ST_NONE)
		record(t, pid, (int)e->aux, e->time, smp->time, comm, len);
	if (t->sleep_only) {
		/* switch-ins are not traced: forget the task until it sleeps */
		qz_reltab__remove(&t->tasks, e);
		return;
	}
	e->aux = ST_RD;
	e->time = smp->time;
}

static void ts_sample(void *ctx, const struct qz_event *ev)
{
	struct task_state *t = ctx;

	if (ev->index == t->i_switch)
		on_switch(t, ev->sample);
	else if (ev->index == t->i_wakeup)
		on_wakeup(t, ev->sample, t->w_pid, t->w_comm);
	else if (ev->index == t->i_wakeup_new)
		on_wakeup(t, ev->sample, t->wn_pid, t->wn_comm);
}

/* ---- reports ------------------------------------------------------------ */

static int row_cmp(const void *a, const void *b)
{
	const struct ts_row *x = *(const struct ts_row *const *)a;
	const struct ts_row *y = *(const struct ts_row *const *)b;

	if (x->tid != y->tid)
		return x->tid < y->tid ? -1 : 1;
	return x->state - y->state;
}

static void row_json(struct qz_json *j, const struct ts_row *r, bool perins)
{
	const struct qz_hist *h = &r->hist;

	qz_json__begin_object(j);
	if (perins) {
		qz_json__key_u64(j, "tid", r->tid);
		qz_json__key_str(j, "comm", r->comm);
	}
	qz_json__key_str(j, "state", st_names[r->state]);
	qz_json__key_u64(j, "calls", h->count);
	qz_json__key_u64(j, "total", h->sum);
	qz_json__key_u64(j, "min", h->min);
	qz_json__key_u64(j, "p50", qz_hist__quantile(h, 0.50));
	qz_json__key_u64(j, "p95", qz_hist__quantile(h, 0.95));
	qz_json__key_u64(j, "p99", qz_hist__quantile(h, 0.99));
	qz_json__key_u64(j, "max", h->max);
	qz_json__key_double(j, "mean", qz_hist__mean(h));
	qz_json__key_double(j, "stddev", qz_hist__stddev(h));
	qz_json__end_object(j);
}

static void us(char *buf, uint64_t ns)
{
	snprintf(buf, 32, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}

static void row_text(FILE *f, const struct ts_row *r, bool perins)
{
	const struct qz_hist *h = &r->hist;
	char v[8][32];

	us(v[0], h->sum);
	us(v[1], h->min);
	us(v[2], qz_hist__quantile(h, 0.50));
	us(v[3], qz_hist__quantile(h, 0.95));
	us(v[4], qz_hist__quantile(h, 0.99));
	us(v[5], h->max);
	us(v[6], (uint64_t)(qz_hist__mean(h) + 0.5));
	us(v[7], (uint64_t)(qz_hist__stddev(h) + 0.5));
	if (perins)
		fprintf(f, "%6u %-16s ", r->tid, r->comm);
	fprintf(f, "%-3s %8" PRIu64 " %16s %12s %12s %12s %12s %12s %12s %12s\n",
		st_names[r->state], h->count, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
}

/* The rows so far; commit starts the next interval (each covers its own). */
static void ts_report(struct task_state *t, struct qz_output *out, bool final, bool commit)
{
	struct ts_row **rows, tot[NR_ST];
	size_t nr = 0;
	uint64_t now = now_ns();
	struct qz_session_stats ss = { .sz = sizeof(ss) };

	rows = malloc((t->rows_nr + 2 * NR_ST) * sizeof(*rows));
	if (!rows)
		return;
	for (int s = 0; s < NR_ST; s++) {
		tot[s].tid = 0;
		tot[s].state = (uint8_t)s;
		tot[s].hist = t->total[s];
		if (!t->perins && t->total[s].count)
			rows[nr++] = &tot[s];
	}
	for (uint64_t i = 0; t->perins && i < t->rows_cap; i++)
		if (t->rows[i].used)
			rows[nr++] = &t->rows[i];
	qsort(rows, nr, sizeof(*rows), row_cmp);
	for (int s = 0; t->perins && s < NR_ST; s++)
		if (t->other[s].hist.count)
			rows[nr++] = &t->other[s];
	qz_session__stats(t->session, &ss);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "task_state", now);

		qz_json__key_u64(j, "interval_ns", now - t->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key(j, "rows");
		qz_json__begin_array(j);
		for (size_t i = 0; i < nr; i++)
			row_json(j, rows[i], t->perins);
		qz_json__end_array(j);
		qz_json__key_u64(j, "tasks", t->tasks.nr);
		qz_json__key_u64(j, "outliers", t->outliers);
		qz_json__key_u64(j, "late", ss.late);
		qz_json__key_u64(j, "lost", ss.lost);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		FILE *f = qz_output__file(out);

		fputc('\n', f);
		if (t->perins)
			fprintf(f, "%6s %-16s ", "thread", "comm");
		fprintf(f, "%-3s %8s %16s %12s %12s %12s %12s %12s %12s %12s\n", "St", "calls",
			"total(us)", "min(us)", "p50(us)", "p95(us)", "p99(us)", "max(us)", "avg(us)",
			"stddev(us)");
		for (size_t i = 0; i < nr; i++)
			row_text(f, rows[i], t->perins);
		if (ss.late || ss.lost)
			fprintf(f, "late %" PRIu64 ", lost %" PRIu64 "\n", ss.late, ss.lost);
	}
	free(rows);
	if (!commit)
		return;
	/* Each report covers its interval, as perf-prof's does. */
	for (int s = 0; s < NR_ST; s++) {
		QZ_HIST_INIT(&t->total[s]);
		QZ_HIST_INIT(&t->other[s].hist);
	}
	if (t->rows)
		memset(t->rows, 0, t->rows_cap * sizeof(*t->rows));
	t->rows_nr = 0;
	t->interval_start = now;
}

static void ts_interval(void *ctx, struct qz_output *out, bool final)
{
	ts_report(ctx, out, final, true);
}

/*
 * SIGUSR1: the built-in events' filters (perf-prof shows them on SIGUSR2),
 * the tasks followed and the rows so far; nothing is reset.
 */
static void ts_status(void *ctx, struct qz_output *out)
{
	struct task_state *t = ctx;

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "task_state_filters", now_ns());

		qz_json__key_str(j, "sched_switch", t->filter_switch);
		qz_json__key_str(j, "sched_wakeup", t->filter_wakeup);
		qz_json__key_u64(j, "threads", (uint64_t)t->nr_tids);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		fprintf(qz_output__file(out),
			"task-state filters: sched_switch '%s', sched_wakeup '%s'; %d threads in scope, %" PRIu64 " tasks followed\n",
			t->filter_switch, t->filter_wakeup, t->nr_tids, t->tasks.nr);
	}
	ts_report(t, out, false, false);
}

/* --ptrace (and -- cmd): a new thread of the scope, stopped until we return. */
static void ts_thread(void *ctx, int tid, int parent)
{
	struct task_state *t = ctx;
	char sw[160], wk[64];

	(void)parent;
	if (t->nr_tids >= MAX_SCOPE_TIDS) {
		if (!t->capped)
			qz_session__log(t->session, QZ_LOG_WARN,
					"task-state follows at most %d threads: thread %d and later ones are not followed",
					MAX_SCOPE_TIDS, tid);
		t->capped = true;
		return;
	}
	t->tids[t->nr_tids++] = (uint32_t)tid;
	/* Filters cannot change once set: each new thread gets its own events. */
	if (t->sleep_only)
		snprintf(sw, sizeof(sw), "(%s)&&(prev_pid==%d)",
			 t->report & 1u << ST_S && t->report & 1u << ST_D ?
				 "prev_state==1||prev_state==2" :
			 t->report & 1u << ST_S ? "prev_state==1" : "prev_state==2", tid);
	else
		snprintf(sw, sizeof(sw), "prev_pid==%d||next_pid==%d", tid, tid);
	snprintf(wk, sizeof(wk), "pid==%d", tid);
	if (qz_session__add_clone(t->session, t->i_switch, -1, sw) ||
	    qz_session__add_clone(t->session, t->i_wakeup, -1, wk) ||
	    (t->i_wakeup_new >= 0 &&
	     qz_session__add_clone(t->session, t->i_wakeup_new, -1, wk)))
		qz_session__log(t->session, QZ_LOG_WARN,
				"task-state: thread %d is followed in part (its events did not all open)",
				tid);
}

/* ---- setup --------------------------------------------------------------- */

static void ts_free(struct task_state *t)
{
	if (t->tasks.pool)
		qz_reltab__free(&t->tasks, NULL);
	for (int i = 0; i < t->nr_comms; i++)
		free(t->comms[i]);
	free(t->comms);
	free(t->tids);
	free(t->rows);
	free(t);
}

static int field(struct task_state *t, int idx, const char *name,
		 const struct qz_tp_field **f)
{
	return qz_mt__resolve_field(t->session, idx, "field", name, f);
}

static int add_event(struct task_state *t, const char *name, const char *filter,
		     int *idx)
{
	char sel[8400];

	snprintf(sel, sizeof(sel), "%s%s%s%s", name, filter[0] ? "/" : "", filter,
		 filter[0] ? "/" : "");
	*idx = qz_session__add_events(t->session, sel, 0);
	return *idx < 0 ? *idx : 0;
}

static int setup_scope(struct task_state *t, struct qz_env *env,
		       const char *filter)
{
	int err = 0;

	t->tids = calloc(MAX_SCOPE_TIDS, sizeof(*t->tids));
	if (!t->tids)
		return -ENOMEM;
	if (filter) {
		char *copy = strdup(filter), *tok, *save = NULL;

		if (!copy)
			return -ENOMEM;
		t->comms = calloc(strlen(filter) + 1, sizeof(*t->comms));
		for (tok = strtok_r(copy, ",", &save); tok && t->comms;
		     tok = strtok_r(NULL, ",", &save))
			if (!(t->comms[t->nr_comms++] = strdup(tok)))
				err = -ENOMEM;
		free(copy);
		if (!t->comms)
			return -ENOMEM;
		if (env->pids || env->tids)
			qz_session__log(t->session, QZ_LOG_WARN,
					"--filter %s is used; -p/-t are ignored (as perf-prof does)",
					filter);
	} else {
		if (env->pids)
			err = add_list(t, env->pids, true);
		if (!err && env->tids)
			err = add_list(t, env->tids, false);
		if (!err && env->cgroup)
			err = add_cgroup(t, env->cgroup);
	}
	/* Open on every CPU and filter: see the top of this file. */
	free(env->pids);
	free(env->tids);
	free(env->cgroup);
	env->pids = env->tids = env->cgroup = NULL;
	return err;
}

static int ts_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct task_state_opts *opts = qz_session__ops_opts(s);
	struct task_state *t;
	char f1[4096], f2[4096], sw[8300], state[64] = "";
	int err;

	if (env->ptrace && opts->filter) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--ptrace follows threads by id; --filter %s selects them by name (new threads keep it): give one",
				opts->filter);
		return -QZ_ERR_OPTION;
	}
	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"task-state chooses its own events (sched_switch, sched_wakeup); drop -e");
		return -QZ_ERR_OPTION;
	}
	if (env->callchain) {
		qz_session__log(s, QZ_LOG_ERROR,
				"task-state -g: the stacks of its outliers (and --flame-graph) are not implemented; drop -g");
		return -QZ_ERR_OPTION;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->session = s;
	t->out = qz_session__output(s);
	t->perins = opts->perins;
	t->than = opts->than;
	t->interval_start = now_ns();
	t->i_wakeup_new = -1;
	for (int i = 0; i < NR_ST; i++) {
		QZ_HIST_INIT(&t->total[i]);
		QZ_HIST_INIT(&t->other[i].hist);
		t->other[i].state = (uint8_t)i;
		t->other[i].tid = UINT32_MAX;
		snprintf(t->other[i].comm, sizeof(t->other[i].comm), "(other)");
	}
	err = qz_reltab__init(&t->tasks, MAX_TASKS, NULL, NULL);
	if (!err)
		err = setup_scope(t, env, opts->filter);
	if (!err && env->workload && !opts->filter) {
		/*
		 * -- cmd: events on every CPU filtered on its pid, as for -p; its
		 * new threads are followed by ptrace (held before exec, so from
		 * its first clone on), each with events of its own.
		 */
		int pid = qz_session__workload_pid(s);

		err = pid < 0 ? pid : add_tid(t, (uint32_t)pid);
		if (!err)
			err = qz_session__follow(s, pid);
	} else if (!err && env->ptrace) {
		for (int i = 0; i < t->nr_tids && !err; i++)
			err = qz_session__follow(s, (int)t->tids[i]);
	}
	qz_session__set_system_wide(s, true);
	if (err)
		goto fail;
	t->sleep_only = opts->interruptible || opts->uninterruptible;
	if (t->sleep_only) {
		t->report = (opts->interruptible ? 1u << ST_S : 0) |
			    (opts->uninterruptible ? 1u << ST_D : 0);
		snprintf(state, sizeof(state), "%s%s%s",
			 opts->interruptible ? "prev_state==1" : "",
			 opts->interruptible && opts->uninterruptible ? "||" : "",
			 opts->uninterruptible ? "prev_state==2" : "");
	} else {
		t->report = (1u << NR_ST) - 1;
	}
	if (opts->no_interruptible)
		t->report &= ~(1u << ST_S);
	/* sched_switch: the task going out, or (all states) coming in */
	scope_filter(t, "prev_pid", "prev_comm", f1, sizeof(f1));
	if (!t->sleep_only) {
		scope_filter(t, "next_pid", "next_comm", f2, sizeof(f2));
		snprintf(sw, sizeof(sw), "%s%s%s", f1, f1[0] ? "||" : "", f2);
	} else if (f1[0]) {
		snprintf(sw, sizeof(sw), "(%s)&&(%s)", state, f1);
	} else {
		snprintf(sw, sizeof(sw), "%s", state);
	}
	scope_filter(t, "pid", "comm", f1, sizeof(f1));
	snprintf(t->filter_switch, sizeof(t->filter_switch), "%s", sw);
	snprintf(t->filter_wakeup, sizeof(t->filter_wakeup), "%s", f1);
	err = add_event(t, "sched:sched_switch", sw, &t->i_switch);
	if (!err)
		err = add_event(t, "sched:sched_wakeup", f1, &t->i_wakeup);
	if (!err && !t->sleep_only)
		err = add_event(t, "sched:sched_wakeup_new", f1, &t->i_wakeup_new);
	if (!err)
		err = field(t, t->i_switch, "prev_pid", &t->prev_pid);
	if (!err)
		err = field(t, t->i_switch, "prev_state", &t->prev_state);
	if (!err)
		err = field(t, t->i_switch, "prev_comm", &t->prev_comm);
	if (!err)
		err = field(t, t->i_switch, "next_pid", &t->next_pid);
	if (!err)
		err = field(t, t->i_switch, "next_comm", &t->next_comm);
	if (!err)
		err = field(t, t->i_wakeup, "pid", &t->w_pid);
	if (!err)
		err = field(t, t->i_wakeup, "comm", &t->w_comm);
	if (!err && t->i_wakeup_new >= 0)
		err = field(t, t->i_wakeup_new, "pid", &t->wn_pid);
	if (!err && t->i_wakeup_new >= 0)
		err = field(t, t->i_wakeup_new, "comm", &t->wn_comm);
	if (err)
		goto fail;
	env->order = true;	/* a task moves between CPUs */
	*ctx = t;
	return 0;
fail:
	ts_free(t);
	return err;
}

static void ts_deinit(void *ctx)
{
	ts_free(ctx);
}

static const struct qz_option task_state_options[] = {
	QZ_OPTION_ENTRY(struct task_state_opts, interruptible, "interruptible", 'S', QZ_OPTION_BOOL, NULL,
			"select S-state tasks"),
	QZ_OPTION_ENTRY(struct task_state_opts, uninterruptible, "uninterruptible", 'D', QZ_OPTION_BOOL, NULL,
			"select D-state tasks"),
	QZ_OPTION_ENTRY(struct task_state_opts, no_interruptible, "no-interruptible", 0, QZ_OPTION_BOOL, NULL,
			"leave out S-state (interruptible sleep)"),
	QZ_OPTION_ENTRY(struct task_state_opts, filter, "filter", 0, QZ_OPTION_STRING, "FILTER",
			"filter for built-in events"),
	QZ_OPTION_ENTRY(struct task_state_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"report what exceeds TIME (ns, us, ms, s)"),
	QZ_OPTION_ENTRY(struct task_state_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"statistics per instance (CPU, thread or key)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_task_state = {
	.name = "task-state",
	.help = "time per task in each state: R, S, D, T, t, I and RD (runnable, waiting for a CPU)",
	.usage = "examples:\n"
		 "  quazar task-state -i 1000\n"
		 "  quazar task-state -p 2347 -SD --than 20ms\n"
		 "  quazar task-state --filter 'java,python*' --perins",
	.options = task_state_options,
	.opts_size = sizeof(struct task_state_opts),
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.default_order = true,
		.init = ts_init,
		.sample = ts_sample,
		.interval = ts_interval,
		.deinit = ts_deinit,
		.status = ts_status,
		.thread = ts_thread,
	},
};
