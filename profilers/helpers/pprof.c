// SPDX-License-Identifier: MIT
/*
 * pprof: samples counted per (process, comm, addresses). Nothing is
 * symbolized on the sample path; pprof_write.c does it once per location.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "pprof.h"
#include "pprof_internal.h"

#define MAX_FRAMES 256

static uint64_t clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct qz_pprof *qz_pprof__new(struct qz_stack_printer *printer, uint64_t period_ns)
{
	struct qz_pprof *pp = calloc(1, sizeof(*pp));

	if (!pp)
		return NULL;
	pp->printer = printer;
	pp->period_ns = period_ns;
	pp->start_ns = clock_ns(CLOCK_REALTIME);
	pp->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
	if (!(pp->maps = qz_proc_maps__new()) || !(pp->strings = qz_blobtab__new()) ||
	    !(pp->locs = qz_blobtab__new()) || !(pp->stacks = qz_blobtab__new()) ||
	    qz_pprof__string(pp, "") != 0) {
		qz_pprof__free(pp);
		return NULL;
	}
	return pp;
}

void qz_pprof__free(struct qz_pprof *pp)
{
	if (!pp)
		return;
	qz_proc_maps__free(pp->maps);
	qz_blobtab__free(pp->strings);
	qz_blobtab__free(pp->locs);
	qz_blobtab__free(pp->stacks);
	free(pp->counts);
	free(pp);
}

int64_t qz_pprof__string(struct qz_pprof *pp, const char *s)
{
	return qz_blobtab__intern(pp->strings, s, strlen(s));
}

uint64_t qz_pprof__samples(const struct qz_pprof *pp)
{
	return pp->samples;
}

struct frames {
	struct qz_pprof *pp;
	struct pprof_stack *key;
	uint32_t nr;
	int err;
};

static void add_frame(uint64_t addr, bool user, void *ctx)
{
	struct frames *f = ctx;
	struct pprof_loc loc = { .pid = user ? f->key->pid : -1, .addr = addr };
	int64_t i;

	if (f->nr == MAX_FRAMES || f->err)
		return;
	i = qz_blobtab__intern(f->pp->locs, &loc, sizeof(loc));
	if (i < 0)
		f->err = (int)i;
	else
		f->key->loc[f->nr++] = (uint32_t)i;
}

void qz_pprof__prepare(struct qz_pprof *pp, pid_t pid)
{
	qz_proc_maps__prepare(pp->maps, pid);
	qz_symbolizer__prepare(qz_stack_printer__symbolizer(pp->printer), pid);
}

int qz_pprof__add(struct qz_pprof *pp, const struct qz_sample *smp, const char *comm,
		  uint64_t count)
{
	uint32_t buf[(sizeof(struct pprof_stack) + MAX_FRAMES * sizeof(uint32_t)) / 4];
	struct pprof_stack *key = (struct pprof_stack *)buf;
	struct frames f = { .pp = pp, .key = key };
	int64_t c = qz_pprof__string(pp, comm[0] ? comm : "[unknown]"), i;

	if (c < 0)
		return (int)c;
	key->pid = (int32_t)smp->pid;
	key->comm = (uint32_t)c;
	/* Read the process's mappings while it is still alive. */
	qz_pprof__prepare(pp, (pid_t)smp->pid);
	if (smp->callchain_nr)
		qz_callchain__walk(smp->callchain, smp->callchain_nr, add_frame, &f);
	else	/* x86-64: kernel addresses are the upper half */
		add_frame(smp->ip, (int64_t)smp->ip >= 0, &f);
	if (f.err)
		return f.err;
	i = qz_blobtab__intern(pp->stacks, key, sizeof(*key) + f.nr * sizeof(uint32_t));
	if (i < 0)
		return (int)i;
	if ((size_t)i >= pp->counts_cap) {
		size_t cap = pp->counts_cap ? pp->counts_cap * 2 : 1024;
		uint64_t *n = realloc(pp->counts, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		memset(n + pp->counts_cap, 0, (cap - pp->counts_cap) * sizeof(*n));
		pp->counts = n;
		pp->counts_cap = cap;
	}
	pp->counts[i] += count;
	pp->samples += count;
	return 0;
}
