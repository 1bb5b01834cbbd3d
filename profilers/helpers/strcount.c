// SPDX-License-Identifier: MIT
/* A chained hash table of strings with a count each. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "strcount.h"

#define BUCKETS 4096

struct node {
	struct node *next;
	uint64_t count;
	char key[];
};

struct strcount {
	struct node *buckets[BUCKETS];
	size_t nr;
};

struct strcount *qz_strcount__new(void)
{
	return calloc(1, sizeof(struct strcount));
}

void qz_strcount__reset(struct strcount *sc)
{
	for (int i = 0; i < BUCKETS; i++) {
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
	free(sc);
}

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int qz_strcount__add(struct strcount *sc, const char *key, uint64_t n)
{
	struct node **slot = &sc->buckets[hash(key) % BUCKETS], *node;
	size_t len;

	for (node = *slot; node; node = node->next) {
		if (!strcmp(node->key, key)) {
			node->count += n;
			return 0;
		}
	}
	len = strlen(key) + 1;
	node = malloc(sizeof(*node) + len);
	if (!node)
		return -ENOMEM;
	memcpy(node->key, key, len);
	node->count = n;
	node->next = *slot;
	*slot = node;
	sc->nr++;
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
	struct strcount_entry *out = malloc((sc->nr + 1) * sizeof(*out));
	size_t n = 0;

	if (!out)
		return NULL;
	for (int i = 0; i < BUCKETS; i++)
		for (const struct node *node = sc->buckets[i]; node; node = node->next)
			out[n++] = (struct strcount_entry){ node->key, node->count };
	qsort(out, n, sizeof(*out), by_count);
	*nr = n;
	return out;
}
