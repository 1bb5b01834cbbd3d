/* SPDX-License-Identifier: MIT */
/*
 * multi-trace --detail: a timeline of copies of recent events, so that for
 * an outlier pair the events between event1 and event2 (and -N before,
 * +N after) can be printed. Events are kept while a pending event1 may
 * still need them; a byte cap bounds the whole timeline (oldest dropped
 * first, counted).
 */
#ifndef QUAZAR_PROFILERS_DETAIL_H
#define QUAZAR_PROFILERS_DETAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "relations.h"

/* perf-prof's --detail[=-N,+N,1,2,hide<N,samecpu,samepid,sametid,samekey] */
struct mt_detail_opts {
	uint64_t before, after, hide;	/* ns */
	bool same_cpu, same_pid, same_tid, same_key;
	bool only1, only2;		/* "1"/"2": same* compares with that event */
};

/* 0, or -EINVAL with a message naming the bad part in err. */
int qz_mt_detail__parse(const char *text, struct mt_detail_opts *o, char *err,
		     size_t len);

struct mt_timeline {
	struct mt_rec **ring;		/* circular, ring[seq & mask] */
	uint64_t mask;
	uint64_t head, tail;		/* seqs: [head, tail) are held */
	uint64_t first_pinned;		/* no pinned node before this seq */
	size_t bytes, max_bytes;
	uint64_t dropped;		/* forced out by the byte cap */
	uint64_t before;		/* keep this long before a pinned node */
	uint64_t newest;		/* time of the last append */
};

int qz_mt_timeline__init(struct mt_timeline *t, size_t max_bytes, uint64_t before);
void qz_mt_timeline__free(struct mt_timeline *t);
/* Copy ev in; pinned when pin (a backup). The node (borrowed), or NULL. */
struct mt_rec *qz_mt_timeline__append(struct mt_timeline *t,
				   const struct qz_event *ev, uint64_t key,
				   bool pin);
/* The node of seq while it is held, else NULL. */
struct mt_rec *qz_mt_timeline__get(struct mt_timeline *t, uint64_t seq);
void qz_mt_timeline__pin(struct mt_timeline *t, uint64_t seq);
void qz_mt_timeline__unpin(struct mt_timeline *t, uint64_t seq);
/* Drop what nothing needs any more. */
void qz_mt_timeline__trim(struct mt_timeline *t);

#endif
