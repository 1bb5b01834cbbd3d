/* SPDX-License-Identifier: MIT */
/*
 * Byte strings numbered in the order first seen: the interning behind
 * pprof's tables (strings, functions, locations, mappings, stacks).
 */
#ifndef QUAZAR_PROFILERS_BLOBTAB_H
#define QUAZAR_PROFILERS_BLOBTAB_H

#include <stddef.h>
#include <stdint.h>

struct qz_blobtab;

struct qz_blobtab *qz_blobtab__new(void);
void qz_blobtab__free(struct qz_blobtab *b);
/* key's number, 0 for the first key; a copy is kept. -ENOMEM. */
int64_t qz_blobtab__intern(struct qz_blobtab *b, const void *key, size_t len);
/* key's number, or -ENOENT. */
int64_t qz_blobtab__find(const struct qz_blobtab *b, const void *key, size_t len);
size_t qz_blobtab__nr(const struct qz_blobtab *b);
/*
 * Key number i (borrowed until the next intern), 8-aligned and
 * NUL-terminated past len.
 */
const void *qz_blobtab__key(const struct qz_blobtab *b, size_t i, size_t *len);

#endif
