// SPDX-License-Identifier: MIT
/* Keyed pending entries with an age list and a cap: see reltab.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "reltab.h"

#define INITIAL 1024u

int qz_reltab__init(struct reltab *t, uint64_t cap, reltab_evict_fn evict, void *ctx)
{
	memset(t, 0, sizeof(*t));
	t->cap = cap ? cap : 1;
	if (t->cap > UINT32_MAX - 1)
		t->cap = UINT32_MAX - 1;
	t->evict = evict;
	t->evict_ctx = ctx;
	t->pool_cap = INITIAL;
	t->nr_buckets = INITIAL;
	t->pool = malloc(t->pool_cap * sizeof(*t->pool));
	t->buckets = malloc(t->nr_buckets * sizeof(*t->buckets));
	if (!t->pool || !t->buckets) {
		free(t->pool);
		free(t->buckets);
		return -ENOMEM;
	}
	memset(t->buckets, 0xff, t->nr_buckets * sizeof(*t->buckets));
	t->free_list = RELTAB_NONE;
	t->oldest = t->newest = RELTAB_NONE;
	return 0;
}

void qz_reltab__free(struct reltab *t, void (*free_fn)(void *data))
{
	if (free_fn)
		for (struct reltab_entry *e = reltab_first(t); e; e = reltab_next(t, e))
			free_fn(e->data);
	free(t->pool);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}

static int rehash(struct reltab *t, uint32_t nr_buckets)
{
	uint32_t *b = malloc(nr_buckets * sizeof(*b));

	if (!b)
		return -ENOMEM;
	memset(b, 0xff, nr_buckets * sizeof(*b));
	free(t->buckets);
	t->buckets = b;
	t->nr_buckets = nr_buckets;
	for (uint32_t i = t->oldest; i != RELTAB_NONE; i = t->pool[i].newer) {
		uint32_t h = reltab_hash(t, t->pool[i].key);

		t->pool[i].next = b[h];
		b[h] = i;
	}
	return 0;
}

static void unlink_age(struct reltab *t, struct reltab_entry *e)
{
	if (e->older != RELTAB_NONE)
		t->pool[e->older].newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != RELTAB_NONE)
		t->pool[e->newer].older = e->older;
	else
		t->newest = e->older;
}

static void link_newest(struct reltab *t, struct reltab_entry *e, uint32_t i)
{
	e->newer = RELTAB_NONE;
	e->older = t->newest;
	if (t->newest != RELTAB_NONE)
		t->pool[t->newest].newer = i;
	else
		t->oldest = i;
	t->newest = i;
}

void qz_reltab__remove(struct reltab *t, struct reltab_entry *e)
{
	uint32_t i = (uint32_t)(e - t->pool);
	uint32_t *link = &t->buckets[reltab_hash(t, e->key)];

	while (*link != i)
		link = &t->pool[*link].next;
	*link = e->next;
	unlink_age(t, e);
	e->next = t->free_list;
	t->free_list = i;
	t->nr--;
}

void qz_reltab__touch(struct reltab *t, struct reltab_entry *e)
{
	uint32_t i = (uint32_t)(e - t->pool);

	if (t->newest == i)
		return;
	unlink_age(t, e);
	link_newest(t, e, i);
}

struct reltab_entry *qz_reltab__insert(struct reltab *t, uint64_t key)
{
	struct reltab_entry *e;
	uint32_t i, h;

	if (t->nr >= t->cap) {
		e = reltab_first(t);
		t->evicted++;
		if (t->evict)
			t->evict(e, t->evict_ctx);
		qz_reltab__remove(t, e);
	}
	if (t->free_list != RELTAB_NONE) {
		i = t->free_list;
		t->free_list = t->pool[i].next;
	} else {
		if (t->used == t->pool_cap) {
			uint32_t ncap = t->pool_cap * 2;
			struct reltab_entry *p = realloc(t->pool, ncap * sizeof(*p));

			if (!p)
				return NULL;
			t->pool = p;
			t->pool_cap = ncap;
		}
		i = t->used++;
	}
	if (t->nr + 1 > t->nr_buckets && t->nr_buckets < (1u << 31))
		rehash(t, t->nr_buckets * 2); /* on failure: longer chains */
	e = &t->pool[i];
	memset(e, 0, sizeof(*e));
	e->key = key;
	h = reltab_hash(t, key);
	e->next = t->buckets[h];
	t->buckets[h] = i;
	link_newest(t, e, i);
	t->nr++;
	return e;
}
