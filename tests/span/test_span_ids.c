// SPDX-License-Identifier: MIT
/*
 * Span ids and W3C traceparent: the header's rules (lower-case hex, the
 * version, zero ids), formatting back, continuation, and ids that differ
 * across threads and across a fork.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/wait.h>
#include <quazar/quazar.h>
#include "../test.h"

#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static void test_parse_valid(void)
{
	static const uint8_t trace[16] = { 0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd,
					   0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21,
					   0x1c, 0x80, 0x31, 0x9c };
	static const uint8_t span[8] = { 0xb7, 0xad, 0x6b, 0x71,
					 0x69, 0x20, 0x33, 0x31 };
	struct qz_span_context c;
	char buf[QZ_TRACEPARENT_LEN];

	CHECK_EQ(qz_span_context__parse(&c, TP), 0);
	CHECK(!memcmp(c.trace_id, trace, 16));
	CHECK(!memcmp(c.span_id, span, 8));
	CHECK_EQ(c.trace_flags, 1);
	CHECK(c.remote);
	CHECK_EQ(qz_span_context__format(&c, buf, sizeof(buf)), 0);
	CHECK_STR(buf, TP);
	CHECK_EQ(qz_span_context__format(&c, buf, sizeof(buf) - 1), -ENOSPC);
	/* A later version may append fields after a dash. */
	CHECK_EQ(qz_span_context__parse(&c, "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00-extra"), 0);
	CHECK_EQ(c.trace_flags, 0);
}

static void test_parse_invalid(void)
{
	static const char *const bad[] = {
		"",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331",
		/* upper case hex */
		"00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
		/* version ff is invalid, 00 must be exactly 55 long */
		"ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x",
		"01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
		/* all-zero ids */
		"00-00000000000000000000000000000000-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
		/* separators and digits */
		"00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319g-b7ad6b7169203331-01",
		"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0z",
	};
	struct qz_span_context c;

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int err = qz_span_context__parse(&c, bad[i]);

		if (err != -EINVAL)
			fprintf(stderr, "  accepted: \"%s\"\n", bad[i]);
		CHECK_EQ(err, -EINVAL);
	}
	CHECK_EQ(qz_span_context__parse(&c, NULL), -EINVAL);
}

static void test_continue_traceparent(void)
{
	QZ_OPTS(qz_span_opts, o, .traceparent = TP);
	struct qz_span_context tp;
	struct qz_span *s = qz_span__begin("server", &o);
	struct qz_span *child = qz_span__begin("child", NULL);
	const struct qz_span_data *d = qz_span__data(s);
	const struct qz_span_data *cd = qz_span__data(child);
	char buf[QZ_TRACEPARENT_LEN];

	qz_span_context__parse(&tp, TP);
	CHECK(!memcmp(d->ctx.trace_id, tp.trace_id, 16));
	CHECK(!memcmp(d->parent_id, tp.span_id, 8));
	CHECK(memcmp(d->ctx.span_id, tp.span_id, 8));
	CHECK(d->parent_remote);
	CHECK(!d->ctx.remote);
	CHECK(qz_span_data__has_parent(d));
	/* The child is local to its parent, in the same trace. */
	CHECK(!memcmp(cd->ctx.trace_id, tp.trace_id, 16));
	CHECK(!memcmp(cd->parent_id, d->ctx.span_id, 8));
	CHECK(!cd->parent_remote);
	/* Outgoing: this span's id as the parent. */
	CHECK_EQ(qz_span__traceparent(child, buf, sizeof(buf)), 0);
	CHECK(!strncmp(buf, TP, 36));
	CHECK_EQ(qz_span_context__parse(&tp, buf), 0);
	CHECK(!memcmp(tp.span_id, cd->ctx.span_id, 8));
	qz_span__end(child);
	qz_span__end(s);

	/* A malformed traceparent starts a new trace, silently. */
	o.traceparent = "00-zz";
	s = qz_span__begin("fresh", &o);
	CHECK(s);
	CHECK(!qz_span_data__has_parent(qz_span__data(s)));
	CHECK_EQ(qz_span__data(s)->ctx.trace_flags, 1);
	qz_span__end(s);
}

#define IDS 4096
static uint64_t ids[2 * IDS];

static void *make_ids(void *arg)
{
	uint64_t *out = arg;

	for (int i = 0; i < IDS; i++) {
		struct qz_span *s = qz_span__begin("id", NULL);

		memcpy(&out[i], qz_span__data(s)->ctx.span_id, 8);
		qz_span__end(s);
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static void test_ids_unique(void)
{
	pthread_t t;
	size_t dup = 0, zero = 0;

	pthread_create(&t, NULL, make_ids, ids + IDS);
	make_ids(ids);
	pthread_join(t, NULL);
	qsort(ids, 2 * IDS, sizeof(uint64_t), cmp_u64);
	for (size_t i = 0; i < 2 * IDS; i++) {
		zero += ids[i] == 0;
		dup += i && ids[i] == ids[i - 1];
	}
	CHECK_EQ(zero, 0);
	CHECK_EQ(dup, 0);
}

/* A forked child must not repeat its parent's ids. */
static void test_fork_new_ids(void)
{
	uint8_t mine[8], theirs[8];
	int pfd[2], status;
	struct qz_span *s = qz_span__begin("before-fork", NULL);
	pid_t pid;

	qz_span__end(s);
	CHECK_EQ(pipe(pfd), 0);
	pid = fork();
	if (!pid) {
		s = qz_span__begin("child", NULL);
		(void)!write(pfd[1], qz_span__data(s)->ctx.span_id, 8);
		qz_span__end(s);
		_exit(0);
	}
	s = qz_span__begin("parent", NULL);
	memcpy(mine, qz_span__data(s)->ctx.span_id, 8);
	qz_span__end(s);
	CHECK_EQ(read(pfd[0], theirs, 8), 8);
	waitpid(pid, &status, 0);
	CHECK(memcmp(mine, theirs, 8));
	close(pfd[0]);
	close(pfd[1]);
}

int main(void)
{
	RUN(test_parse_valid);
	RUN(test_parse_invalid);
	RUN(test_continue_traceparent);
	RUN(test_ids_unique);
	RUN(test_fork_new_ids);
	return test_result();
}
