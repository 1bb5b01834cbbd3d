// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "keytable.h"

int qz_keytable__init(struct keytable *t)
{
	t->cap = 1024;
	t->nr = 0;
	t->last = NULL;
	t->rows = calloc(t->cap, sizeof(*t->rows));
	return t->rows ? 0 : -ENOMEM;
}

void qz_keytable__free(struct keytable *t)
{
	free(t->rows);
	t->rows = NULL;
	t->last = NULL;
}

void qz_keytable__reset(struct keytable *t)
{
	memset(t->rows, 0, t->cap * sizeof(*t->rows));
	t->nr = 0;
	t->last = NULL;
}

static size_t slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing spreads pids, which are small and dense. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 17) & (cap - 1);
}

static int grow(struct keytable *t)
{
	struct keytable_row *old = t->rows;
	size_t old_cap = t->cap;

	t->rows = calloc(old_cap * 2, sizeof(*t->rows));
	if (!t->rows) {
		t->rows = old;
		return -ENOMEM;
	}
	t->cap = old_cap * 2;
	t->last = NULL;
	for (size_t i = 0; i < old_cap; i++) {
		size_t s;

		if (!old[i].used)
			continue;
		for (s = slot_of(old[i].key, t->cap); t->rows[s].used;
		     s = (s + 1) & (t->cap - 1))
			;
		t->rows[s] = old[i];
	}
	free(old);
	return 0;
}

/* Find key's row, or add it. Apart, so a run of one key costs no frame. */
static __attribute__((noinline)) struct keytable_row *find(struct keytable *t, uint64_t key)
{
	size_t s;

	for (s = slot_of(key, t->cap); t->rows[s].used; s = (s + 1) & (t->cap - 1))
		if (t->rows[s].key == key)
			return &t->rows[s];
	if ((t->nr + 1) * 10 > t->cap * 7) {
		if (grow(t))
			return NULL;
		return find(t, key);
	}
	t->rows[s].used = true;
	t->rows[s].key = key;
	t->nr++;
	return &t->rows[s];
}

struct keytable_row *qz_keytable__get(struct keytable *t, uint64_t key)
{
	if (t->last && t->last->key == key)
		return t->last;
	return t->last = find(t, key);
}

static int row_cmp(const void *a, const void *b, void *arg)
{
	int sort_col = *(const int *)arg;
	const struct keytable_row *x = *(const struct keytable_row *const *)a;
	const struct keytable_row *y = *(const struct keytable_row *const *)b;
	uint64_t vx = sort_col < 0 ? x->count : x->sums[sort_col];
	uint64_t vy = sort_col < 0 ? y->count : y->sums[sort_col];

	if (vx != vy)
		return vx < vy ? 1 : -1;
	return (x->key > y->key) - (x->key < y->key);
}

struct keytable_row **qz_keytable__sorted(struct keytable *t, int col, size_t *nr)
{
	struct keytable_row **out = malloc((t->nr + 1) * sizeof(*out));
	size_t n = 0;

	if (!out)
		return NULL;
	for (size_t i = 0; i < t->cap; i++)
		if (t->rows[i].used)
			out[n++] = &t->rows[i];
	qsort_r(out, n, sizeof(*out), row_cmp, &col);
	*nr = n;
	return out;
}

uint64_t qz_keytable__hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h ?: 1;
}
