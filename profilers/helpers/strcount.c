// SPDX-License-Identifier: MIT
/*
 * A chained hash table of strings with a count each. Buckets double as
 * keys come (a profile's interval may hold tens of thousands of stacks),
 * and each node keeps its hash, so a probe compares strings only when
 * the hashes agree.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/json.h>
#include "strcount.h"

#define MAX_FOLDED 10000
#define MAX_FOLDED_BYTES (512u << 10)

#define MIN_BUCKETS 1024

struct node {
	struct node *next;
	uint64_t count;
	uint32_t hash;
	char key[];
};

struct strcount {
	struct node **buckets;	/* power of two */
	size_t nr_buckets, nr;
};

struct strcount *qz_strcount__new(void)
{
	struct strcount *sc = calloc(1, sizeof(*sc));

	if (sc && !(sc->buckets = calloc(MIN_BUCKETS, sizeof(*sc->buckets)))) {
		free(sc);
		return NULL;
	}
	if (sc)
		sc->nr_buckets = MIN_BUCKETS;
	return sc;
}

void qz_strcount__reset(struct strcount *sc)
{
	for (size_t i = 0; i < sc->nr_buckets; i++) {
		while (sc->buckets[i]) {
			struct node *next = sc->buckets[i]->next;

			free(sc->buckets[i]);
			sc->buckets[i] = next;
		}
	}
	sc->nr = 0;
}

void qz_strcount__free(struct strcount *sc)
{
	if (!sc)
		return;
	qz_strcount__reset(sc);
	free(sc->buckets);
	free(sc);
}

/* Eight bytes a step: stacks make keys of hundreds of bytes. */
static uint32_t hash(const char *s, size_t *len)
{
	size_t n = strlen(s), i = 0;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n, w;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	w = 0;
	memcpy(&w, s + i, n - i);
	h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
	*len = n;
	return (uint32_t)(h ^ (h >> 29));
}

static void grow(struct strcount *sc)
{
	size_t n = sc->nr_buckets * 2;
	struct node **b = calloc(n, sizeof(*b));

	if (!b)
		return;	/* longer chains, still right */
	for (size_t i = 0; i < sc->nr_buckets; i++) {
		struct node *node = sc->buckets[i], *next;

		for (; node; node = next) {
			next = node->next;
			node->next = b[node->hash & (n - 1)];
			b[node->hash & (n - 1)] = node;
		}
	}
	free(sc->buckets);
	sc->buckets = b;
	sc->nr_buckets = n;
}

int qz_strcount__add(struct strcount *sc, const char *key, uint64_t n)
{
	size_t len;
	uint32_t h = hash(key, &len);
	struct node **slot = &sc->buckets[h & (sc->nr_buckets - 1)], *node;

	for (node = *slot; node; node = node->next) {
		if (node->hash == h && !strcmp(node->key, key)) {
			node->count += n;
			return 0;
		}
	}
	node = malloc(sizeof(*node) + len + 1);
	if (!node)
		return -ENOMEM;
	memcpy(node->key, key, len + 1);
	node->count = n;
	node->hash = h;
	node->next = *slot;
	*slot = node;
	if (++sc->nr > sc->nr_buckets)
		grow(sc);
	return 0;
}

static int by_count(const void *a, const void *b)
{
	const struct strcount_entry *x = a, *y = b;

	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return strcmp(x->key, y->key);
}

struct strcount_entry *qz_strcount__sorted(const struct strcount *sc, size_t *nr)
{
	return qz_strcount__top(sc, sc->nr, nr);
}

/* Sift the heap's root down: the root is the least of the best k. */
static void sift(struct strcount_entry *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, least = i;
		struct strcount_entry t;

		if (l < n && by_count(&h[l], &h[least]) > 0)
			least = l;
		if (r < n && by_count(&h[r], &h[least]) > 0)
			least = r;
		if (least == i)
			return;
		t = h[i];
		h[i] = h[least];
		h[least] = t;
		i = least;
	}
}

struct strcount_entry *qz_strcount__top(const struct strcount *sc, size_t k, size_t *nr)
{
	struct strcount_entry *out;
	size_t n = 0;

	if (k > sc->nr)
		k = sc->nr;
	out = malloc((k + 1) * sizeof(*out));
	if (!out)
		return NULL;
	/* A heap of the best k seen, its worst at the root. */
	for (size_t i = 0; i < sc->nr_buckets; i++)
		for (const struct node *node = sc->buckets[i]; node; node = node->next) {
			struct strcount_entry e = { node->key, node->count };

			if (n < k) {
				out[n++] = e;
				for (size_t j = n / 2; n == k && j-- > 0;)
					sift(out, n, j);
			} else if (k && by_count(&e, &out[0]) < 0) {
				out[0] = e;
				sift(out, n, 0);
			}
		}
	qsort(out, n, sizeof(*out), by_count);
	*nr = n;
	return out;
}

void qz_strcount__json_folded(struct qz_json *j, const struct strcount_entry *st, size_t nr)
{
	uint64_t more = 0;
	size_t bytes = 0;

	qz_json__key(j, "folded");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		bytes += strlen(st[i].key);
		if (i >= MAX_FOLDED || bytes > MAX_FOLDED_BYTES) {
			more += st[i].count;
			continue;
		}
		qz_json__begin_object(j);
		qz_json__key_str(j, "stack", st[i].key);
		qz_json__key_u64(j, "count", st[i].count);
		qz_json__end_object(j);
	}
	if (more) {
		qz_json__begin_object(j);
		qz_json__key_str(j, "stack", "[more stacks]");
		qz_json__key_u64(j, "count", more);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
}
