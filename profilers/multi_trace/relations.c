// SPDX-License-Identifier: MIT
/* multi-trace's core: pairing by key and per-pair histograms. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include <quazar/filter.h>
#include "relations.h"

#define DEFAULT_MAX_KEYS (1u << 20)
#define DEFAULT_MAX_ROWS 4096

struct mt_rec *qz_mt_rec__new(const struct qz_event *ev, uint64_t key)
{
	const struct qz_sample *smp = ev->sample;
	size_t cc = smp->callchain_nr * sizeof(uint64_t);
	struct mt_rec *r = malloc(sizeof(*r) + cc + smp->raw_size + 8);

	if (!r)
		return NULL;
	r->time = smp->time;
	r->key = key;
	r->cpu = smp->cpu;
	r->pid = smp->pid;
	r->tid = smp->tid;
	r->index = ev->index;
	r->raw_size = smp->raw_size;
	r->callchain_nr = (uint32_t)smp->callchain_nr;
	r->seq = 0;
	if (cc)
		memcpy(r->data, smp->callchain, cc);
	if (smp->raw_size)
		memcpy((char *)r->data + cc, smp->raw, smp->raw_size);
	return r;
}

void qz_mt_rec__sample(const struct mt_rec *r, struct qz_sample *smp)
{
	memset(smp, 0, sizeof(*smp));
	smp->sz = sizeof(*smp);
	smp->time = r->time;
	smp->cpu = r->cpu;
	smp->pid = r->pid;
	smp->tid = r->tid;
	smp->callchain_nr = r->callchain_nr;
	smp->callchain = r->callchain_nr ? r->data : NULL;
	smp->raw_size = r->raw_size;
	smp->raw = r->raw_size ? (const char *)r->data +
				     r->callchain_nr * sizeof(uint64_t) : NULL;
}

static void drop_data(struct mt_core *c, struct reltab_entry *e)
{
	if (!e->data)
		return;
	if (c->release)
		c->release(c->ctx, e->data);
	else
		free(e->data);
	e->data = NULL;
}

static void evict_entry(struct reltab_entry *e, void *ctx)
{
	drop_data(ctx, e);
}

static int setup_pairs(struct mt_core *c, int nr_pos, bool cycle)
{
	int n = c->nr_events;

	c->pair_of = malloc((size_t)n * (size_t)n * sizeof(*c->pair_of));
	c->pairs = calloc((size_t)n * (size_t)n, sizeof(*c->pairs));
	if (!c->pair_of || !c->pairs)
		return -ENOMEM;
	memset(c->pair_of, 0xff, (size_t)n * (size_t)n * sizeof(*c->pair_of));
	for (int i = 0; i < n; i++) {
		struct mt_event_cfg *e = &c->ev[i];
		bool first = e->pos == 0, last = e->pos == nr_pos - 1;

		e->find_prev = !e->untraced && (cycle || !first);
		e->backup = !e->untraced && (cycle || !last);
	}
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < n; j++) {
			const struct mt_event_cfg *a = &c->ev[i], *b = &c->ev[j];
			int next = a->pos + 1;

			if (next == nr_pos)
				next = cycle ? 0 : -1;
			if (!a->backup || !b->find_prev || b->pos != next)
				continue;
			if (c->nr_pairs >= INT16_MAX)
				return -E2BIG;
			c->pairs[c->nr_pairs] = (struct mt_pair){ .from = i, .to = j };
			c->pair_of[i * n + j] = (int16_t)c->nr_pairs++;
		}
	}
	return 0;
}

struct mt_core *qz_mt_core__new(const struct mt_core_opts *o)
{
	struct mt_core *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->nr_events = o->nr_events;
	c->impl = o->impl;
	c->perins = o->perins;
	c->key_tid = o->key_tid;
	c->than = o->than;
	c->lower = o->lower;
	c->keep = o->keep_records || o->impl == MT_IMPL_PAIR;
	c->outlier = o->outlier;
	c->bounds = o->impl == MT_IMPL_DELAY && o->outlier && (o->than || o->lower);
	c->latency = o->latency;
	c->paired_fn = o->paired;
	c->stash = o->stash;
	c->copy = o->copy;
	c->release = o->release;
	c->ctx = o->ctx;
	c->max_rows = o->max_rows ? o->max_rows : DEFAULT_MAX_ROWS;
	c->ev = malloc((size_t)o->nr_events * sizeof(*c->ev));
	if (!c->ev)
		goto fail;
	memcpy(c->ev, o->events, (size_t)o->nr_events * sizeof(*c->ev));
	for (int i = 0; i < c->nr_events; i++)
		if (!c->ev[i].key || qz_tp_field__word(c->ev[i].key, &c->ev[i].key_word))
			c->ev[i].key_word.end = 0;
	if (setup_pairs(c, o->nr_pos, o->cycle))
		goto fail;
	if (qz_reltab__init(&c->pending, o->max_keys ? o->max_keys : DEFAULT_MAX_KEYS,
			evict_entry, c))
		goto fail;
	c->total = calloc((size_t)c->nr_pairs + 1, sizeof(*c->total));
	c->other = calloc((size_t)c->nr_pairs + 1, sizeof(*c->other));
	if (!c->total || !c->other)
		goto fail;
	if (c->perins) {
		c->rows_cap = 64;
		c->rows = calloc(c->rows_cap, sizeof(*c->rows));
		if (!c->rows)
			goto fail;
	}
	qz_mt_core__reset_stats(c);
	return c;
fail:
	qz_mt_core__free(c);
	return NULL;
}

void qz_mt_core__free(struct mt_core *c)
{
	if (!c)
		return;
	if (c->pending.pool) {
		for (struct reltab_entry *e = reltab_first(&c->pending); e;
		     e = reltab_next(&c->pending, e))
			drop_data(c, e);
		qz_reltab__free(&c->pending, NULL);
	}
	free(c->rows);
	free(c->other);
	free(c->total);
	free(c->pairs);
	free(c->pair_of);
	free(c->ev);
	free(c);
}

void qz_mt_core__reset_stats(struct mt_core *c)
{
	for (int p = 0; p < c->nr_pairs; p++) {
		QZ_HIST_INIT(&c->total[p].hist);
		c->total[p].pair = p;
		c->total[p].used = true;
		QZ_HIST_INIT(&c->other[p].hist);
		c->other[p].pair = p;
		c->other[p].other = true;
	}
	c->unpaired_from = c->unpaired_to = 0;
	for (uint64_t i = 0; i < c->rows_cap; i++)
		if (c->rows[i].used)
			memset(&c->rows[i], 0, sizeof(c->rows[i]));
	c->rows_nr = 0;
}

static uint64_t row_slot(uint64_t inst, int pair, uint64_t cap)
{
	return ((inst * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)pair * 0xff51afd7ed558ccdull)) >>
		       20 & (cap - 1);
}

static int grow_rows(struct mt_core *c)
{
	uint64_t ncap = c->rows_cap * 2;
	struct mt_row *n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (uint64_t i = 0; i < c->rows_cap; i++) {
		uint64_t s;

		if (!c->rows[i].used)
			continue;
		for (s = row_slot(c->rows[i].inst, c->rows[i].pair, ncap); n[s].used;
		     s = (s + 1) & (ncap - 1))
			;
		n[s] = c->rows[i];
	}
	free(c->rows);
	c->rows = n;
	c->rows_cap = ncap;
	return 0;
}

static struct qz_hist *hist_of(struct mt_core *c, uint64_t inst, int pair)
{
	uint64_t s;

	if (!c->perins)
		return &c->total[pair].hist;
	for (s = row_slot(inst, pair, c->rows_cap); c->rows[s].used;
	     s = (s + 1) & (c->rows_cap - 1))
		if (c->rows[s].inst == inst && c->rows[s].pair == pair)
			return &c->rows[s].hist;
	if (c->rows_nr >= c->max_rows)
		return &c->other[pair].hist;
	if ((c->rows_nr + 1) * 4 > c->rows_cap * 3) {
		if (grow_rows(c))
			return &c->other[pair].hist;
		return hist_of(c, inst, pair);
	}
	c->rows[s].used = true;
	c->rows[s].inst = inst;
	c->rows[s].pair = pair;
	QZ_HIST_INIT(&c->rows[s].hist);
	c->rows_nr++;
	return &c->rows[s].hist;
}

/* A pair's latency: into its histogram (or the caller's), the heatmap, and --than/--lower. */
static void record_pair(struct mt_core *c, struct reltab_entry *p, const struct qz_event *ev,
			uint64_t key, uint64_t time, int pair)
{
	uint64_t delta = time - p->time;

	if (time < p->time) {
		c->backwards++;
		delta = 0;
	}
	c->paired++;
	if (c->paired_fn)
		c->paired_fn(c->ctx, p, ev, key, delta);
	else
		qz_hist__record(hist_of(c, key, pair), delta);
	if (c->latency)
		c->latency(c->ctx, time, delta);
	if (c->bounds && ((c->than && delta > c->than) || (c->lower && delta < c->lower))) {
		c->outliers++;
		c->outlier(c->ctx, p, ev, key, delta, pair);
	}
}

/* --impl pair: an event2 with no event1 before it. */
static __attribute__((noinline)) void unpaired_event2(struct mt_core *c,
						      const struct qz_event *ev, uint64_t key)
{
	c->unpaired_to++;
	if (c->outlier)
		c->outlier(c->ctx, NULL, ev, key, 0, -1);
}

void qz_mt_core__event(struct mt_core *c, const struct qz_event *ev, uint64_t key,
		    unsigned role)
{
	const struct mt_event_cfg *e = &c->ev[ev->index];
	bool find_prev = e->find_prev && (role & MT_ROLE_EVENT2);
	bool backup = e->backup && (role & MT_ROLE_EVENT1);
	uint64_t time = ev->sample->time;
	struct reltab_entry *p = NULL;

	c->events++;
	if (find_prev) {
		int pair = -1;

		p = reltab_find(&c->pending, key);
		if (p)
			pair = c->pair_of[p->ev * (uint32_t)c->nr_events + (uint32_t)ev->index];
		if (pair >= 0) {
			record_pair(c, p, ev, key, time, pair);
			drop_data(c, p);
			if (!backup) {
				qz_reltab__remove(&c->pending, p);
				return;
			}
		} else if (c->impl == MT_IMPL_PAIR) {
			unpaired_event2(c, ev, key);
		}
	}
	if (!backup)
		return;
	if (!p)
		p = reltab_find(&c->pending, key);
	if (p) {
		/* Backed up and never followed: the newer event replaces it. */
		if (c->impl == MT_IMPL_PAIR) {
			c->unpaired_from++;
			if (c->outlier)
				c->outlier(c->ctx, p, NULL, key, 0, -1);
		}
		drop_data(c, p);
		qz_reltab__touch(&c->pending, p);
	} else {
		p = qz_reltab__insert(&c->pending, key);
		if (!p)
			return;
	}
	p->time = time;
	p->ev = (uint32_t)ev->index;
	p->aux = c->stash ? c->stash(c->ctx, ev) : ev->sample->cpu;
	if (c->keep)
		p->data = c->copy ? c->copy(c->ctx, ev, key) : qz_mt_rec__new(ev, key);
}

static int row_cmp(const void *a, const void *b)
{
	const struct mt_row *x = *(const struct mt_row *const *)a;
	const struct mt_row *y = *(const struct mt_row *const *)b;

	if (x->other != y->other)
		return x->other - y->other;
	if (x->inst != y->inst)
		return x->inst < y->inst ? -1 : 1;
	return x->pair - y->pair;
}

struct mt_row **qz_mt_core__rows(struct mt_core *c, size_t *nr)
{
	size_t n = 0, cap = (size_t)c->rows_nr + 2 * (size_t)c->nr_pairs + 1;
	struct mt_row **out = malloc(cap * sizeof(*out));

	if (!out)
		return NULL;
	if (!c->perins) {
		for (int p = 0; p < c->nr_pairs; p++)
			out[n++] = &c->total[p];
	} else {
		for (uint64_t i = 0; i < c->rows_cap; i++)
			if (c->rows[i].used && c->rows[i].hist.count)
				out[n++] = &c->rows[i];
		for (int p = 0; p < c->nr_pairs; p++)
			if (c->other[p].hist.count)
				out[n++] = &c->other[p];
	}
	qsort(out, n, sizeof(*out), row_cmp);
	*nr = n;
	return out;
}
