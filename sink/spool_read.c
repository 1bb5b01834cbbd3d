// SPDX-License-Identifier: MIT
/*
 * Reading the spool back, and recovering it at open. A damaged record does
 * not end its segment: the reader resyncs on the next offset holding a
 * record whose magic and CRC check, and the damage takes one number (a
 * hole). The scan at open and the read cursor walk segments the same way,
 * so they number records alike. A segment that cannot be read at all is
 * renamed NAME.corrupt, for a person to look at, and its numbers are
 * consumed.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "spool_internal.h"

#define RESYNC_CHUNK 16384

static int grow_buf(struct qz_spool *sp, size_t need)
{
	char *b;

	if (need <= sp->buf_cap)
		return 0;
	b = realloc(sp->buf, need);
	if (!b)
		return -ENOMEM;
	sp->buf = b;
	sp->buf_cap = need;
	return 0;
}

/* Reads the record at off into sp->buf. 1, 0 at a clean end, -EBADMSG bad. */
static int read_rec(struct qz_spool *sp, int fd, uint64_t off, uint64_t end,
		    struct rec_hdr *h)
{
	size_t body;
	ssize_t n;

	if (off == end)
		return 0;
	if (off > end || end - off < sizeof(*h))
		return -EBADMSG;
	n = pread(fd, h, sizeof(*h), (off_t)off);
	if (n != (ssize_t)sizeof(*h))
		return n < 0 ? -errno : -EBADMSG;
	if (h->magic != REC_MAGIC || qz__spool_rec_size(h) > end - off ||
	    qz__spool_rec_size(h) > sp->seg_bytes)
		return -EBADMSG;
	body = qz__spool_rec_size(h) - sizeof(*h);
	if (grow_buf(sp, body + 1))
		return -ENOMEM;
	n = pread(fd, sp->buf, body, (off_t)(off + sizeof(*h)));
	if (n != (ssize_t)body)
		return n < 0 ? -errno : -EBADMSG;
	if (qz__spool_crc(h, sp->buf, sp->buf + (h->key_len == NO_KEY ? 0 : h->key_len)) !=
	    h->crc)
		return -EBADMSG;
	return 1;
}

/* The first offset after off where a good record starts (end: none). */
static int resync(struct qz_spool *sp, int fd, uint64_t off, uint64_t end,
		  uint64_t *next)
{
	static const char magic[4] = { 'Q', 'Z', 'S', 'R' };
	char chunk[RESYNC_CHUNK];
	uint64_t at = off + 1;
	struct rec_hdr h;

	while (at < end && end - at >= sizeof(h)) {
		size_t want = end - at < sizeof(chunk) ? (size_t)(end - at) : sizeof(chunk);
		ssize_t n = pread(fd, chunk, want, (off_t)at);
		const char *p = chunk;

		if (n < 0)
			return -errno;
		if (n < (ssize_t)sizeof(magic))
			break;
		while ((p = memmem(p, (size_t)(chunk + n - p), magic, sizeof(magic)))) {
			int err = read_rec(sp, fd, at + (uint64_t)(p - chunk), end, &h);

			if (err > 0) {
				*next = at + (uint64_t)(p - chunk);
				return 0;
			}
			if (err != -EBADMSG)
				return err;
			p++;
		}
		/* A magic across the chunk's end is found in the next one. */
		at += (uint64_t)n - (sizeof(magic) - 1);
	}
	*next = end;
	return 0;
}

/*
 * The record at *off, number *index, or, when it is damaged, the next good
 * one: 1 with its header in h and its body in sp->buf, *off on it and
 * *index one further when damage was jumped (*jumped); 0 at the end;
 * -ENODATA when damage runs to the end (*off on it); -errno.
 */
static int walk(struct qz_spool *sp, int fd, uint64_t end, uint64_t *off,
		uint64_t *index, struct rec_hdr *h, bool *jumped)
{
	uint64_t next;
	int err;

	*jumped = false;
	err = read_rec(sp, fd, *off, end, h);
	if (err != -EBADMSG)
		return err;
	err = resync(sp, fd, *off, end, &next);
	if (err)
		return err;
	if (next >= end)
		return -ENODATA;
	*off = next;
	(*index)++;
	*jumped = true;
	return read_rec(sp, fd, *off, end, h);
}

/* A hole not counted yet (reads go over the same ones again): count it. */
static bool note_hole(struct qz_spool *sp, uint64_t number)
{
	if (number < sp->head || number < sp->corrupt_mark)
		return false;
	sp->corrupt++;
	sp->corrupt_mark = number + 1;
	return true;
}

/* Errors that say nothing about the file: give up rather than set it aside. */
static bool transient(int err)
{
	return err == -ENOMEM || err == -EMFILE || err == -ENFILE || err == -EINTR;
}

static void rename_aside(struct qz_spool *sp, uint64_t first, int why)
{
	char path[PATH_MAX], aside[PATH_MAX + sizeof(CORRUPT_SUFFIX)];

	if (qz__spool_seg_path(sp, first, path, sizeof(path)))
		return;
	snprintf(aside, sizeof(aside), "%s" CORRUPT_SUFFIX, path);
	if (rename(path, aside) && errno != ENOENT)
		qz_log(&sp->log, QZ_LOG_ERROR, "spool %s: cannot rename %s aside: %s",
		       sp->dir, path, strerror(errno));
	else
		qz_log(&sp->log, QZ_LOG_ERROR,
		       "spool %s: segment %016" PRIx64 " cannot be read (%s): kept as %s",
		       sp->dir, first, qz_strerror(why), aside);
}

/* Counts a segment's records; cuts a torn tail off. -EBADMSG: none readable. */
static int scan_seg(struct qz_spool *sp, struct seg *s, bool last)
{
	uint64_t off = 0, index = s->first, holes = 0;
	struct rec_hdr h;
	struct stat st;
	bool jumped;
	int fd, err;

	fd = qz__spool_open_seg(sp, s->first, O_RDWR);
	if (fd < 0)
		return fd;
	if (fstat(fd, &st)) {
		err = -errno;
		close(fd);
		return err;
	}
	while ((err = walk(sp, fd, (uint64_t)st.st_size, &off, &index, &h, &jumped)) > 0) {
		holes += jumped && note_hole(sp, index - 1);
		off += qz__spool_rec_size(&h);
		index++;
	}
	if (err == -ENODATA && !off && !last) {
		close(fd);
		return -EBADMSG;	/* nothing good in it */
	}
	if (err == -ENODATA) {
		/* The last segment: a crash mid-append. Others: damage, counted
		 * with the numbers up to the next segment. */
		qz_log(&sp->log, QZ_LOG_WARN,
		       "spool %s: segment %016" PRIx64 " %s at byte %" PRIu64
		       " of %lld: cut off", sp->dir, s->first, last ? "torn" : "damaged",
		       off, (long long)st.st_size);
		err = ftruncate(fd, (off_t)off) ? -errno : 0;
	}
	if (holes)
		qz_log(&sp->log, QZ_LOG_WARN,
		       "spool %s: segment %016" PRIx64 ": %" PRIu64
		       " damaged records skipped, the rest kept", sp->dir, s->first, holes);
	s->count = index - s->first;
	s->bytes = off;
	close(fd);
	return err;
}

/* Unconsumed numbers in [from, to). */
static uint64_t live(const struct qz_spool *sp, uint64_t from, uint64_t to)
{
	if (from < sp->head)
		from = sp->head;
	return to > from ? to - from : 0;
}

int qz__spool_scan(struct qz_spool *sp)
{
	bool *bad = calloc(sp->nsegs + 1, sizeof(*bad));
	size_t i, n;
	int err;

	if (!bad)
		return -ENOMEM;
	for (i = 0; i < sp->nsegs; i++) {
		err = scan_seg(sp, &sp->segs[i], i + 1 == sp->nsegs);
		if (err && transient(err)) {
			free(bad);
			return err;
		}
		if (err) {
			bad[i] = true;
			sp->segs[i].count = sp->segs[i].bytes = 0;
			rename_aside(sp, sp->segs[i].first, err);
		}
	}
	/* What a segment should hold runs to the next one's name. */
	for (i = 0; i + 1 < sp->nsegs; i++) {
		struct seg *s = &sp->segs[i];
		uint64_t end = s->first + s->count, next = sp->segs[i + 1].first;

		if (end > next) {
			qz_log(&sp->log, QZ_LOG_WARN,
			       "spool %s: segment %016" PRIx64 " runs into the next one: cut",
			       sp->dir, s->first);
			s->count = next - s->first;
		} else {
			sp->corrupt += live(sp, end, next);
		}
	}
	if (sp->nsegs && bad[sp->nsegs - 1])
		sp->corrupt++;	/* how many it held is unknown: one at least */
	for (i = n = 0; i < sp->nsegs; i++) {
		if (!bad[i])
			sp->segs[n++] = sp->segs[i];
		sp->total_bytes += bad[i] ? 0 : sp->segs[i].bytes;
	}
	sp->nsegs = n;
	free(bad);
	return 0;
}

/* The segment holding number index, or the first after it; NULL: none. */
static struct seg *find_seg(struct qz_spool *sp, uint64_t index)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (index < sp->segs[i].first + sp->segs[i].count)
			return &sp->segs[i];
	return NULL;
}

static struct seg *seg_named(struct qz_spool *sp, uint64_t first)
{
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].first == first)
			return &sp->segs[i];
	return NULL;
}

static int read_fd(struct qz_spool *sp, uint64_t first)
{
	if (sp->rfd >= 0 && sp->rfd_first == first)
		return sp->rfd;
	if (sp->rfd >= 0)
		close(sp->rfd);
	sp->rfd = qz__spool_open_seg(sp, first, O_RDONLY);
	sp->rfd_first = first;
	return sp->rfd;
}

/* A segment that became unreadable while running: its unconsumed records
 * are lost, counted, and its file set aside. */
static void set_aside(struct qz_spool *sp, struct seg *s, int why)
{
	uint64_t lost = live(sp, s->first, s->first + s->count);

	sp->corrupt += lost;
	rename_aside(sp, s->first, why);
	qz_log(&sp->log, QZ_LOG_ERROR, "spool %s: %" PRIu64 " reports lost (%" PRIu64
	       " damaged in all)", sp->dir, lost, sp->corrupt);
	qz__spool_remove_seg(sp, (size_t)(s - sp->segs));
}

static void hole_read(struct qz_spool *sp, const struct seg *s, uint64_t number)
{
	if (note_hole(sp, number))
		qz_log(&sp->log, QZ_LOG_WARN,
		       "spool %s: segment %016" PRIx64 ": record %" PRIu64
		       " damaged: skipped (%" PRIu64 " in all)", sp->dir, s->first,
		       number, sp->corrupt);
}

/*
 * Puts the cursor on record `index` (or the first good one after it); at
 * a segment's end, the cursor is left unplaced after it. 0, or -errno for
 * segment *bad.
 */
static int seek(struct qz_spool *sp, uint64_t index, struct seg **bad)
{
	struct rec_hdr h;
	struct seg *s;
	bool jumped;
	int fd, err;

	if (index < sp->head)
		index = sp->head;
	sp->rfirst = UINT64_MAX;
	s = find_seg(sp, index);
	if (!s) {
		sp->rindex = index > sp->tail ? index : sp->tail;
		return 0;
	}
	if (index < s->first)
		index = s->first;
	*bad = s;
	fd = read_fd(sp, s->first);
	if (fd < 0)
		return fd;
	sp->roff = 0;
	sp->rindex = s->first;
	while (sp->rindex < index) {
		err = walk(sp, fd, s->bytes, &sp->roff, &sp->rindex, &h, &jumped);
		if (err > 0 && jumped)
			hole_read(sp, s, sp->rindex - 1);
		if (err == 0 || err == -ENODATA || sp->rindex >= s->first + s->count) {
			sp->rindex = s->first + s->count;
			return 0;
		}
		if (err < 0)
			return err;
		if (sp->rindex >= index)
			break;
		sp->roff += qz__spool_rec_size(&h);
		sp->rindex++;
	}
	sp->rfirst = s->first;
	return 0;
}

int qz_spool__read(struct qz_spool *sp, struct qz_spool_rec *rec)
{
	struct rec_hdr h;
	struct seg *s;
	bool jumped;
	int fd, err;

	for (;;) {
		if (sp->rindex < sp->head || !(s = seg_named(sp, sp->rfirst))) {
			s = NULL;
			err = seek(sp, sp->rindex, &s);
			if (err && transient(err))
				return err;
			if (err) {
				set_aside(sp, s, err);
				continue;
			}
			if (sp->rfirst == UINT64_MAX) {
				if (sp->rindex >= sp->tail || !find_seg(sp, sp->rindex))
					return 0;
				continue;	/* past a segment's end: the next one */
			}
			s = seg_named(sp, sp->rfirst);
		}
		fd = read_fd(sp, s->first);
		err = fd < 0 ? fd : walk(sp, fd, s->bytes, &sp->roff, &sp->rindex, &h, &jumped);
		if (err > 0 && jumped)
			hole_read(sp, s, sp->rindex - 1);
		if (err > 0 && sp->rindex < s->first + s->count)
			break;
		if (err < 0 && err != -ENODATA) {
			if (transient(err))
				return err;
			set_aside(sp, s, err);
			continue;
		}
		/* The segment's end: on to the next one. */
		sp->rindex = s->first + s->count;
		sp->rfirst = UINT64_MAX;
	}
	rec->index = sp->rindex;
	rec->key = h.key_len == NO_KEY ? NULL : sp->buf;
	rec->key_len = h.key_len == NO_KEY ? 0 : h.key_len;
	rec->data = sp->buf + rec->key_len;
	rec->len = h.len;
	sp->roff += qz__spool_rec_size(&h);
	sp->rindex++;
	if (sp->rindex >= s->first + s->count)
		sp->rfirst = UINT64_MAX;	/* the next read seeks the next segment */
	return 1;
}

int qz_spool__rewind(struct qz_spool *sp, uint64_t index)
{
	sp->rfirst = UINT64_MAX;
	sp->rindex = index < sp->head ? sp->head : index;
	return 0;
}
