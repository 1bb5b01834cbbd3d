/* SPDX-License-Identifier: MIT */
/*
 * A cpu-clock timer on each CPU leading a group of counted events (the
 * -e list): every timer sample carries the group's counts, so the events
 * that happened on that CPU between two ticks are known exactly, without
 * sampling them. The ground of hrtimer and hrcount.
 *
 * Memory: (members + 1) x 8 bytes of last values per CPU.
 */
#ifndef QUAZAR_PROFILERS_GROUPCOUNT_H
#define QUAZAR_PROFILERS_GROUPCOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include "u64map.h"

struct qz_session;
struct qz_event;

struct groupcount {
	struct qz_session *session;
	int leader;		/* session index of the cpu-clock */
	int nr;			/* counted events */
	int *members;		/* their session indexes, in -e order */
	const char **names;	/* their names: alias=, else the tracepoint's */
	long nr_cpus;
	uint64_t *last;		/* [cpu][nr + 1]: values at the last tick */
	uint8_t *primed;	/* [cpu]: a tick was seen */
	struct u64map slot_of;	/* kernel id -> slot (nr: the clock) */
	bool ids_ready;
	uint64_t *delta;	/* [nr + 1]: this tick's deltas, clock last */
	uint64_t bad_reads;	/* ticks whose group did not read whole */
};

/*
 * Add the cpu-clock (sampling every period_ns, or at freq Hz when not 0)
 * and each -e of the env as counted members. sample_type: extra bits for
 * the clock (PERF_SAMPLE_CALLCHAIN comes with -g). Logs and returns a
 * negative error on failure; no_events: a -e is required (else the clock
 * runs alone).
 */
int qz_groupcount__init(struct groupcount *g, struct qz_session *s,
		     uint64_t period_ns, uint64_t freq, uint64_t sample_type);
void qz_groupcount__free(struct groupcount *g);
/* The timer runs on CPUs: refuse -p, -t, --cgroup and a command, naming name. */
int qz_groupcount__check_scope(struct qz_session *s, const char *name);
/*
 * A clock tick: fill g->delta with the counts since the CPU's last tick
 * (g->delta[g->nr] is the clock's, in ns). False on the first tick of a
 * CPU, or when the group did not read whole (counted in bad_reads).
 */
bool qz_groupcount__tick(struct groupcount *g, const struct qz_event *ev);
/* Forget every CPU's last values (the next tick of each primes it). */
void qz_groupcount__reset(struct groupcount *g);

#endif
