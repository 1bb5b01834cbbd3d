// SPDX-License-Identifier: MIT
/* The spool: order, bounds (oldest dropped and counted), restart, torn tail. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "sink.h"
#include "../test.h"

static char dir[64];
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

int main(void)
{
	RUN(test_order);
	RUN(test_bounded);
	RUN(test_restart);
	RUN(test_empty_last_segment);
	return test_result();
}
