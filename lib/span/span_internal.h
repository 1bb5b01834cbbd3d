/* SPDX-License-Identifier: MIT */
/* What the span files share: the tracer, the thread state, the group. */
#ifndef QUAZAR_SPAN_INTERNAL_H
#define QUAZAR_SPAN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <quazar/span.h>
#include <quazar/span_export.h>
#include "../internal.h"

struct qz_tracer {
	struct qz_span_exporter *exporter;
	struct qz_logger log;
	uint32_t counters;
	bool no_counters;
	bool no_rdpmc;
};

/* One boundary's reading of a group, values by counter id. */
struct qz_counter_read {
	uint64_t enabled;
	uint64_t running;
	uint64_t v[QZ_SPAN_NR_COUNTERS];
	bool rdpmc;
};

/* A thread's counters: one group, its leader at position 0. */
struct qz_counter_group {
	int fd[QZ_SPAN_NR_COUNTERS];
	uint8_t id[QZ_SPAN_NR_COUNTERS];	/* counter at each position */
	unsigned nr;
	uint32_t mask;				/* counters open */
	uint32_t flags;				/* QZ_SPAN_F_USER_ONLY */
	bool pmu;
	bool rdpmc;
	/* Each member's user page, mapped only for the rdpmc path. */
	struct perf_event_mmap_page *page[QZ_SPAN_NR_COUNTERS];
	char reason[192];	/* no counters, no PMU, no rdpmc: why */
};

/*
 * Open the counters of want on the calling thread. 0 with at least one
 * counter open, else -errno with g->reason set. Logs nothing.
 */
int qz__counter_group_open(struct qz_counter_group *g, uint32_t want,
			   bool allow_rdpmc);
void qz__counter_group_close(struct qz_counter_group *g);
/* One read() of the group, or rdpmc: 0 or -errno. */
int qz__counter_group_read(const struct qz_counter_group *g,
			   struct qz_counter_read *r);
/* Differences b - a into d, scaled when the group was multiplexed. */
void qz__counter_group_delta(const struct qz_counter_read *a,
			     const struct qz_counter_read *b, uint32_t mask,
			     struct qz_span_data *d);

/* A counter's value from its user page, with the seqlock loop. */
struct qz_rdpmc_value {
	uint64_t count;
	uint64_t enabled;
	uint64_t running;
};
typedef uint64_t (*qz_rdpmc_fn)(unsigned int counter);
typedef uint64_t (*qz_rdtsc_fn)(void);
/*
 * 0, or -EAGAIN when the event is not on a counter now (index 0, or no
 * cap_user_rdpmc): read() it instead. NULL functions mean the instructions
 * (x86 only: elsewhere always -EOPNOTSUPP); tests pass fakes.
 */
int qz__rdpmc_read(const volatile struct perf_event_mmap_page *pc,
		   qz_rdpmc_fn rdpmc, qz_rdtsc_fn rdtsc,
		   struct qz_rdpmc_value *out);
/* The instructions exist on this architecture. */
bool qz__rdpmc_arch(void);

struct qz_span {
	struct qz_span_data d;
	struct qz_counter_read begin;
	struct qz_tracer *tracer;
	uint64_t mono_start_ns;
	bool open;		/* begun and not ended */
	bool counting;		/* begin read the group */
};

struct qz_span_thread {
	struct qz_span slots[QZ_SPAN_DEPTH_MAX];
	int depth;		/* slots in use, ended ones included */
	int state;		/* 0 not opened yet, 1 open, -1 failed */
	int open_err;		/* -errno of the failure */
	struct qz_counter_group group;
	const char *unavailable;
	uint64_t rng;
	unsigned int fork_gen;
	pid_t tid;
};

/* The calling thread's state, allocated on first use; NULL if ENOMEM. */
struct qz_span_thread *qz__span_thread_get(void);
/* The same, NULL rather than allocating when the thread has none. */
struct qz_span_thread *qz__span_thread_peek(void);
/* Open the thread's group if not tried yet, logging a failure once. */
void qz__span_thread_counters(struct qz_span_thread *th,
			      struct qz_tracer *tracer);
struct qz_tracer *qz__tracer_default(void);

/* Copy the bytes of a span that are in use (end_copy, the exporter). */
void qz__span_data_copy(struct qz_span_data *dst,
			const struct qz_span_data *src);

/* Fill len bytes of a fresh id, never all zero. */
void qz__span_id_new(uint64_t *rng, uint8_t *id, size_t len);
uint64_t qz__span_rng_seed(void);
void qz__hex_encode(const uint8_t *in, size_t len, char *out);

uint64_t qz__clock_ns(int clock);

#endif
