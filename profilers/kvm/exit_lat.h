/* SPDX-License-Identifier: MIT */
/*
 * Exit latency without a kernel: exits and entries of vCPU threads paired
 * per thread, each latency recorded in a histogram per (ISA, reason). The
 * kvm-exit profiler feeds it decoded kvm_exit/kvm_entry events; tests feed
 * it by hand.
 */
#ifndef QUAZAR_PROFILERS_KVM_EXIT_LAT_H
#define QUAZAR_PROFILERS_KVM_EXIT_LAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <quazar/hist.h>
#include "exit_reason.h"
#include "u64map.h"

struct exit_lat_reason {
	int isa;
	uint32_t code;
	struct qz_hist hist;
};

/* An exit waiting for its thread's next entry. */
struct exit_lat_pending {
	uint64_t ts;		/* 0: none */
	struct kvm_exit_info x;
};

struct exit_lat {
	struct u64map pending;	/* tid -> struct exit_lat_pending */
	struct u64map reasons;	/* isa << 32 | code -> struct exit_lat_reason * */
};

int qz_exit_lat__init(struct exit_lat *e);
void qz_exit_lat__free(struct exit_lat *e);
/* kvm_exit of thread tid at ts. */
void qz_exit_lat__exit(struct exit_lat *e, int tid, uint64_t ts,
		       const struct kvm_exit_info *x);
/*
 * kvm_entry of thread tid at ts: the latency of the exit it ends (its
 * info in *x when not NULL), or -1 when no exit is waiting (the first
 * entry of a KVM_RUN).
 */
int64_t qz_exit_lat__entry(struct exit_lat *e, int tid, uint64_t ts,
			   struct kvm_exit_info *x);
/* Events were lost: forget the waiting exits rather than mispair them. */
void qz_exit_lat__forget(struct exit_lat *e);
/* The reasons seen since the last reset, most frequent first (owned array). */
struct exit_lat_reason **qz_exit_lat__rows(struct exit_lat *e, size_t *nr);
/* Empty every histogram, for the next interval. */
void qz_exit_lat__reset(struct exit_lat *e);

#endif
