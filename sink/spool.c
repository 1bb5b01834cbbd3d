// SPDX-License-Identifier: MIT
/*
 * The spool: append-only segment files named by the number of their first
 * record, each record a 16-byte header (magic, data length, key length,
 * CRC-32) then key then data. A text checkpoint names the head. Reading
 * back and recovery at open are in spool_read.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>
#include "spool_internal.h"

#define CHECKPOINT "checkpoint"
#define CHECKPOINT_TAG "QZSPOOL1"

int qz__spool_seg_path(const struct qz_spool *sp, uint64_t first, char *path,
		       size_t size)
{
	int n = snprintf(path, size, "%s/%016" PRIx64 SEG_SUFFIX, sp->dir, first);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

int qz__spool_open_seg(const struct qz_spool *sp, uint64_t first, int flags)
{
	char path[PATH_MAX];
	int fd;

	if (qz__spool_seg_path(sp, first, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = open(path, flags | O_CLOEXEC, 0600);
	return fd < 0 ? -errno : fd;
}

static int cmp_seg(const void *a, const void *b)
{
	const struct seg *x = a, *y = b;

	return (x->first > y->first) - (x->first < y->first);
}

static int add_seg(struct qz_spool *sp, uint64_t first)
{
	if (sp->nsegs == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		struct seg *s = realloc(sp->segs, cap * sizeof(*s));

		if (!s)
			return -ENOMEM;
		sp->segs = s;
		sp->cap = cap;
	}
	sp->segs[sp->nsegs++] = (struct seg){ .first = first };
	return 0;
}

static int list_segs(struct qz_spool *sp)
{
	DIR *d = opendir(sp->dir);
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);
		char *end;
		uint64_t first;

		if (n != 16 + strlen(SEG_SUFFIX) || strcmp(de->d_name + 16, SEG_SUFFIX))
			continue;
		first = strtoull(de->d_name, &end, 16);
		if (end != de->d_name + 16)
			continue;
		err = add_seg(sp, first);
		if (err)
			break;
	}
	closedir(d);
	if (sp->nsegs)
		qsort(sp->segs, sp->nsegs, sizeof(*sp->segs), cmp_seg);
	return err;
}

/* The head, and the user's note on the line after it. */
static uint64_t read_checkpoint(struct qz_spool *sp)
{
	char path[PATH_MAX], tag[16], line[NOTE_MAX + 2];
	uint64_t head = 0;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/" CHECKPOINT, sp->dir);
	f = fopen(path, "re");
	if (!f)
		return 0;
	if (fscanf(f, "%15s %" SCNu64, tag, &head) != 2 || strcmp(tag, CHECKPOINT_TAG)) {
		qz_log(&sp->log, QZ_LOG_WARN, "spool %s: bad checkpoint ignored",
		       sp->dir);
		head = 0;
	} else if (fgetc(f) == '\n' && fgets(line, sizeof(line), f)) {
		n = strcspn(line, "\n");
		/* A line cut at NOTE_MAX is not the note that was set. */
		if (line[n] == '\n' || feof(f)) {
			line[n] = 0;
			sp->note = strdup(line);
		}
	}
	fclose(f);
	return head;
}

/* Makes the folder's entries (new segments, the checkpoint) durable. */
static void sync_dir(struct qz_spool *sp)
{
	int fd = open(sp->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

static int write_checkpoint(struct qz_spool *sp, bool durable)
{
	char path[PATH_MAX], tmp[PATH_MAX], text[NOTE_MAX + 64];
	int fd, n, err = 0;

	snprintf(path, sizeof(path), "%s/" CHECKPOINT, sp->dir);
	snprintf(tmp, sizeof(tmp), "%s/" CHECKPOINT ".tmp", sp->dir);
	n = snprintf(text, sizeof(text), CHECKPOINT_TAG " %" PRIu64 "\n%s%s", sp->head,
		     sp->note ? sp->note : "", sp->note ? "\n" : "");
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, text, (size_t)n) != n || (durable && fsync(fd)))
		err = -errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (!err && durable)
		sync_dir(sp);
	sp->checkpoint_at = time(NULL);
	return err;
}

void qz__spool_remove_seg(struct qz_spool *sp, size_t i)
{
	struct seg *s = &sp->segs[i];

	if (i + 1 == sp->nsegs && sp->wfd >= 0) {
		close(sp->wfd);
		sp->wfd = -1;
	}
	if (sp->rfd >= 0 && sp->rfd_first == s->first) {
		close(sp->rfd);
		sp->rfd = -1;
	}
	if (sp->rfirst == s->first)
		sp->rfirst = UINT64_MAX;
	sp->total_bytes -= s->bytes;
	memmove(s, s + 1, (--sp->nsegs - i) * sizeof(*s));
}

static void drop_seg0(struct qz_spool *sp)
{
	char path[PATH_MAX];

	if (!qz__spool_seg_path(sp, sp->segs[0].first, path, sizeof(path)))
		unlink(path);
	qz__spool_remove_seg(sp, 0);
}

/* Deletes the segments wholly below the head. */
static void trim(struct qz_spool *sp)
{
	while (sp->nsegs && sp->segs[0].first + sp->segs[0].count <= sp->head &&
	       (sp->nsegs > 1 || sp->head >= sp->tail))
		drop_seg0(sp);
}

static int mkdirs(const char *dir)
{
	char path[PATH_MAX];
	size_t n = strlen(dir);

	if (n >= sizeof(path))
		return -ENAMETOOLONG;
	memcpy(path, dir, n + 1);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(path, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

struct qz_spool *qz_spool__open(const char *dir,
				       const struct qz_spool_opts *opts)
{
	struct qz_spool *sp;
	int err;

	if (!dir || !*dir) {
		errno = EINVAL;
		return NULL;
	}
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return NULL;
	sp->wfd = sp->rfd = -1;
	sp->log.fn = QZ_OPT(opts, log_fn, NULL);
	sp->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	sp->max_bytes = QZ_OPT(opts, max_bytes, 0) ?: 256ull << 20;
	sp->seg_bytes = QZ_OPT(opts, segment_bytes, 0) ?: sp->max_bytes / 16;
	if (sp->seg_bytes < 64 << 10)
		sp->seg_bytes = 64 << 10;
	/* Dropping whole old segments must always make room. */
	if (sp->max_bytes < 2 * sp->seg_bytes)
		sp->max_bytes = 2 * sp->seg_bytes;
	err = -ENOMEM;
	sp->dir = strdup(dir);
	if (!sp->dir)
		goto err;
	err = mkdirs(dir);
	if (err)
		goto err;
	err = list_segs(sp);
	if (err)
		goto err;
	/* The scan counts damage only in what is not consumed yet. */
	sp->head = read_checkpoint(sp);
	sp->rfirst = UINT64_MAX;
	err = qz__spool_scan(sp);
	if (err)
		goto err;
	if (sp->nsegs) {
		struct seg *last = &sp->segs[sp->nsegs - 1];

		sp->tail = last->first + last->count;
		if (sp->head < sp->segs[0].first)
			sp->head = sp->segs[0].first;
		if (sp->head > sp->tail)
			sp->head = sp->tail;
	} else {
		/* Keep numbering past what a previous run consumed. */
		sp->tail = sp->head;
	}
	trim(sp);
	sp->rindex = sp->head;
	if (sp->head < sp->tail)
		qz_log(&sp->log, QZ_LOG_INFO,
		       "spool %s: %" PRIu64 " reports left by a previous run",
		       sp->dir, sp->tail - sp->head);
	return sp;
err:
	qz_log(&sp->log, QZ_LOG_ERROR, "spool %s: cannot open: %s", dir,
	       qz_strerror(err));
	qz_spool__free(sp);
	errno = -err;
	return NULL;
}

void qz_spool__free(struct qz_spool *sp)
{
	if (!sp)
		return;
	if (sp->dir && sp->segs)
		qz_spool__sync(sp);
	if (sp->wfd >= 0)
		close(sp->wfd);
	if (sp->rfd >= 0)
		close(sp->rfd);
	free(sp->segs);
	free(sp->buf);
	free(sp->dir);
	free(sp->note);
	free(sp);
}

static int new_seg(struct qz_spool *sp)
{
	struct seg *last = sp->nsegs ? &sp->segs[sp->nsegs - 1] : NULL;
	bool rotated = false;
	int fd, err;

	/*
	 * A full segment is made durable as it is left, so a power loss can
	 * cut only the newest one. Its failure is logged, not returned: the
	 * records are in the page cache, and the new report still needs a
	 * home.
	 */
	if (sp->wfd >= 0) {
		if (fsync(sp->wfd))
			qz_log(&sp->log, QZ_LOG_ERROR, "spool %s: fsync of segment %016" PRIx64
			       " failed: %s; a power loss may lose it", sp->dir,
			       last ? last->first : 0, strerror(errno));
		close(sp->wfd);
		sp->wfd = -1;
		rotated = true;
	}
	fd = qz__spool_open_seg(sp, sp->tail, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND);
	if (fd < 0)
		return fd;
	if (rotated)
		sync_dir(sp);	/* the old segment's entry, and the new one's */
	/*
	 * An empty last segment (left by a crash in its first write, or a
	 * failed one) already has this name: reuse its entry. A second one
	 * would be trimmed as stale, unlinking the file we append to.
	 */
	if (last && last->first == sp->tail) {
		sp->total_bytes -= last->bytes;
		last->bytes = 0;
		sp->wfd = fd;
		return 0;
	}
	err = add_seg(sp, sp->tail);
	if (err) {
		close(fd);
		return err;
	}
	sp->wfd = fd;
	return 0;
}

/* Unconsumed records in the oldest segment. */
static uint64_t live_in_seg0(const struct qz_spool *sp)
{
	const struct seg *s = &sp->segs[0];
	uint64_t end = s->first + s->count;

	return end > sp->head ? end - (sp->head > s->first ? sp->head : s->first) : 0;
}

int qz_spool__append(struct qz_spool *sp, const void *key, size_t key_len,
			    const void *data, size_t len)
{
	struct rec_hdr h = { .magic = REC_MAGIC, .len = (uint32_t)len,
			     .key_len = key ? (uint32_t)key_len : NO_KEY };
	struct iovec iov[3] = {
		{ &h, sizeof(h) },
		{ (void *)key, key ? h.key_len : 0 },
		{ (void *)data, len },
	};
	uint64_t need = sizeof(h) + iov[1].iov_len + len;
	struct seg *last;
	ssize_t n;
	int err;

	if (len >= UINT32_MAX || key_len >= UINT32_MAX || need > sp->seg_bytes)
		return -EMSGSIZE;
	h.crc = qz__spool_crc(&h, key, data);
	if (!sp->nsegs || sp->wfd < 0 ||
	    sp->segs[sp->nsegs - 1].bytes + need > sp->seg_bytes) {
		err = new_seg(sp);
		if (err)
			return err;
	}
	while (sp->total_bytes + need > sp->max_bytes && sp->nsegs > 1) {
		uint64_t lost = live_in_seg0(sp);

		sp->dropped += lost;
		if (sp->head < sp->segs[0].first + sp->segs[0].count)
			sp->head = sp->segs[0].first + sp->segs[0].count;
		qz_log(&sp->log, QZ_LOG_WARN,
		       "spool %s: full (%" PRIu64 " bytes): dropped the %" PRIu64
		       " oldest reports (%" PRIu64 " in all)", sp->dir,
		       sp->max_bytes, lost, sp->dropped);
		drop_seg0(sp);
	}
	last = &sp->segs[sp->nsegs - 1];
	n = writev(sp->wfd, iov, 3);
	if (n != (ssize_t)need) {
		err = n < 0 ? -errno : -EIO;
		/* Never leave a partial record for the reader to trip on. */
		if (ftruncate(sp->wfd, (off_t)last->bytes))
			err = -errno;
		return err;
	}
	last->bytes += need;
	last->count++;
	sp->total_bytes += need;
	sp->tail++;
	sp->appended++;
	return 0;
}

int qz_spool__commit(struct qz_spool *sp, uint64_t index)
{
	if (index > sp->tail)
		index = sp->tail;
	if (index <= sp->head)
		return 0;
	sp->head = index;
	trim(sp);
	if (sp->rindex < sp->head)
		qz_spool__rewind(sp, sp->head);
	/* Progress survives a crash to within a second (a replay at most). */
	if (time(NULL) != sp->checkpoint_at)
		return write_checkpoint(sp, false);
	return 0;
}

int qz_spool__sync(struct qz_spool *sp)
{
	if (sp->wfd >= 0 && fsync(sp->wfd))
		return -errno;
	return write_checkpoint(sp, true);
}

int qz_spool__checkpoint(struct qz_spool *sp)
{
	return write_checkpoint(sp, false);
}

int qz_spool__set_note(struct qz_spool *sp, const char *note)
{
	char *copy;

	if (strlen(note) > NOTE_MAX || strchr(note, '\n'))
		return -EINVAL;
	copy = strdup(note);
	if (!copy)
		return -ENOMEM;
	free(sp->note);
	sp->note = copy;
	return 0;
}

const char *qz_spool__note(const struct qz_spool *sp)
{
	return sp->note ? sp->note : "";
}

int qz_spool__dup_fd(const struct qz_spool *sp)
{
	int fd;

	if (sp->wfd < 0)
		return -ENOENT;
	fd = fcntl(sp->wfd, F_DUPFD_CLOEXEC, 0);
	return fd < 0 ? -errno : fd;
}

void qz_spool__stats(const struct qz_spool *sp, struct qz_spool_stats *st)
{
	struct qz_spool_stats s = { .sz = st->sz };
	size_t sz = st->sz ? st->sz : sizeof(s);

	for (size_t i = 0; i < sp->nsegs; i++) {
		uint64_t end = sp->segs[i].first + sp->segs[i].count;
		uint64_t from = sp->head > sp->segs[i].first ? sp->head : sp->segs[i].first;

		s.records += end > from ? end - from : 0;
	}
	s.bytes = sp->total_bytes;
	s.appended = sp->appended;
	s.dropped = sp->dropped;
	s.segments = sp->nsegs;
	s.head = sp->head;
	s.tail = sp->tail;
	s.corrupt = sp->corrupt;
	s.max_bytes = sp->max_bytes;
	memcpy(st, &s, sz < sizeof(s) ? sz : sizeof(s));
}
