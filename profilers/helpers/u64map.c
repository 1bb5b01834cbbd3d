// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "u64map.h"

#define INITIAL_CAP 64

static size_t slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: pids and tids are small and dense. */
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

static void *val_at(const struct u64map *m, size_t i)
{
	/* A set has no values: hand out the key's slot, never NULL. */
	if (!m->val_size)
		return &m->keys[i];
	return m->vals + i * m->val_size;
}

static int alloc_slots(struct u64map *m, size_t cap)
{
	m->keys = calloc(cap, sizeof(*m->keys));
	m->used = calloc(cap, 1);
	m->vals = m->val_size ? calloc(cap, m->val_size) : NULL;
	if (!m->keys || !m->used || (m->val_size && !m->vals)) {
		free(m->keys);
		free(m->used);
		free(m->vals);
		return -ENOMEM;
	}
	m->cap = cap;
	return 0;
}

int qz_u64map__init(struct u64map *m, size_t val_size)
{
	memset(m, 0, sizeof(*m));
	m->val_size = (val_size + 7) & ~(size_t)7;
	return alloc_slots(m, INITIAL_CAP);
}

void qz_u64map__free(struct u64map *m)
{
	free(m->keys);
	free(m->used);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

void qz_u64map__clear(struct u64map *m)
{
	if (!m->nr)
		return;
	memset(m->used, 0, m->cap);
	m->nr = 0;
}

static size_t find(const struct u64map *m, uint64_t key, bool *found)
{
	size_t i = slot_of(key, m->cap);

	while (m->used[i] && m->keys[i] != key)
		i = (i + 1) & (m->cap - 1);
	*found = m->used[i];
	return i;
}

void *qz_u64map__get(const struct u64map *m, uint64_t key)
{
	bool found;
	size_t i;

	if (!m->nr)
		return NULL;
	i = find(m, key, &found);
	return found ? val_at(m, i) : NULL;
}

static int grow(struct u64map *m)
{
	struct u64map old = *m;

	if (alloc_slots(m, old.cap * 2)) {
		*m = old;
		return -ENOMEM;
	}
	for (size_t i = 0; i < old.cap; i++) {
		bool found;
		size_t s;

		if (!old.used[i])
			continue;
		s = find(m, old.keys[i], &found);
		m->used[s] = 1;
		m->keys[s] = old.keys[i];
		if (m->val_size)
			memcpy(val_at(m, s), val_at(&old, i), m->val_size);
	}
	qz_u64map__free(&old);
	return 0;
}

void *qz_u64map__put(struct u64map *m, uint64_t key, bool *created)
{
	bool found;
	size_t i;

	/* Keep the load under 3/4: probes stay short. */
	if ((m->nr + 1) * 4 > m->cap * 3 && grow(m))
		return NULL;
	i = find(m, key, &found);
	if (created)
		*created = !found;
	if (!found) {
		m->used[i] = 1;
		m->keys[i] = key;
		if (m->val_size)
			memset(val_at(m, i), 0, m->val_size);
		m->nr++;
	}
	return val_at(m, i);
}

bool qz_u64map__del(struct u64map *m, uint64_t key)
{
	size_t mask = m->cap - 1, i, j;
	bool found;

	if (!m->nr)
		return false;
	i = find(m, key, &found);
	if (!found)
		return false;
	/* Backward shift: move later entries of the run into the hole. */
	for (j = (i + 1) & mask; m->used[j]; j = (j + 1) & mask) {
		size_t home = slot_of(m->keys[j], m->cap);

		/* j stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		m->keys[i] = m->keys[j];
		if (m->val_size)
			memcpy(val_at(m, i), val_at(m, j), m->val_size);
		i = j;
	}
	m->used[i] = 0;
	m->nr--;
	return true;
}

bool qz_u64map__next(const struct u64map *m, size_t *pos, uint64_t *key,
		     void **val)
{
	for (size_t i = *pos; i < m->cap; i++) {
		if (!m->used[i])
			continue;
		*pos = i + 1;
		if (key)
			*key = m->keys[i];
		if (val)
			*val = val_at(m, i);
		return true;
	}
	*pos = m->cap;
	return false;
}
