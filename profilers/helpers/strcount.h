/* SPDX-License-Identifier: MIT */
/* Counts per string: the stacks of a flame graph, profile's functions. */
#ifndef QUAZAR_PROFILERS_STRCOUNT_H
#define QUAZAR_PROFILERS_STRCOUNT_H

#include <stddef.h>
#include <stdint.h>

struct strcount;

struct strcount_entry {
	const char *key;	/* borrowed from the table */
	uint64_t count;
};

struct strcount *strcount_new(void);
void strcount_free(struct strcount *sc);
/* Add n to key's count (a copy of key is kept). 0 or -ENOMEM. */
int strcount_add(struct strcount *sc, const char *key, uint64_t n);
/* Every key, highest count first (ties by key); free() the array. */
struct strcount_entry *strcount_sorted(const struct strcount *sc, size_t *nr);
/* Forget every key. */
void strcount_reset(struct strcount *sc);

#endif
