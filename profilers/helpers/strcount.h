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

struct strcount *qz_strcount__new(void);
void qz_strcount__free(struct strcount *sc);
/* Add n to key's count (a copy of key is kept). 0 or -ENOMEM. */
int qz_strcount__add(struct strcount *sc, const char *key, uint64_t n);
/* Every key, highest count first (ties by key); free() the array. */
struct strcount_entry *qz_strcount__sorted(const struct strcount *sc, size_t *nr);
/* The k first of those only, without sorting the rest. */
struct strcount_entry *qz_strcount__top(const struct strcount *sc, size_t k, size_t *nr);
/* Forget every key. */
void qz_strcount__reset(struct strcount *sc);

struct qz_json;
/*
 * "folded": each stack of st (sorted, most first) as a flamegraph.pl line
 * and its count, so a consumer can draw any window; past 10,000 lines or
 * 512 KiB the rarest are summed under "[more stacks]", so the counts still
 * add up to the samples.
 */
void qz_strcount__json_folded(struct qz_json *j, const struct strcount_entry *st, size_t nr);

#endif
