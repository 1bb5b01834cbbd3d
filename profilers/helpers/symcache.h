/* SPDX-License-Identifier: MIT */
/*
 * Resolved addresses kept across intervals: (pid, kernel or user, address)
 * to its symbol, so a profile that sees the same stacks every interval
 * (profile --bpf) resolves each address once. A process's entries are
 * forgotten when its mappings change (qz_symcache__forget: a new mm), so
 * the user keeps it only where it learns of those (the BPF path does).
 */
#ifndef QUAZAR_PROFILERS_SYMCACHE_H
#define QUAZAR_PROFILERS_SYMCACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <quazar/stack.h>

struct symcache;

/* Over sym (borrowed). NULL on ENOMEM. */
struct symcache *qz_symcache__new(struct qz_symbolizer *sym);
void qz_symcache__free(struct symcache *c);
/* As qz_symbolizer__user/kernel; out's strings live until the next forget or clear. */
int qz_symcache__resolve(struct symcache *c, pid_t pid, bool user, uint64_t addr,
			 struct qz_symbol *out);
/* pid's mappings changed (exec, or a new process under its pid). */
void qz_symcache__forget(struct symcache *c, pid_t pid);

#endif
