// SPDX-License-Identifier: MIT
/* Byte strings in one arena, found through an open-addressing table. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "blobtab.h"

struct entry {
	size_t off, len;
	uint64_t hash;
};

struct qz_blobtab {
	char *arena;
	size_t used, size;
	struct entry *e;
	size_t nr, cap;
	uint32_t *slots;	/* entry number + 1 */
	size_t nr_slots;
};

struct qz_blobtab *qz_blobtab__new(void)
{
	return calloc(1, sizeof(struct qz_blobtab));
}

void qz_blobtab__free(struct qz_blobtab *b)
{
	if (!b)
		return;
	free(b->arena);
	free(b->e);
	free(b->slots);
	free(b);
}

static uint64_t hash(const void *key, size_t len)
{
	const unsigned char *p = key;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h ^ (h >> 31);
}

static int64_t lookup(const struct qz_blobtab *b, const void *key, size_t len,
		      uint64_t h, size_t *slot)
{
	size_t mask = b->nr_slots - 1, j = h & mask;

	for (; b->slots[j]; j = (j + 1) & mask) {
		const struct entry *e = &b->e[b->slots[j] - 1];

		if (e->hash == h && e->len == len && !memcmp(b->arena + e->off, key, len))
			return b->slots[j] - 1;
	}
	*slot = j;
	return -ENOENT;
}

static int grow_slots(struct qz_blobtab *b)
{
	size_t n = b->nr_slots ? b->nr_slots * 2 : 1024;
	uint32_t *s = calloc(n, sizeof(*s));

	if (!s)
		return -ENOMEM;
	for (size_t i = 0; i < b->nr; i++) {
		size_t j = b->e[i].hash & (n - 1);

		while (s[j])
			j = (j + 1) & (n - 1);
		s[j] = (uint32_t)i + 1;
	}
	free(b->slots);
	b->slots = s;
	b->nr_slots = n;
	return 0;
}

int64_t qz_blobtab__find(const struct qz_blobtab *b, const void *key, size_t len)
{
	size_t slot;

	return b->nr_slots ? lookup(b, key, len, hash(key, len), &slot) : -ENOENT;
}

int64_t qz_blobtab__intern(struct qz_blobtab *b, const void *key, size_t len)
{
	uint64_t h = hash(key, len);
	size_t slot, off;
	int64_t i;

	if (b->nr * 2 >= b->nr_slots && (b->nr >= UINT32_MAX - 1 || grow_slots(b)))
		return -ENOMEM;
	i = lookup(b, key, len, h, &slot);
	if (i >= 0)
		return i;
	/* Keys start 8-aligned: callers read structs from them. */
	off = (b->used + 7) & ~(size_t)7;
	if (off + len + 1 > b->size) {
		size_t size = (off + len + 1) * 2;
		char *a = realloc(b->arena, size);

		if (!a)
			return -ENOMEM;
		b->arena = a;
		b->size = size;
	}
	if (b->nr == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		struct entry *e = realloc(b->e, cap * sizeof(*e));

		if (!e)
			return -ENOMEM;
		b->e = e;
		b->cap = cap;
	}
	memcpy(b->arena + off, key, len);
	b->arena[off + len] = 0;
	b->e[b->nr] = (struct entry){ off, len, h };
	b->used = off + len + 1;
	b->slots[slot] = (uint32_t)b->nr + 1;
	return (int64_t)b->nr++;
}

size_t qz_blobtab__nr(const struct qz_blobtab *b)
{
	return b->nr;
}

const void *qz_blobtab__key(const struct qz_blobtab *b, size_t i, size_t *len)
{
	if (len)
		*len = b->e[i].len;
	return b->arena + b->e[i].off;
}
