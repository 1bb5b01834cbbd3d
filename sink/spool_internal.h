/* SPDX-License-Identifier: MIT */
/*
 * The spool's state and record format, shared by spool.c (open, append,
 * commit, sync) and spool_read.c (the read cursor, and recovery: the scan
 * at open, resync past damage, setting unreadable segments aside). Never
 * installed.
 */
#ifndef QUAZAR_SPOOL_INTERNAL_H
#define QUAZAR_SPOOL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <zlib.h>
#include "sink.h"
#include "internal.h"

#define REC_MAGIC 0x52535a51u	/* "QZSR" */
#define NO_KEY UINT32_MAX
#define SEG_SUFFIX ".seg"
#define CORRUPT_SUFFIX ".corrupt"
#define NOTE_MAX 4096		/* the longest note kept */

struct rec_hdr {
	uint32_t magic;
	uint32_t len;
	uint32_t key_len;	/* NO_KEY: none */
	uint32_t crc;
};

/*
 * A segment holds the numbers first .. first + count - 1. A damaged
 * stretch inside it takes one number (a hole, never read back); numbers
 * between segments belong to none. Both count as consumed.
 */
struct seg {
	uint64_t first;		/* number of its first record (its name) */
	uint64_t count;
	uint64_t bytes;
};

struct qz_spool {
	char *dir;
	struct qz_logger log;
	uint64_t max_bytes, seg_bytes;
	struct seg *segs;
	size_t nsegs, cap;
	int wfd;		/* the last segment, for appends; -1: none */
	uint64_t head, tail, total_bytes;
	uint64_t appended, dropped;
	/* Damaged records counted, and the number after the last one. */
	uint64_t corrupt, corrupt_mark;
	/* Read cursor: record rindex lives at roff in segment rfirst. */
	uint64_t rindex, rfirst, roff;
	int rfd;
	uint64_t rfd_first;
	char *buf;
	size_t buf_cap;
	time_t checkpoint_at;
	char *note;		/* the user's line in the checkpoint; NULL: none */
};

static inline uint32_t qz__spool_crc(const struct rec_hdr *h, const void *key,
				     const void *data)
{
	uLong crc = crc32(0, (const Bytef *)&h->len, 8);

	if (h->key_len != NO_KEY)
		crc = crc32(crc, (const Bytef *)key, h->key_len);
	return (uint32_t)crc32(crc, data, h->len);
}

static inline size_t qz__spool_rec_size(const struct rec_hdr *h)
{
	return sizeof(*h) + (h->key_len == NO_KEY ? 0 : (size_t)h->key_len) + h->len;
}

/* spool.c */
int qz__spool_seg_path(const struct qz_spool *sp, uint64_t first, char *path,
		       size_t size);
/* An fd on segment `first`, or -errno. */
int qz__spool_open_seg(const struct qz_spool *sp, uint64_t first, int flags);
/* Forgets segment i (closing what points at it); the file is left alone. */
void qz__spool_remove_seg(struct qz_spool *sp, size_t i);

/* spool_read.c */
/*
 * At open, with sp->head from the checkpoint: count each segment's
 * records, cut a torn tail off the last one, set aside the segments that
 * cannot be read, count the damaged records. Adds up total_bytes.
 */
int qz__spool_scan(struct qz_spool *sp);

#endif
