/* SPDX-License-Identifier: MIT */
/*
 * The core of multi-trace, usable without a live session (the benchmark
 * replays recorded events through it): events in -e positions are paired
 * by key, each pair's latency goes into a bounded histogram per pair (and
 * per instance with --perins), outliers are handed to a callback.
 *
 * Memory, fixed by the options and never by the event count:
 *  - pending keys: at most max_keys (default 1M) entries of 48 bytes plus
 *    a u32 bucket; with --than/--impl pair each also holds a copy of its
 *    event (header + raw + callchain, typically 100-300 bytes). When full,
 *    the oldest pending key is evicted and counted.
 *  - statistics: one struct qz_hist (7.7 KiB) per pair, or per
 *    (instance, pair) with --perins, at most max_rows rows (default 4096);
 *    rows past that are folded into one "other" row per pair.
 */
#ifndef QUAZAR_PROFILERS_RELATIONS_H
#define QUAZAR_PROFILERS_RELATIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/hist.h>
#include <quazar/event.h>
#include <quazar/filter.h>
#include <quazar/tp.h>
#include "reltab.h"

struct qz_event;
struct qz_tp_field;
struct qz_filter;

/* A copy of one event's sample, kept for printing after the fact. */
struct mt_rec {
	uint64_t time, key;
	uint32_t cpu, pid, tid;
	int index;		/* session event */
	uint32_t raw_size;
	uint32_t callchain_nr;
	uint64_t seq;		/* timeline sequence (detail) */
	uint32_t pins;		/* timeline: reasons to keep it */
	uint64_t data[];	/* callchain, then raw */
};

struct mt_rec *qz_mt_rec__new(const struct qz_event *ev, uint64_t key);
/* A qz_sample over the copy (borrowed pointers into rec). */
void qz_mt_rec__sample(const struct mt_rec *rec, struct qz_sample *smp);

enum mt_impl { MT_IMPL_DELAY, MT_IMPL_PAIR };

struct mt_event_cfg {
	const struct qz_tp_field *key;	/* NULL: key_expr, or the default key */
	struct qz_tp_word key_word;	/* key in one inline load (end 0: none); set by the core */
	const struct qz_filter *key_expr;	/* key=EXPR that is not a field */
	/* role=: bit 0 lets it be an event1, bit 1 an event2 (NULL: both) */
	const struct qz_filter *role;
	int pos;			/* which -e */
	bool untraced;
	bool trigger;			/* report when it arrives */
	bool find_prev;			/* event2 of a pair */
	bool backup;			/* event1 of a pair */
};

struct mt_pair {
	int from, to;			/* session event indexes */
};

struct mt_row {
	uint64_t inst;
	int pair;
	bool used, other;
	struct qz_hist hist;
};

struct mt_core;

/* Called for a pair beyond --than (or below --lower), or unpaired (pair). */
typedef void (*mt_outlier_fn)(void *ctx, struct reltab_entry *prev,
			      const struct qz_event *ev, uint64_t key,
			      uint64_t delta, int pair);

struct mt_core_opts {
	int nr_events;
	const struct mt_event_cfg *events;	/* copied; find_prev/backup set here */
	int nr_pos;			/* number of -e */
	bool cycle;			/* last position relates to the first */
	enum mt_impl impl;
	bool perins;
	bool key_tid;			/* default key: tid (else cpu) */
	uint64_t than, lower;		/* 0: off */
	bool keep_records;		/* copy event1s (for printing) */
	uint64_t max_keys, max_rows;	/* 0: defaults */
	mt_outlier_fn outlier;
	void (*latency)(void *ctx, uint64_t time, uint64_t delta); /* heatmap */
	/*
	 * Optional: a pair is recorded by the caller instead of in the
	 * pair's histogram (prev->aux holds what stash gave its event1).
	 */
	void (*paired)(void *ctx, const struct reltab_entry *prev,
		       const struct qz_event *ev, uint64_t key, uint64_t delta);
	/* Optional: a value kept with a backed-up event1 (default: its CPU). */
	uint64_t (*stash)(void *ctx, const struct qz_event *ev);
	/* How event1 copies are made and dropped (default qz_mt_rec__new/free). */
	struct mt_rec *(*copy)(void *ctx, const struct qz_event *ev, uint64_t key);
	void (*release)(void *ctx, struct mt_rec *rec);
	void *ctx;
};

struct mt_core {
	int nr_events;
	struct mt_event_cfg *ev;
	int16_t *pair_of;		/* [from * nr_events + to], -1: none */
	struct mt_pair *pairs;
	int nr_pairs;
	enum mt_impl impl;
	bool perins, key_tid, keep;
	uint64_t than, lower;
	mt_outlier_fn outlier;
	bool bounds;			/* outlier is called past than or below lower */
	void (*latency)(void *ctx, uint64_t time, uint64_t delta);
	void (*paired_fn)(void *ctx, const struct reltab_entry *prev,
		       const struct qz_event *ev, uint64_t key, uint64_t delta);
	uint64_t (*stash)(void *ctx, const struct qz_event *ev);
	struct mt_rec *(*copy)(void *ctx, const struct qz_event *ev, uint64_t key);
	void (*release)(void *ctx, struct mt_rec *rec);
	void *ctx;

	struct reltab pending;
	struct mt_row *rows;		/* perins: open addressing */
	uint64_t rows_cap, rows_nr, max_rows;
	struct mt_row *other;		/* [nr_pairs], perins overflow */
	struct mt_row *total;		/* [nr_pairs], without perins */

	uint64_t events, paired, outliers, backwards;
	uint64_t unpaired_from, unpaired_to;	/* --impl pair */
};

struct mt_core *qz_mt_core__new(const struct mt_core_opts *opts);
void qz_mt_core__free(struct mt_core *c);
/* Key of an event as this core sees it (inline: the per-event path reads it). */
static inline uint64_t qz_mt_core__key(const struct mt_core *c, const struct qz_event *ev)
{
	const struct mt_event_cfg *e = &c->ev[ev->index];
	const struct qz_sample *smp = ev->sample;

	if (e->key_word.end)
		return (uint64_t)qz_tp_word__s64(&e->key_word, smp->raw, smp->raw_size);
	if (e->key)
		return (uint64_t)qz_tp_field__s64(e->key, smp->raw, smp->raw_size);
	if (e->key_expr)
		return (uint64_t)qz_filter__eval_sample(e->key_expr, smp);
	return c->key_tid ? smp->tid : smp->cpu;
}

enum { MT_ROLE_EVENT1 = 1, MT_ROLE_EVENT2 = 2, MT_ROLE_ANY = 3 };
/* What an event may be in a pair: its role= value, else MT_ROLE_ANY. */
static inline unsigned qz_mt_core__role(const struct mt_core *c, const struct qz_event *ev)
{
	const struct mt_event_cfg *e = &c->ev[ev->index];

	if (!e->role)
		return MT_ROLE_ANY;
	return (unsigned)qz_filter__eval_sample(e->role, ev->sample) & MT_ROLE_ANY;
}
/*
 * The per-event path: pair with the key's pending event1 (when role allows
 * event2), record the latency, back the event up (when it allows event1).
 */
void qz_mt_core__event(struct mt_core *c, const struct qz_event *ev, uint64_t key,
		    unsigned role);
/* Rows with calls, sorted by (instance, pair); *nr set. Owned by caller. */
struct mt_row **qz_mt_core__rows(struct mt_core *c, size_t *nr);
/* Forget the statistics (each interval). */
void qz_mt_core__reset_stats(struct mt_core *c);

#endif
