/* SPDX-License-Identifier: MIT */
/*
 * A hash map from u64 keys to fixed-size values stored inline: open
 * addressing with linear probing and backward-shift deletion, so it never
 * fills with tombstones. For the hot paths of profilers that key by pid,
 * tid or a packed (object, reason) pair.
 */
#ifndef QUAZAR_PROFILERS_U64MAP_H
#define QUAZAR_PROFILERS_U64MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	uint8_t *used;
	unsigned char *vals;
	size_t val_size;	/* bytes per value, rounded up to 8 */
	size_t cap;		/* a power of two */
	size_t nr;
};

/* An empty map of values of val_size bytes (0 is fine: a set). */
int qz_u64map__init(struct u64map *m, size_t val_size);
void qz_u64map__free(struct u64map *m);
/* Forget every entry, keep the memory. */
void qz_u64map__clear(struct u64map *m);
/* The value of key (borrowed until the next put or del), or NULL. */
void *qz_u64map__get(const struct u64map *m, uint64_t key);
/* The value of key, inserted zeroed when new (*created says so). NULL: ENOMEM. */
void *qz_u64map__put(struct u64map *m, uint64_t key, bool *created);
/* Remove key; false when it was not there. */
bool qz_u64map__del(struct u64map *m, uint64_t key);
/*
 * Walk the entries: start with *pos = 0; returns false at the end. The
 * map must not change during the walk.
 */
bool qz_u64map__next(const struct u64map *m, size_t *pos, uint64_t *key,
		     void **val);

#endif
