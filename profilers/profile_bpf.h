/* SPDX-License-Identifier: MIT */
/*
 * profile --bpf: samples counted in the kernel by bpf/profile.bpf.c, a
 * hash of (pid, tid, CPU, comm, ip, kernel stack, user stack), read and
 * cleared once per interval and handed back as samples with a count, so
 * that profile's tables, folded stacks and outputs are the ring path's.
 */
#ifndef QUAZAR_PROFILE_BPF_H
#define QUAZAR_PROFILE_BPF_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/event.h>
#include "bpf_filter.h"

struct profile_bpf;

struct profile_bpf_opts {
	bool stacks;		/* -g: kernel and user stacks, as the ring's callchains */
	bool kernel_stacks, user_stacks;
	uint32_t entries;	/* of the hash and the stack map; 0: 8192 */
	const struct qz_filter_cfg *filter;	/* NULL: none */
	bool news;		/* tell of new processes (qz_profile_bpf__news) */
};

/* Losses since the last read. */
struct profile_bpf_stats {
	uint64_t collisions;	/* samples that lost their stack: its bucket was taken */
	uint64_t hash_full;	/* samples dropped: the hash was full */
	uint64_t errors;	/* samples dropped otherwise */
};

/*
 * Load the program; NULL with why filled (and errno) when BPF cannot count
 * here: not built, no BTF, no privilege, or the verifier refused.
 */
struct profile_bpf *qz_profile_bpf__new(const struct profile_bpf_opts *opts, char *why,
					size_t len);
void qz_profile_bpf__free(struct profile_bpf *pb);
/* The program to attach to each cpu-clock event (qz_session__set_bpf). */
int qz_profile_bpf__prog_fd(struct profile_bpf *pb);

/*
 * With opts->news, processes the program saw for the first time (or since
 * they exec'd): an fd to poll, and the reader calling fn with each pid, so
 * that what reads /proc (pprof's mappings) does it while they live. The
 * session's symbolizer needs none: it follows the ring's MMAP2 records.
 */
int qz_profile_bpf__news_fd(struct profile_bpf *pb);
void qz_profile_bpf__news(struct profile_bpf *pb, void (*fn)(void *ctx, uint32_t pid), void *ctx);

/* One key's samples on one CPU: smp's callchain is borrowed for the call. */
typedef void (*profile_bpf_fn)(void *ctx, const struct qz_sample *smp, const char *comm,
			       uint64_t count);
/* Switch the programs to the other set of maps, then empty this one into fn. */
int qz_profile_bpf__read(struct profile_bpf *pb, profile_bpf_fn fn, void *ctx,
			 struct profile_bpf_stats *stats);

#endif
