/* SPDX-License-Identifier: MIT */
/*
 * A hash table of rows keyed by u64, or by string (comm): the aggregation
 * behind top. Open addressing with linear probing; it grows, and is reset
 * each interval.
 */
#ifndef QUAZAR_PROFILERS_KEYTABLE_H
#define QUAZAR_PROFILERS_KEYTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEYTABLE_MAX_COLUMNS 8
#define KEYTABLE_NAME_LEN 24

struct keytable_row {
	uint64_t key;
	bool used;
	char name[KEYTABLE_NAME_LEN];	/* comm or a named key */
	uint64_t count;
	uint64_t sums[KEYTABLE_MAX_COLUMNS];
};

struct keytable {
	struct keytable_row *rows;
	size_t cap, nr;
	struct keytable_row *last;	/* the last row got: events come in runs */
};

int qz_keytable__init(struct keytable *t);
void qz_keytable__free(struct keytable *t);
void qz_keytable__reset(struct keytable *t);
/* The row for key, created (zeroed) when new. NULL when out of memory. */
struct keytable_row *qz_keytable__get(struct keytable *t, uint64_t key);
/* Rows in use, sorted by column col descending (col -1: by count). */
struct keytable_row **qz_keytable__sorted(struct keytable *t, int col, size_t *nr);

/* The key for a string (only-comm): FNV-1a, never 0. */
uint64_t qz_keytable__hash_str(const char *s);

#endif
