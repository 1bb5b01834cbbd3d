/* SPDX-License-Identifier: MIT */
/*
 * A table of pending entries keyed by u64 (a multi-trace key, a pointer,
 * a tid), with the entries also linked oldest to newest in insertion
 * order. Chained hashing over a pool of fixed-size entries, so entries
 * never move and the age list stays valid. The number of entries is
 * capped: inserting into a full table first evicts the oldest entry
 * (counted; the caller is told through the evict callback).
 *
 * Memory: sizeof(struct reltab_entry) (48 bytes) per entry plus one u32
 * bucket per entry, so at most ~52 bytes x cap, plus whatever the caller
 * hangs on entry->data.
 */
#ifndef QUAZAR_PROFILERS_RELTAB_H
#define QUAZAR_PROFILERS_RELTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RELTAB_NONE UINT32_MAX

struct reltab_entry {
	uint64_t key;
	uint64_t time;
	uint64_t aux;		/* caller's: a size, a state, ... */
	void *data;		/* caller's, owned by the caller */
	uint32_t next;		/* hash chain */
	uint32_t older, newer;	/* age list */
	uint32_t ev;		/* caller's: an event index, a stack id */
};

struct reltab;
typedef void (*reltab_evict_fn)(struct reltab_entry *e, void *ctx);

struct reltab {
	struct reltab_entry *pool;
	uint32_t *buckets;
	uint32_t pool_cap, nr_buckets, used; /* used: pool slots ever taken */
	uint32_t free_list;
	uint32_t oldest, newest;
	uint64_t nr, cap;
	uint64_t evicted;
	reltab_evict_fn evict;
	void *evict_ctx;
};

/* cap: most entries kept (>= 1). 0 or -ENOMEM. */
int qz_reltab__init(struct reltab *t, uint64_t cap, reltab_evict_fn evict, void *ctx);
/* Calls free_fn (may be NULL) on each entry's data, then frees the table. */
void qz_reltab__free(struct reltab *t, void (*free_fn)(void *data));

static inline uint32_t reltab_hash(const struct reltab *t, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 32) & (t->nr_buckets - 1);
}

/* The entry for key, or NULL. */
static inline struct reltab_entry *reltab_find(struct reltab *t, uint64_t key)
{
	uint32_t i = t->buckets[reltab_hash(t, key)];

	while (i != RELTAB_NONE) {
		struct reltab_entry *e = &t->pool[i];

		if (e->key == key)
			return e;
		i = e->next;
	}
	return NULL;
}

/*
 * A new entry for key, made the newest; the caller fills time/aux/data/ev.
 * The key must not be present (find first). NULL when out of memory.
 */
struct reltab_entry *qz_reltab__insert(struct reltab *t, uint64_t key);
/* Unlink and release an entry (its data is the caller's to free first). */
void qz_reltab__remove(struct reltab *t, struct reltab_entry *e);
/* Move an existing entry to the newest end (it was just refreshed). */
void qz_reltab__touch(struct reltab *t, struct reltab_entry *e);

/* Oldest first; NULL at the end. */
static inline struct reltab_entry *reltab_first(struct reltab *t)
{
	return t->oldest == RELTAB_NONE ? NULL : &t->pool[t->oldest];
}

static inline struct reltab_entry *reltab_next(struct reltab *t,
					       const struct reltab_entry *e)
{
	return e->newer == RELTAB_NONE ? NULL : &t->pool[e->newer];
}

#endif
