// SPDX-License-Identifier: MIT
/* The spool: order, bounds (oldest dropped and counted), restart, torn tail. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "sink.h"
#include "../test.h"

static char dir[64];

/* fsync, counted: the test links with --wrap=fsync. */
int __real_fsync(int fd);
int __wrap_fsync(int fd);
static int fsyncs, fsyncs_dir;

int __wrap_fsync(int fd)
{
	struct stat st;

	if (!fstat(fd, &st) && S_ISDIR(st.st_mode))
		fsyncs_dir++;
	else
		fsyncs++;
	return __real_fsync(fd);
}
static int warnings;

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= QZ_LOG_WARN)
		warnings++;
	if (getenv("QZ_TEST_VERBOSE"))
		fprintf(stderr, "log %d: %s\n", level, msg);
}

static void fresh_dir(const char *name)
{
	char cmd[160];

	snprintf(dir, sizeof(dir), "/tmp/qz-spool-%d-%s", getpid(), name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

static void rm_dir(void)
{
	char cmd[160];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

static int put(struct qz_spool *sp, unsigned int i, size_t pad)
{
	char line[4096], key[16];
	int n = snprintf(line, sizeof(line), "{\"seq\":%u,\"pad\":\"%*s\"}", i,
			 (int)pad, "");

	snprintf(key, sizeof(key), "k%u", i % 3);
	return qz_spool__append(sp, key, strlen(key), line, (size_t)n);
}

static unsigned int seq_of(const struct qz_spool_rec *r)
{
	unsigned int seq = 0;

	CHECK(r->len > 8 && !strncmp(r->data, "{\"seq\":", 7));
	sscanf(r->data, "{\"seq\":%u", &seq);
	return seq;
}

static void test_order(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool_rec r;
	struct qz_spool *sp;
	unsigned int i;
	char key[16];

	fresh_dir("order");
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	for (i = 1; i <= 1000; i++)
		CHECK_EQ(put(sp, i, 50), 0);
	CHECK_EQ(qz_spool__append(sp, NULL, 0, "nokey", 5), 0);
	for (i = 1; i <= 1000; i++) {
		CHECK_EQ(qz_spool__read(sp, &r), 1);
		CHECK_EQ(r.index, i - 1);
		CHECK_EQ(seq_of(&r), i);
		snprintf(key, sizeof(key), "k%u", i % 3);
		CHECK(r.key && r.key_len == strlen(key) && !memcmp(r.key, key, r.key_len));
	}
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK(!r.key && r.len == 5 && !memcmp(r.data, "nokey", 5));
	CHECK_EQ(qz_spool__read(sp, &r), 0);

	/* Commit 400: the head moves; a rewind starts there. */
	CHECK_EQ(qz_spool__commit(sp, 400), 0);
	qz_spool__rewind(sp, 0);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(seq_of(&r), 401);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.records, 601);
	CHECK_EQ(st.head, 400);
	CHECK_EQ(st.tail, 1001);
	/* Consume all: the segments go; numbering goes on. */
	CHECK_EQ(qz_spool__commit(sp, 1001), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.records, 0);
	CHECK_EQ(st.segments, 0);
	CHECK_EQ(st.bytes, 0);
	CHECK_EQ(put(sp, 7, 10), 0);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(r.index, 1001);
	CHECK_EQ(seq_of(&r), 7);
	qz_spool__free(sp);
	rm_dir();
}

static void test_bounded(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 256 << 10,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool_rec r;
	struct qz_spool *sp;
	unsigned int i, next;

	fresh_dir("bounded");
	warnings = 0;
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	for (i = 1; i <= 5000; i++)
		CHECK_EQ(put(sp, i, 100), 0);
	qz_spool__stats(sp, &st);
	CHECK(st.bytes <= 256 << 10);
	CHECK(st.dropped > 0);
	CHECK_EQ(st.records + st.dropped, 5000);
	CHECK(warnings > 0);		/* the drops were logged */
	/* What is left is the newest, in order, none missing. */
	next = (unsigned int)st.dropped + 1;
	while (qz_spool__read(sp, &r) == 1) {
		CHECK_EQ(seq_of(&r), next);
		next++;
	}
	CHECK_EQ(next, 5001);
	/* A record larger than a segment is refused, not half-kept. */
	{
		static char big[70 << 10];

		CHECK_EQ(qz_spool__append(sp, NULL, 0, big, sizeof(big)), -EMSGSIZE);
	}
	qz_spool__free(sp);
	rm_dir();
}

static void test_restart(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool_rec r;
	struct qz_spool *sp;
	unsigned int i, next;
	char seg[128];
	int fd;

	fresh_dir("restart");
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	for (i = 1; i <= 3000; i++)
		CHECK_EQ(put(sp, i, 40), 0);
	CHECK_EQ(qz_spool__commit(sp, 1234), 0);
	CHECK_EQ(qz_spool__sync(sp), 0);
	qz_spool__stats(sp, &st);
	CHECK(st.segments > 1);
	qz_spool__free(sp);

	/* A crash mid-append: garbage after the last record is cut off. */
	snprintf(seg, sizeof(seg), "ls %s/*.seg | tail -1", dir);
	{
		FILE *p = popen(seg, "r");

		CHECK(p && fgets(seg, sizeof(seg), p));
		if (p)
			pclose(p);
		seg[strcspn(seg, "\n")] = 0;
	}
	fd = open(seg, O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "QZSR\x10\0\0\0garbage", 15), 15);
	close(fd);

	warnings = 0;
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	CHECK(warnings > 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.records, 3000 - 1234);
	CHECK_EQ(st.head, 1234);
	for (next = 1235; qz_spool__read(sp, &r) == 1; next++)
		CHECK_EQ(seq_of(&r), next);
	CHECK_EQ(next, 3001);
	/* Appends after recovery continue the numbering. */
	CHECK_EQ(put(sp, 3001, 10), 0);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(r.index, 3000);
	CHECK_EQ(seq_of(&r), 3001);
	qz_spool__free(sp);
	rm_dir();
}

/* The newest segment file, or "" when there is none. */
static void last_seg(char *path, size_t size)
{
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/*.seg 2>/dev/null | tail -1", dir);
	p = popen(cmd, "r");
	path[0] = 0;
	if (p && !fgets(path, (int)size, p))
		path[0] = 0;
	if (p)
		pclose(p);
	path[strcspn(path, "\n")] = 0;
}

/*
 * An empty last segment (a crash during the first write into a new segment,
 * or a failed write) must not be listed twice: trimming the stale entry
 * would unlink the file the live segment appends to.
 */
static void test_empty_last_segment(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool_rec r;
	struct qz_spool *sp;
	unsigned int i, n;
	char seg[256];
	int fd;

	fresh_dir("empty-last");
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	/* ~1 KiB records: 3 segments. */
	for (i = 1; i <= 150; i++)
		CHECK_EQ(put(sp, i, 1000), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.segments, 3);
	qz_spool__free(sp);

	/* The last segment left empty, as a crash in its first write would. */
	last_seg(seg, sizeof(seg));
	fd = open(seg, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	qz_spool__stats(sp, &st);
	n = (unsigned int)st.tail;
	CHECK_EQ(st.segments, 3);
	for (i = 0; i < 5; i++)
		CHECK_EQ(put(sp, 1000 + i, 10), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.segments, 3);	/* the empty one is reused, listed once */
	CHECK_EQ(qz_spool__commit(sp, 10), 0);
	/* Everything from 10 on reads back, the 5 new ones last. */
	for (i = 10; qz_spool__read(sp, &r) == 1; i++)
		if (r.index >= n)
			CHECK_EQ(seq_of(&r), 1000 + (r.index - n));
	CHECK_EQ(i, n + 5);
	/* Once the older segments are consumed, the live one stays. */
	CHECK_EQ(qz_spool__commit(sp, n), 0);
	qz_spool__rewind(sp, 0);
	for (i = 0; qz_spool__read(sp, &r) == 1; i++)
		CHECK_EQ(seq_of(&r), 1000 + i);
	CHECK_EQ(i, 5);
	qz_spool__free(sp);

	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.records, 5);
	for (i = 0; qz_spool__read(sp, &r) == 1; i++) {
		CHECK_EQ(r.index, n + i);
		CHECK_EQ(seq_of(&r), 1000 + i);
	}
	CHECK_EQ(i, 5);
	qz_spool__free(sp);
	rm_dir();
}

/* The path of segment number `nth` (0: the oldest). */
static void nth_seg(int nth, char *path, size_t size)
{
	char cmd[160];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls %s/*.seg | sed -n %dp", dir, nth + 1);
	p = popen(cmd, "r");
	path[0] = 0;
	if (p && !fgets(path, (int)size, p))
		path[0] = 0;
	if (p)
		pclose(p);
	path[strcspn(path, "\n")] = 0;
}

/* Byte offset of the k-th record of a segment file, walking its headers. */
static long rec_off(const char *path, int k)
{
	uint32_t h[4];
	long off = 0;
	int fd = open(path, O_RDONLY);

	CHECK(fd >= 0);
	for (int i = 0; fd >= 0 && i < k; i++) {
		CHECK_EQ(pread(fd, h, sizeof(h), off), (ssize_t)sizeof(h));
		off += 16 + (long)h[1] + (h[2] == UINT32_MAX ? 0 : (long)h[2]);
	}
	if (fd >= 0)
		close(fd);
	return off;
}

static void poke(const char *path, long off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK_EQ(pwrite(fd, bytes, n, off), (ssize_t)n);
	close(fd);
}

/* 150 records of ~1 KiB (~62 a segment: 3 segments), seq 1..150. */
static struct qz_spool *three_segments(const char *name)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool *sp;

	fresh_dir(name);
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return NULL;
	for (unsigned int i = 1; i <= 150; i++)
		CHECK_EQ(put(sp, i, 1000), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.segments, 3);
	qz_spool__free(sp);
	return qz_spool__open(dir, &o);
}

/*
 * Reads everything from the head: seqs must increase, and be 1..150 but
 * for `missing` (sorted, 0-terminated). Then commits all: nothing may be
 * left (numbers no segment holds count as consumed).
 */
static void read_all_but(struct qz_spool *sp, const unsigned int *missing)
{
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool_rec r;
	uint64_t last = 0, index = 0;
	unsigned int want = 1, got = 0;

	while (qz_spool__read(sp, &r) == 1) {
		while (*missing && want == *missing) {
			want++;
			missing++;
		}
		CHECK(got == 0 || r.index > last);
		CHECK_EQ(seq_of(&r), want);
		last = r.index;
		want++;
		got++;
		index = r.index + 1;
	}
	while (*missing && want == *missing) {
		want++;
		missing++;
	}
	CHECK_EQ(want, 151);
	CHECK_EQ(qz_spool__commit(sp, index), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.records, 0);
	CHECK_EQ(st.segments, 0);
}

/* A flipped byte in one record's payload: that record alone is skipped. */
static void test_corrupt_payload(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	unsigned int missing[] = { 0, 0 };
	struct qz_spool_rec r;
	struct qz_spool *sp = three_segments("corrupt-payload");
	char seg[256];
	uint64_t first2;

	if (!sp)
		return;
	qz_spool__free(sp);
	/* The 3rd record of the middle segment: its payload. */
	nth_seg(1, seg, sizeof(seg));
	first2 = strtoull(strrchr(seg, '/') + 1, NULL, 16);
	poke(seg, rec_off(seg, 3) + 100, "#", 1);
	missing[0] = (unsigned int)first2 + 4;	/* number first2 + 3 */
	warnings = 0;
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	CHECK(warnings > 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.corrupt, 1);
	CHECK_EQ(st.tail, 150);		/* the numbers are kept */
	/* A rewind into the middle numbers the records as the scan did. */
	qz_spool__rewind(sp, first2 + 2);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(r.index, first2 + 2);
	CHECK_EQ(seq_of(&r), first2 + 3);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(r.index, first2 + 4);
	CHECK_EQ(seq_of(&r), first2 + 5);
	qz_spool__rewind(sp, first2 + 3);
	CHECK_EQ(qz_spool__read(sp, &r), 1);
	CHECK_EQ(r.index, first2 + 4);
	qz_spool__rewind(sp, 0);
	read_all_but(sp, missing);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.corrupt, 1);	/* counted once, not at each read */
	qz_spool__free(sp);
	rm_dir();
}

/* A damaged header (magic and length): resync on the next good record. */
static void test_corrupt_header(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	unsigned int missing[] = { 0, 0, 0 };
	struct qz_spool *sp = three_segments("corrupt-header");
	char seg[256];
	uint64_t first2;

	if (!sp)
		return;
	qz_spool__free(sp);
	nth_seg(1, seg, sizeof(seg));
	first2 = strtoull(strrchr(seg, '/') + 1, NULL, 16);
	/* Record 10 of the segment: magic and length, garbage. */
	poke(seg, rec_off(seg, 10), "\xff\xff\xff\xff\xff\xff\xff\x7f", 8);
	missing[0] = (unsigned int)first2 + 11;
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.corrupt, 1);
	read_all_but(sp, missing);
	qz_spool__free(sp);

	/* Damage to the end of a middle segment: the numbers up to the next
	 * segment are consumed, and counted. */
	sp = three_segments("corrupt-tail");
	if (!sp)
		return;
	qz_spool__free(sp);
	nth_seg(1, seg, sizeof(seg));
	first2 = strtoull(strrchr(seg, '/') + 1, NULL, 16);
	{
		char seg3[256];
		uint64_t first3;

		nth_seg(2, seg3, sizeof(seg3));
		first3 = strtoull(strrchr(seg3, '/') + 1, NULL, 16);
		/* The last record of the middle segment. */
		poke(seg, rec_off(seg, (int)(first3 - first2 - 1)), "XXXX", 4);
		missing[0] = (unsigned int)first3;
	}
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.corrupt, 1);
	read_all_but(sp, missing);
	qz_spool__free(sp);
	rm_dir();
}

/* A segment that cannot be read is set aside as NAME.corrupt, not deleted. */
static void test_unreadable_segment(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	unsigned int missing[80] = { 0 };
	struct qz_spool *sp = three_segments("unreadable");
	char seg[256], seg3[256], aside[300];
	uint64_t first2, first3;
	struct stat sb;
	int fd;

	if (!sp)
		return;
	qz_spool__free(sp);
	nth_seg(1, seg, sizeof(seg));
	nth_seg(2, seg3, sizeof(seg3));
	first2 = strtoull(strrchr(seg, '/') + 1, NULL, 16);
	first3 = strtoull(strrchr(seg3, '/') + 1, NULL, 16);
	/* Garbage from its first byte on. */
	fd = open(seg, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	for (int i = 0; fd >= 0 && i < 100; i++)
		CHECK_EQ(write(fd, "garbage garbage ", 16), 16);
	if (fd >= 0)
		close(fd);
	for (uint64_t n = first2; n < first3 && n - first2 < 79; n++)
		missing[n - first2] = (unsigned int)n + 1;
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.corrupt, first3 - first2);
	CHECK_EQ(st.segments, 2);
	snprintf(aside, sizeof(aside), "%s.corrupt", seg);
	CHECK(stat(seg, &sb) && errno == ENOENT);
	CHECK(!stat(aside, &sb) && sb.st_size == 1600);
	read_all_but(sp, missing);
	qz_spool__free(sp);
	CHECK(!stat(aside, &sb));	/* still there for a person to look at */
	rm_dir();
}

/* A segment is fsynced (and the folder) when it is rotated, not only at close. */
static void test_rotation_fsync(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log, .max_bytes = 1 << 20,
		.segment_bytes = 64 << 10);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct qz_spool *sp;

	fresh_dir("fsync");
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	fsyncs = fsyncs_dir = 0;
	for (unsigned int i = 1; i <= 150; i++)
		CHECK_EQ(put(sp, i, 1000), 0);
	qz_spool__stats(sp, &st);
	CHECK_EQ(st.segments, 3);
	CHECK_EQ(fsyncs, 2);		/* the two rotated segments */
	CHECK_EQ(fsyncs_dir, 2);
	qz_spool__free(sp);
	rm_dir();
}

/*
 * The user's note rides in the checkpoint with the head: set, written by
 * commit, checkpoint or sync, read back at open. Not fsynced by checkpoint.
 */
static void test_note(void)
{
	QZ_OPTS(qz_spool_opts, o, .log_fn = on_log);
	char big[5000];
	struct qz_spool *sp;
	int fd;

	fresh_dir("note");
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	CHECK_STR(qz_spool__note(sp), "");
	CHECK_EQ(qz_spool__set_note(sp, "two\nlines"), -EINVAL);
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(qz_spool__set_note(sp, big), -EINVAL);
	CHECK_EQ(qz_spool__set_note(sp, "sent 12 0:5"), 0);
	for (unsigned int i = 1; i <= 10; i++)
		CHECK_EQ(put(sp, i, 100), 0);
	fsyncs = 0;
	CHECK_EQ(qz_spool__checkpoint(sp), 0);
	CHECK_EQ(fsyncs, 0);
	fd = qz_spool__dup_fd(sp);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	/* The latest note goes with every checkpoint, the one at close too. */
	CHECK_EQ(qz_spool__set_note(sp, "sent 13 0:7"), 0);
	CHECK_EQ(qz_spool__commit(sp, 4), 0);
	qz_spool__free(sp);
	sp = qz_spool__open(dir, &o);
	CHECK(sp);
	if (!sp)
		return;
	CHECK_STR(qz_spool__note(sp), "sent 13 0:7");
	qz_spool__free(sp);
	rm_dir();
}

int main(void)
{
	RUN(test_order);
	RUN(test_bounded);
	RUN(test_restart);
	RUN(test_empty_last_segment);
	RUN(test_corrupt_payload);
	RUN(test_corrupt_header);
	RUN(test_unreadable_segment);
	RUN(test_rotation_fsync);
	RUN(test_note);
	return test_result();
}
