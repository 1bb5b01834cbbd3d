// SPDX-License-Identifier: MIT
/*
 * multi-trace: relate events given as a chain of positions (-e A -e B
 * [-e C ...]), by key. Each event1 -> event2 pair's latency goes into a
 * per-pair histogram (relations.c); --than prints outlier pairs, --detail
 * the events between them (detail.c); --heatmap draws the latencies.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/session.h>
#include <quazar/filter.h>
#include <quazar/tasks.h>
#include <quazar/tp.h>
#include "detail.h"
#include "folded.h"
#include "heatmap.h"
#include "multi_trace.h"
#include "print.h"
#include "profiler_table.h"
#include "callchain.h"

/* Deferred outliers (--detail=+N) wait for the events after event2. */
struct deferred {
	struct mt_rec *e1;	/* owned; its timeline node stays pinned */
	uint64_t e2_seq, e2_time, key, delta;
	int pair;
};

struct mt {
	struct qz_session *session;
	struct qz_output *out;
	struct mt_core *core;
	struct mt_printer printer;
	struct heatmap *heatmap;
	const char *key_name;		/* perins column */
	bool key_is_tid;
	const struct qz_filter *printkey;	/* printkey=, or NULL */

	bool detail;
	struct mt_detail_opts dopts;
	struct mt_timeline tl;
	uint64_t cur_seq;
	struct deferred *defer;
	size_t nr_defer, cap_defer, defer_head;

	uint64_t interval_start;
	uint64_t late_seen, lost;
	bool only_than;
	uint64_t than;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* ---- outliers and --detail ---------------------------------------- */

static bool detail_shows(struct mt *m, const struct mt_rec *r,
			 const struct mt_rec *e1, const struct mt_rec *e2,
			 uint64_t key)
{
	const struct mt_detail_opts *o = &m->dopts;
	bool use1 = !o->only2 || o->only1, use2 = !o->only1 || o->only2;
	bool any = o->same_cpu || o->same_pid || o->same_tid || o->same_key;

	if (!any)
		return true;
	if (o->same_cpu && ((use1 && r->cpu == e1->cpu) || (use2 && e2 && r->cpu == e2->cpu)))
		return true;
	if (o->same_pid && ((use1 && r->pid == e1->pid) || (use2 && e2 && r->pid == e2->pid)))
		return true;
	if (o->same_tid && ((use1 && r->tid == e1->tid) || (use2 && e2 && r->tid == e2->tid)))
		return true;
	return o->same_key && r->key == key;
}

/* Walk the timeline around an outlier: fn(r, mark) for each shown event. */
static void walk_detail(struct mt *m, const struct mt_rec *e1, uint64_t e2_seq,
			uint64_t key,
			void (*fn)(struct mt *m, const struct mt_rec *r,
				   const char *mark, void *arg),
			void *arg)
{
	struct mt_timeline *tl = &m->tl;
	struct mt_rec *e2 = qz_mt_timeline__get(tl, e2_seq);
	uint64_t from = e1->seq, last = e1->time;

	if (!qz_mt_timeline__get(tl, from))
		from = tl->head;	/* dropped by the byte cap */
	while (from > tl->head && m->dopts.before) {
		struct mt_rec *r = qz_mt_timeline__get(tl, from - 1);

		if (!r || r->time + m->dopts.before < e1->time)
			break;
		from--;
	}
	for (uint64_t s = from; s < tl->tail; s++) {
		struct mt_rec *r = qz_mt_timeline__get(tl, s);
		bool is1 = s == e1->seq, is2 = s == e2_seq;

		if (!r)
			continue;
		if (s > e2_seq && (!m->dopts.after || !e2 ||
				   r->time > e2->time + m->dopts.after))
			break;
		if (!is1 && !is2) {
			if (!detail_shows(m, r, e1, e2, key))
				continue;
			if (m->dopts.hide && r->time - last < m->dopts.hide &&
			    s > e1->seq && s < e2_seq)
				continue;
		}
		fn(m, r, is1 ? "> " : is2 ? "< " : "  ", arg);
		last = r->time;
	}
}

static void text_line(struct mt *m, const struct mt_rec *r, const char *mark,
		      void *arg)
{
	qz_mt__print_text(&m->printer, r, mark, arg);
}

static void json_item(struct mt *m, const struct mt_rec *r, const char *mark,
		      void *arg)
{
	(void)mark;
	qz_mt__print_json(&m->printer, r, arg);
}

static void print_outlier(struct mt *m, const struct mt_rec *e1,
			  const struct mt_rec *e2, uint64_t e2_seq, uint64_t key,
			  uint64_t delta, int pair)
{
	struct qz_session *s = m->session;
	const struct mt_pair *pr = &m->core->pairs[pair];
	struct qz_output *out = m->out;
	char us[32];

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "outlier", e2 ? e2->time : 0);

		qz_json__key_str(j, "start", qz_mt__short_name(s, pr->from));
		qz_json__key_str(j, "end", qz_mt__short_name(s, pr->to));
		qz_json__key_u64(j, "key", key);
		qz_json__key_u64(j, "latency", delta);
		qz_json__key(j, "event1");
		qz_mt__print_json(&m->printer, e1, j);
		if (e2) {
			qz_json__key(j, "event2");
			qz_mt__print_json(&m->printer, e2, j);
		}
		if (m->detail) {
			qz_json__key(j, "detail");
			qz_json__begin_array(j);
			walk_detail(m, e1, e2_seq, key, json_item, j);
			qz_json__end_array(j);
		}
		qz_output__end(out);
		return;
	}
	qz_mt__fmt_us(delta, us, sizeof(us));
	fprintf(qz_output__file(out), "%s => %s key %" PRIu64 " latency %s us\n",
		qz_mt__short_name(s, pr->from), qz_mt__short_name(s, pr->to), key, us);
	if (m->detail) {
		walk_detail(m, e1, e2_seq, key, text_line, qz_output__file(out));
	} else {
		qz_mt__print_text(&m->printer, e1, "> ", qz_output__file(out));
		if (e2)
			qz_mt__print_text(&m->printer, e2, "< ", qz_output__file(out));
	}
}

static void flush_deferred(struct mt *m, bool all)
{
	while (m->defer_head < m->nr_defer) {
		struct deferred *d = &m->defer[m->defer_head];

		if (!all && m->tl.newest <= d->e2_time + m->dopts.after)
			break;
		print_outlier(m, d->e1, qz_mt_timeline__get(&m->tl, d->e2_seq),
			      d->e2_seq, d->key, d->delta, d->pair);
		qz_mt_timeline__unpin(&m->tl, d->e1->seq);
		qz_mt_timeline__unpin(&m->tl, d->e2_seq);
		free(d->e1);
		m->defer_head++;
	}
	if (m->defer_head == m->nr_defer)
		m->defer_head = m->nr_defer = 0;
}

static void on_outlier(void *ctx, struct reltab_entry *prev,
		       const struct qz_event *ev, uint64_t key, uint64_t delta,
		       int pair)
{
	struct mt *m = ctx;
	struct mt_rec *e1 = prev ? prev->data : NULL;
	struct mt_rec *e2;

	if (pair < 0) {
		/* --impl pair: an unpaired event1 (prev) or event2 (ev) */
		struct mt_rec *r = e1 ? e1 : ev ? qz_mt_rec__new(ev, key) : NULL;

		if (!r)
			return;
		if (qz_output__json(m->out)) {
			struct qz_json *j = qz_output__begin(m->out, "unpaired", r->time);

			qz_json__key_str(j, "side", e1 ? "event1" : "event2");
			qz_json__key_u64(j, "key", key);
			qz_json__key(j, "event");
			qz_mt__print_json(&m->printer, r, j);
			qz_output__end(m->out);
		} else {
			qz_mt__print_text(&m->printer, r, e1 ? "unpaired event1: " :
							   "unpaired event2: ",
				      qz_output__file(m->out));
		}
		if (!e1)
			free(r);
		return;
	}
	if (!e1)
		return;
	if (m->detail && m->dopts.after) {
		/* Keep event1 (and its pin) until the events after event2 are in. */
		if (m->nr_defer == m->cap_defer) {
			size_t ncap = m->cap_defer ? m->cap_defer * 2 : 16;
			struct deferred *d = realloc(m->defer, ncap * sizeof(*d));

			if (!d)
				return;
			m->defer = d;
			m->cap_defer = ncap;
		}
		qz_mt_timeline__pin(&m->tl, m->cur_seq);
		m->defer[m->nr_defer++] = (struct deferred){
			.e1 = e1, .e2_seq = m->cur_seq, .e2_time = ev->sample->time,
			.key = key, .delta = delta, .pair = pair,
		};
		prev->data = NULL;	/* the deferred entry owns it and its pin */
		return;
	}
	e2 = m->detail ? qz_mt_timeline__get(&m->tl, m->cur_seq) : qz_mt_rec__new(ev, key);
	print_outlier(m, e1, e2, m->cur_seq, key, delta, pair);
	if (!m->detail)
		free(e2);
}

static struct mt_rec *copy_rec(void *ctx, const struct qz_event *ev, uint64_t key)
{
	struct mt *m = ctx;
	struct mt_rec *r = qz_mt_rec__new(ev, key);

	if (r)
		r->seq = m->cur_seq;
	return r;
}

static void release_rec(void *ctx, struct mt_rec *r)
{
	struct mt *m = ctx;

	qz_mt_timeline__unpin(&m->tl, r->seq);
	free(r);
}

static void on_latency(void *ctx, uint64_t time, uint64_t delta)
{
	qz_heatmap__add(((struct mt *)ctx)->heatmap, time, delta);
}

/* ---- the per-event path -------------------------------------------- */

/* With --detail: every event joins the timeline around the pairing. */
static __attribute__((noinline)) void sample_detail(struct mt *m, const struct qz_event *ev,
						    uint64_t key, unsigned role)
{
	struct mt_core *c = m->core;
	struct mt_rec *r = qz_mt_timeline__append(&m->tl, ev, key,
					       c->ev[ev->index].backup &&
					       (role & MT_ROLE_EVENT1));

	m->cur_seq = r ? r->seq : UINT64_MAX;
	if (!c->ev[ev->index].untraced)
		qz_mt_core__event(c, ev, key, role);
	if (m->nr_defer)
		flush_deferred(m, false);
	qz_mt_timeline__trim(&m->tl);
}

void qz_mt__sample(void *ctx, const struct qz_event *ev)
{
	struct mt *m = ctx;
	struct mt_core *c = m->core;
	const struct mt_event_cfg *e = &c->ev[ev->index];
	uint64_t key;
	unsigned role;

	if (ev->sample->callchain_nr && m->printer.stacks)
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(m->printer.stacks),
				       (pid_t)ev->sample->pid);
	key = qz_mt_core__key(c, ev);
	role = qz_mt_core__role(c, ev);
	if (m->detail)
		sample_detail(m, ev, key, role);
	else if (!e->untraced)
		qz_mt_core__event(c, ev, key, role);
	/* trigger: this event prints the report, not (only) the interval. */
	if (e->trigger && m->out)
		qz_mt__interval(m, m->out, false);
}

/* ---- reports --------------------------------------------------------- */

static const char *inst_comm(struct mt *m, uint64_t inst)
{
	struct qz_tasks *tasks = m->session ? qz_session__tasks(m->session) : NULL;
	const char *comm = tasks ? qz_tasks__comm(tasks, (pid_t)inst) : NULL;

	return comm ? comm : "";
}

/* printkey=: the instance as the user formats it. */
static const char *print_key(struct mt *m, uint64_t inst, char *buf, size_t len)
{
	qz_filter__eval_str(m->printkey, NULL, inst, buf, len);
	return buf;
}

static void report_text(struct mt *m, struct mt_row **rows, size_t nr, FILE *f)
{
	struct qz_session *s = m->session;
	char v[8][32], key[128];

	fputc('\n', f);
	if (m->core->perins)
		fprintf(f, "%-12s %s", m->key_name, m->key_is_tid ? "comm             " : "");
	fprintf(f, "%30s %8s %16s %12s %12s %12s %12s %12s %12s %12s\n", "start => end", "calls",
		"total(us)", "min(us)", "p50(us)", "p95(us)", "p99(us)", "max(us)", "avg(us)",
		"stddev(us)");
	for (size_t i = 0; i < nr; i++) {
		const struct qz_hist *h = &rows[i]->hist;
		const struct mt_pair *p = &m->core->pairs[rows[i]->pair];
		char pair[256];

		qz_mt__fmt_us(h->sum, v[0], 32);
		qz_mt__fmt_us(h->count ? h->min : 0, v[1], 32);
		qz_mt__fmt_us(qz_hist__quantile(h, 0.50), v[2], 32);
		qz_mt__fmt_us(qz_hist__quantile(h, 0.95), v[3], 32);
		qz_mt__fmt_us(qz_hist__quantile(h, 0.99), v[4], 32);
		qz_mt__fmt_us(h->max, v[5], 32);
		qz_mt__fmt_us((uint64_t)(qz_hist__mean(h) + 0.5), v[6], 32);
		qz_mt__fmt_us((uint64_t)(qz_hist__stddev(h) + 0.5), v[7], 32);
		if (m->core->perins) {
			if (rows[i]->other)
				fprintf(f, "%-12s %s", "(other)", m->key_is_tid ? "                 " : "");
			else if (m->printkey)
				fprintf(f, "%-12s ", print_key(m, rows[i]->inst, key, sizeof(key)));
			else
				fprintf(f, "%-12" PRIu64 " ", rows[i]->inst);
			if (m->key_is_tid && !rows[i]->other)
				fprintf(f, "%-16s ", inst_comm(m, rows[i]->inst));
		}
		snprintf(pair, sizeof(pair), "%s => %s", qz_mt__short_name(s, p->from),
			 qz_mt__short_name(s, p->to));
		fprintf(f, "%30s %8" PRIu64 " %16s %12s %12s %12s %12s %12s %12s %12s\n", pair,
			h->count, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
	}
	if (m->core->impl == MT_IMPL_PAIR)
		fprintf(f, "unpaired: event1 %" PRIu64 ", event2 %" PRIu64 "\n",
			m->core->unpaired_from, m->core->unpaired_to);
}

static void report_json(struct mt *m, struct mt_row **rows, size_t nr,
			uint64_t now, bool final)
{
	struct qz_session *s = m->session;
	struct qz_json *j = qz_output__begin(m->out, "multi_trace", now);
	char key[128];

	qz_json__key_u64(j, "interval_ns", now - m->interval_start);
	qz_json__key_bool(j, "final", final);
	qz_json__key_str(j, "impl", m->core->impl == MT_IMPL_PAIR ? "pair" : "delay");
	if (m->core->perins)
		qz_json__key_str(j, "key", m->key_name);
	qz_json__key(j, "pairs");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		const struct qz_hist *h = &rows[i]->hist;
		const struct mt_pair *p = &m->core->pairs[rows[i]->pair];

		qz_json__begin_object(j);
		if (m->core->perins) {
			if (rows[i]->other)
				qz_json__key_bool(j, "other", true);
			else
				qz_json__key_u64(j, "instance", rows[i]->inst);
			if (m->printkey && !rows[i]->other)
				qz_json__key_str(j, "printkey",
						 print_key(m, rows[i]->inst, key, sizeof(key)));
			if (m->key_is_tid && !rows[i]->other)
				qz_json__key_str(j, "comm", inst_comm(m, rows[i]->inst));
		}
		qz_json__key_str(j, "start", qz_mt__short_name(s, p->from));
		qz_json__key_str(j, "end", qz_mt__short_name(s, p->to));
		qz_json__key_u64(j, "calls", h->count);
		qz_json__key_u64(j, "total", h->sum);
		qz_json__key_u64(j, "min", h->count ? h->min : 0);
		qz_json__key_u64(j, "p50", qz_hist__quantile(h, 0.50));
		qz_json__key_u64(j, "p95", qz_hist__quantile(h, 0.95));
		qz_json__key_u64(j, "p99", qz_hist__quantile(h, 0.99));
		qz_json__key_u64(j, "max", h->max);
		qz_json__key_double(j, "mean", qz_hist__mean(h));
		qz_json__key_double(j, "stddev", qz_hist__stddev(h));
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key_u64(j, "events", m->core->events);
	qz_json__key_u64(j, "outliers", m->core->outliers);
	qz_json__key_u64(j, "pending", m->core->pending.nr);
	qz_json__key_u64(j, "evicted", m->core->pending.evicted);
	if (m->core->impl == MT_IMPL_PAIR) {
		qz_json__key_u64(j, "unpaired_event1", m->core->unpaired_from);
		qz_json__key_u64(j, "unpaired_event2", m->core->unpaired_to);
	}
	if (m->detail)
		qz_json__key_u64(j, "detail_dropped", m->tl.dropped);
	if (s) {
		struct qz_session_stats st = { .sz = sizeof(st) };

		qz_session__stats(s, &st);
		qz_json__key_u64(j, "late", st.late);
		qz_json__key_u64(j, "lost", st.lost);
	}
	qz_output__end(m->out);
}

void qz_mt__interval(void *ctx, struct qz_output *out, bool final)
{
	struct mt *m = ctx;
	uint64_t now = now_ns();
	struct mt_row **rows;
	size_t nr;

	if (final && m->detail)
		flush_deferred(m, true);
	rows = qz_mt_core__rows(m->core, &nr);
	if (!rows)
		return;
	if (m->only_than) {
		/* perf-prof's --only-than: the table only when something exceeded. */
		bool over = false;

		for (size_t i = 0; i < nr && !over; i++)
			over = rows[i]->hist.max > m->than;
		if (!over)
			nr = 0;
	}
	if (m->only_than && !nr) {
		/* nothing to print */
	} else if (qz_output__json(out)) {
		report_json(m, rows, nr, now, final);
	} else {
		FILE *f = qz_output__file(out);
		struct qz_session_stats st = { .sz = sizeof(st) };

		report_text(m, rows, nr, f);
		if (m->session)
			qz_session__stats(m->session, &st);
		if (st.late || m->core->pending.evicted || m->tl.dropped)
			fprintf(f, "late (past --order-window) %" PRIu64
				   ", evicted pending keys %" PRIu64
				   ", detail events dropped %" PRIu64 "\n",
				st.late, m->core->pending.evicted, m->tl.dropped);
	}
	free(rows);
	qz_mt_core__reset_stats(m->core);
	m->interval_start = now;
	if (final && m->printer.flame)
		qz_folded__write(m->printer.flame, m->session);
	if (final && m->heatmap) {
		int err = qz_heatmap__write(m->heatmap, "multi-trace latency");

		if (err && m->session)
			qz_session__log(m->session, QZ_LOG_ERROR,
					"--heatmap: cannot write the SVG: %s",
					qz_strerror(err));
	}
}

#define STATUS_PENDING 20	/* text: the oldest pending keys shown */

/*
 * SIGUSR1: the pending table (keys waiting for their event2, oldest first)
 * and the statistics of the interval so far; nothing is reset.
 */
void qz_mt__status(void *ctx, struct qz_output *out)
{
	struct mt *m = ctx;
	struct reltab *pend = &m->core->pending;
	uint64_t now = now_ns(), shown = 0;
	struct mt_row **rows;
	size_t nr;

	rows = qz_mt_core__rows(m->core, &nr);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "multi_trace_pending", now);

		qz_json__key_u64(j, "pending", pend->nr);
		qz_json__key_u64(j, "evicted", pend->evicted);
		qz_json__key(j, "keys");
		qz_json__begin_array(j);
		for (struct reltab_entry *e = reltab_first(pend); e && shown < 100;
		     e = reltab_next(pend, e), shown++) {
			qz_json__begin_object(j);
			qz_json__key_u64(j, "key", e->key);
			qz_json__key_str(j, "event", qz_mt__short_name(m->session, (int)e->ev));
			qz_json__key_u64(j, "time", e->time);
			qz_json__key_u64(j, "cpu", e->aux);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
		if (rows)
			report_json(m, rows, nr, now, false);
	} else if (qz_output__file(out)) {
		FILE *f = qz_output__file(out);

		fprintf(f, "multi-trace pending: %" PRIu64 " keys waiting for their event2"
			   " (evicted %" PRIu64 ")%s\n", pend->nr, pend->evicted,
			pend->nr > STATUS_PENDING ? ", the oldest:" : "");
		for (struct reltab_entry *e = reltab_first(pend); e && shown < STATUS_PENDING;
		     e = reltab_next(pend, e), shown++)
			fprintf(f, "  %-12s key %-20" PRIu64 " cpu %-4" PRIu64 " at %" PRIu64
				   ".%06" PRIu64 "\n",
				qz_mt__short_name(m->session, (int)e->ev), e->key, e->aux,
				e->time / 1000000000, e->time % 1000000000 / 1000);
		if (rows)
			report_text(m, rows, nr, f);
	}
	free(rows);
}

/* ---- setup ------------------------------------------------------------ */

void qz_mt__free(struct mt *m)
{
	if (!m)
		return;
	for (size_t i = m->defer_head; i < m->nr_defer; i++)
		free(m->defer[i].e1);
	free(m->defer);
	qz_mt_core__free(m->core);
	qz_mt_timeline__free(&m->tl);
	qz_heatmap__free(m->heatmap);
	qz_folded__free(m->printer.flame);
	qz_stack_printer__free(m->printer.stacks);
	free(m);
}

struct mt *qz_mt__new(const struct mt_config *cfg)
{
	struct mt *m = calloc(1, sizeof(*m));
	struct mt_core_opts o = {
		.nr_events = cfg->nr_events,
		.events = cfg->events,
		.nr_pos = cfg->nr_pos,
		.cycle = cfg->cycle,
		.impl = cfg->impl,
		.perins = cfg->perins,
		.key_tid = cfg->key_tid,
		.than = cfg->than,
		.lower = cfg->lower,
		.keep_records = cfg->than || cfg->lower,
		.max_keys = cfg->max_keys,
		.outlier = on_outlier,
		.ctx = m,
	};

	if (!m)
		return NULL;
	m->session = cfg->session;
	m->out = cfg->session ? qz_session__output(cfg->session) : NULL;
	m->printer.session = cfg->session;
	m->key_name = cfg->key_name;
	m->only_than = cfg->only_than;
	m->than = cfg->than;
	m->printkey = cfg->printkey;
	m->key_is_tid = (cfg->key_tid && !cfg->has_key_field) || cfg->key_comm;
	m->interval_start = now_ns();
	if (cfg->session && (o.keep_records || cfg->impl == MT_IMPL_PAIR)) {
		m->printer.stacks = qz_stack_printer__new();
		if (!m->printer.stacks)
			goto fail;
		if (cfg->flame_graph) {
			m->printer.flame = qz_folded__new(m->printer.stacks, cfg->flame_graph);
			if (!m->printer.flame)
				goto fail;
			qz_folded__set_graph(m->printer.flame,
					     "quazar multi-trace: stacks of the printed events",
					     "events");
		}
	}
	if (cfg->detail) {
		m->detail = true;
		m->dopts = cfg->dopts;
		if (qz_mt_timeline__init(&m->tl, cfg->detail_max_bytes, m->dopts.before))
			goto fail;
		o.copy = copy_rec;
		o.release = release_rec;
	}
	if (cfg->heatmap) {
		m->heatmap = qz_heatmap__new(cfg->heatmap, cfg->heatmap_col_ns);
		if (!m->heatmap)
			goto fail;
		o.latency = on_latency;
	}
	m->core = qz_mt_core__new(&o);
	if (!m->core)
		goto fail;
	return m;
fail:
	qz_mt__free(m);
	return NULL;
}
