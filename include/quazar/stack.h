/* SPDX-License-Identifier: MIT */
/*
 * Stack symbolization: kernel addresses through /proc/kallsyms, user
 * addresses through libdw over the process's mappings. A process's
 * mappings are read the first time it is seen (qz_symbolizer__prepare), so
 * its stacks still resolve after it has exited.
 */
#ifndef QUAZAR_STACK_H
#define QUAZAR_STACK_H

#include <stdint.h>
#include <sys/types.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_symbolizer;

QZ_API struct qz_symbolizer *qz_symbolizer__new(void);
QZ_API void qz_symbolizer__free(struct qz_symbolizer *sym);
/* Read pid's mappings now, while it lives; cheap when already done. */
QZ_API void qz_symbolizer__prepare(struct qz_symbolizer *sym, pid_t pid);

struct qz_symbol {
	const char *name;	/* borrowed; NULL when unknown */
	uint64_t offset;	/* addr - symbol start */
	const char *module;	/* "[kernel]" or the file's name; may be NULL */
};

/* Resolve a kernel address. 0, or -ENOENT. */
QZ_API int qz_symbolizer__kernel(struct qz_symbolizer *sym, uint64_t addr,
				 struct qz_symbol *out);
/* Resolve a user address of pid. 0, or -ENOENT. */
QZ_API int qz_symbolizer__user(struct qz_symbolizer *sym, pid_t pid,
			       uint64_t addr, struct qz_symbol *out);

#ifdef __cplusplus
}
#endif

#endif
