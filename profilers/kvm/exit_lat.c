// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "exit_lat.h"

static uint64_t key_of(int isa, uint32_t code)
{
	return (uint64_t)(uint32_t)isa << 32 | code;
}

int qz_exit_lat__init(struct exit_lat *e)
{
	if (qz_u64map__init(&e->pending, sizeof(struct exit_lat_pending)))
		return -ENOMEM;
	if (qz_u64map__init(&e->reasons, sizeof(struct exit_lat_reason *))) {
		qz_u64map__free(&e->pending);
		return -ENOMEM;
	}
	return 0;
}

void qz_exit_lat__free(struct exit_lat *e)
{
	size_t pos = 0;
	void *val;

	while (qz_u64map__next(&e->reasons, &pos, NULL, &val))
		free(*(struct exit_lat_reason **)val);
	qz_u64map__free(&e->reasons);
	qz_u64map__free(&e->pending);
}

void qz_exit_lat__exit(struct exit_lat *e, int tid, uint64_t ts,
		       const struct kvm_exit_info *x)
{
	struct exit_lat_pending *p = qz_u64map__put(&e->pending, (uint64_t)tid, NULL);

	if (p) {
		p->ts = ts ?: 1;
		p->x = *x;
	}
}

static struct exit_lat_reason *reason_of(struct exit_lat *e, int isa, uint32_t code)
{
	bool created;
	struct exit_lat_reason **r = qz_u64map__put(&e->reasons, key_of(isa, code), &created);

	if (!r)
		return NULL;
	if (created) {
		*r = malloc(sizeof(**r));
		if (!*r) {
			qz_u64map__del(&e->reasons, key_of(isa, code));
			return NULL;
		}
		(*r)->isa = isa;
		(*r)->code = code;
		QZ_HIST_INIT(&(*r)->hist);
	}
	return *r;
}

int64_t qz_exit_lat__entry(struct exit_lat *e, int tid, uint64_t ts,
			   struct kvm_exit_info *x)
{
	struct exit_lat_pending *p = qz_u64map__get(&e->pending, (uint64_t)tid);
	struct exit_lat_reason *r;
	uint64_t delta;

	if (!p || !p->ts)
		return -1;
	if (ts < p->ts) {	/* out of order: no latency to trust */
		p->ts = 0;
		return -1;
	}
	delta = ts - p->ts;
	p->ts = 0;
	if (x)
		*x = p->x;
	r = reason_of(e, p->x.isa, p->x.code);
	if (r)
		qz_hist__record(&r->hist, delta);
	return (int64_t)delta;
}

void qz_exit_lat__forget(struct exit_lat *e)
{
	qz_u64map__clear(&e->pending);
}

static int cmp_count(const void *a, const void *b)
{
	const struct exit_lat_reason *x = *(struct exit_lat_reason *const *)a;
	const struct exit_lat_reason *y = *(struct exit_lat_reason *const *)b;

	if (x->hist.count != y->hist.count)
		return x->hist.count > y->hist.count ? -1 : 1;
	if (x->isa != y->isa)
		return x->isa < y->isa ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

struct exit_lat_reason **qz_exit_lat__rows(struct exit_lat *e, size_t *nr)
{
	struct exit_lat_reason **rows = malloc((e->reasons.nr ?: 1) * sizeof(*rows));
	size_t pos = 0, n = 0;
	void *val;

	if (!rows)
		return NULL;
	while (qz_u64map__next(&e->reasons, &pos, NULL, &val))
		if ((*(struct exit_lat_reason **)val)->hist.count)
			rows[n++] = *(struct exit_lat_reason **)val;
	qsort(rows, n, sizeof(*rows), cmp_count);
	*nr = n;
	return rows;
}

void qz_exit_lat__reset(struct exit_lat *e)
{
	size_t pos = 0;
	void *val;

	while (qz_u64map__next(&e->reasons, &pos, NULL, &val))
		QZ_HIST_INIT(&(*(struct exit_lat_reason **)val)->hist);
}
