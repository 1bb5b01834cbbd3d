/* SPDX-License-Identifier: MIT */
/*
 * Raw stacks, counted as they are read and symbolized only when reported:
 * the reader hashes addresses and never waits on an ELF file. An entry is
 * (pid, generation of its mappings, comm, callchain with its context
 * markers); stackfold.h turns one into text.
 */
#ifndef QUAZAR_PROFILERS_STACKTAB_H
#define QUAZAR_PROFILERS_STACKTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <quazar/stack.h>

#define QZ_STACK_MAX_FRAMES 256

struct qz_stack_entry {
	uint64_t hash, count;
	uint64_t gen;
	uint32_t pid;
	char comm[16];
	uint32_t nr;		/* words in ips */
	uint64_t ips[];		/* as PERF_SAMPLE_CALLCHAIN has them */
};

struct qz_stacktab;

/* At most max_entries distinct stacks (0: 1,000,000); NULL on ENOMEM. */
struct qz_stacktab *qz_stacktab__new(size_t max_entries);
void qz_stacktab__free(struct qz_stacktab *t);
/*
 * Count a callchain (cut at QZ_STACK_MAX_FRAMES words). A new stack past
 * the bound, or without memory, is dropped and counted: -ENOSPC.
 */
int qz_stacktab__add(struct qz_stacktab *t, uint32_t pid, uint64_t gen, const char *comm,
		     const uint64_t *ips, uint64_t nr, uint64_t count);
/* The same for one address: user or kernel, told by its value. */
int qz_stacktab__add_ip(struct qz_stacktab *t, uint32_t pid, uint64_t gen,
			const char *comm, uint64_t ip, uint64_t count);
size_t qz_stacktab__nr(const struct qz_stacktab *t);
/*
 * The entries in no order, from *cursor = 0 to NULL (borrowed until the
 * next add or reset).
 */
const struct qz_stack_entry *qz_stacktab__next(const struct qz_stacktab *t, size_t *cursor);
/* Samples counted, and dropped, since the last reset. */
uint64_t qz_stacktab__samples(const struct qz_stacktab *t);
uint64_t qz_stacktab__dropped(const struct qz_stacktab *t);
void qz_stacktab__reset(struct qz_stacktab *t);

#endif
