/* SPDX-License-Identifier: MIT */
/* What pprof.c collects and pprof_write.c encodes. */
#ifndef QUAZAR_PROFILERS_PPROF_INTERNAL_H
#define QUAZAR_PROFILERS_PPROF_INTERNAL_H

#include "blobtab.h"
#include "callchain.h"
#include "proc_maps.h"

/* A location: an address of one process, or of the kernel (pid -1). */
struct pprof_loc {
	int32_t pid;
	uint32_t pad;
	uint64_t addr;
};

/* A stack's key: its process, its comm, then its locations, leaf first. */
struct pprof_stack {
	int32_t pid;
	uint32_t comm;		/* in strings */
	uint32_t loc[];		/* location numbers */
};

struct qz_pprof {
	struct qz_stack_printer *printer;
	struct qz_proc_maps *maps;
	struct qz_blobtab *strings;	/* the string table; "" is 0 */
	struct qz_blobtab *locs;	/* struct pprof_loc */
	struct qz_blobtab *stacks;	/* struct pprof_stack */
	uint64_t *counts;		/* per stack */
	size_t counts_cap;
	uint64_t period_ns, samples;
	uint64_t start_ns, start_mono_ns;	/* CLOCK_REALTIME, CLOCK_MONOTONIC */
};

/* A string's index in the table, added when new; -ENOMEM. */
int64_t qz_pprof__string(struct qz_pprof *pp, const char *s);

#endif
