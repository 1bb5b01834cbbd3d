// SPDX-License-Identifier: MIT
/*
 * The span stack: nested spans have the right parents, explicit parents
 * and new roots, ends out of order, the depth limit, another thread's
 * span, and attributes within the span's fixed storage.
 */
#include <errno.h>
#include <pthread.h>
#include <quazar/quazar.h>
#include "../test.h"

static struct qz_tracer *tracer;

static void test_nested_parents(void)
{
	struct qz_span_data a = { .sz = sizeof(a) };
	struct qz_span_data b = { .sz = sizeof(b) };
	struct qz_span_data c = { .sz = sizeof(c) };
	struct qz_span_data d = { .sz = sizeof(d) };
	struct qz_span *sa = qz_span__begin("a", NULL);
	struct qz_span *sb = qz_span__begin("b", NULL);
	struct qz_span *sc = qz_span__begin("c", NULL);

	CHECK(qz_span__current() == sc);
	CHECK_EQ(qz_span__end_copy(sc, &c), 0);
	CHECK(qz_span__current() == sb);
	/* A sibling of c: the parent is b again. */
	CHECK_EQ(qz_span__end_copy(qz_span__begin("d", NULL), &d), 0);
	CHECK_EQ(qz_span__end_copy(sb, &b), 0);
	CHECK_EQ(qz_span__end_copy(sa, &a), 0);
	CHECK(qz_span__current() == NULL);

	CHECK(!qz_span_data__has_parent(&a));
	CHECK(!memcmp(b.parent_id, a.ctx.span_id, 8));
	CHECK(!memcmp(c.parent_id, b.ctx.span_id, 8));
	CHECK(!memcmp(d.parent_id, b.ctx.span_id, 8));
	CHECK(!memcmp(a.ctx.trace_id, d.ctx.trace_id, 16));
	CHECK(memcmp(c.ctx.span_id, d.ctx.span_id, 8));
	CHECK_STR(c.name, "c");
	CHECK(a.start_ns <= b.start_ns && b.start_ns <= c.start_ns);
	CHECK(c.end_ns <= b.end_ns && b.end_ns <= a.end_ns);
	CHECK_EQ(a.tid, gettid());
	/* A second root begins a new trace. */
	sa = qz_span__begin("a2", NULL);
	CHECK(memcmp(qz_span__data(sa)->ctx.trace_id, a.ctx.trace_id, 16));
	qz_span__end(sa);
}

static void test_root_and_explicit_parent(void)
{
	struct qz_span *outer = qz_span__begin("outer", NULL);
	struct qz_span_context ctx = qz_span__data(outer)->ctx;
	QZ_OPTS(qz_span_opts, root, .root = true);
	QZ_OPTS(qz_span_opts, other, .parent = &ctx);
	struct qz_span_data r = { .sz = sizeof(r) };
	struct qz_span_data o = { .sz = sizeof(o) };
	struct qz_span *s;

	s = qz_span__begin("root", &root);
	CHECK_EQ(qz_span__end_copy(s, &r), 0);
	CHECK(!qz_span_data__has_parent(&r));
	CHECK(memcmp(r.ctx.trace_id, ctx.trace_id, 16));
	/* An explicit parent overrides the stack (a span on another thread). */
	ctx.span_id[0] ^= 0xff;
	s = qz_span__begin("linked", &other);
	CHECK_EQ(qz_span__end_copy(s, &o), 0);
	CHECK(!memcmp(o.parent_id, ctx.span_id, 8));
	CHECK(!memcmp(o.ctx.trace_id, ctx.trace_id, 16));
	CHECK(!o.parent_remote);
	qz_span__end(outer);
}

static void test_end_out_of_order(void)
{
	struct qz_span *a = qz_span__begin("a", NULL);
	struct qz_span *b = qz_span__begin("b", NULL);
	struct qz_span_data bd = { .sz = sizeof(bd) };

	/* a ends first: b stays open and remains the current span. */
	CHECK_EQ(qz_span__end(a), 0);
	CHECK(qz_span__current() == b);
	CHECK_EQ(qz_span__end(a), -EINVAL);
	CHECK_EQ(qz_span__end_copy(b, &bd), 0);
	CHECK(qz_span__current() == NULL);
	CHECK_EQ(qz_span__end(NULL), -EINVAL);
	/* Both slots are free again: a full stack fits. */
	{
		struct qz_span *s[QZ_SPAN_DEPTH_MAX];

		for (int i = 0; i < QZ_SPAN_DEPTH_MAX; i++) {
			s[i] = qz_span__begin("deep", NULL);
			CHECK(s[i]);
		}
		errno = 0;
		CHECK(!qz_span__begin("too-deep", NULL));
		CHECK_EQ(errno, ENOSPC);
		for (int i = QZ_SPAN_DEPTH_MAX - 1; i >= 0; i--)
			CHECK_EQ(qz_span__end(s[i]), 0);
	}
}

static void *end_elsewhere(void *span)
{
	return (void *)(intptr_t)qz_span__end(span);
}

static void test_end_on_another_thread(void)
{
	struct qz_span *s = qz_span__begin("mine", NULL);
	pthread_t t;
	void *ret;

	pthread_create(&t, NULL, end_elsewhere, s);
	pthread_join(t, &ret);
	CHECK_EQ((intptr_t)ret, -EINVAL);
	CHECK_EQ(qz_span__end(s), 0);
}

static void test_attrs(void)
{
	struct qz_span *s = qz_span__begin("attrs", NULL);
	const struct qz_span_data *d = qz_span__data(s);
	char key[32], big[QZ_SPAN_STRINGS_MAX];
	struct qz_span_data out = { .sz = sizeof(out) };
	int n = 0;

	CHECK_EQ(qz_span__set_attr(s, "http.route", "/a"), 0);
	CHECK_EQ(qz_span__set_attr_i64(s, "n", -5), 0);
	CHECK_EQ(qz_span__set_attr_f64(s, "ratio", 0.5), 0);
	CHECK_EQ(qz_span__set_attr_bool(s, "ok", true), 0);
	/* Replacing a key keeps one attribute. */
	CHECK_EQ(qz_span__set_attr(s, "http.route", "/b"), 0);
	CHECK_EQ(d->nr_attrs, 4);
	CHECK_STR(qz_span_attr__key(d, &d->attrs[0]), "http.route");
	CHECK_STR(qz_span_attr__str(d, &d->attrs[0]), "/b");
	CHECK_EQ(d->attrs[1].v.i64, -5);
	CHECK(d->attrs[2].v.f64 == 0.5);
	CHECK(d->attrs[3].v.b);
	CHECK_EQ(qz_span__set_attr(s, NULL, "x"), -EINVAL);
	CHECK_EQ(qz_span__set_attr(NULL, "x", "x"), -EINVAL);
	/* A string larger than the storage is dropped, and counted. */
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK_EQ(qz_span__set_attr(s, "big", big), -ENOSPC);
	/* Up to QZ_SPAN_ATTRS_MAX attributes; the rest counted as dropped. */
	for (int i = 0; i < QZ_SPAN_ATTRS_MAX; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		n += qz_span__set_attr_i64(s, key, i) == -ENOSPC;
	}
	CHECK_EQ(n, 4);
	CHECK_EQ(d->nr_attrs, QZ_SPAN_ATTRS_MAX);
	CHECK_EQ(d->dropped_attrs, 5);
	CHECK_EQ(qz_span__end_copy(s, &out), 0);
	/* The copy holds its strings: offsets, not pointers. */
	CHECK_STR(qz_span_attr__str(&out, &out.attrs[0]), "/b");
	CHECK_EQ(qz_span__set_attr(s, "late", "x"), -EINVAL);
}

static void test_long_name(void)
{
	char name[200];
	struct qz_span_data d = { .sz = sizeof(d) };

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	CHECK_EQ(qz_span__end_copy(qz_span__begin(name, NULL), &d), 0);
	CHECK_EQ(strlen(d.name), QZ_SPAN_NAME_MAX - 1);
	CHECK_EQ(qz_span__end_copy(qz_span__begin(NULL, NULL), &d), 0);
	CHECK_STR(d.name, "");
}

static void test_counters_off(void)
{
	QZ_OPTS(qz_tracer_opts, to, .no_counters = true);
	struct qz_tracer *off = qz_tracer__new(&to);
	QZ_OPTS(qz_span_opts, so, .tracer = off);
	struct qz_span_data d = { .sz = sizeof(d) };

	CHECK_EQ(qz_span__end_copy(qz_span__begin("off", &so), &d), 0);
	CHECK_EQ(d.counters, 0);
	CHECK(d.unavailable && strstr(d.unavailable, "turned off"));
	qz_tracer__free(off);
}

/* The sz rules: out structs too small, opts with unknown bytes set. */
static void test_sizes(void)
{
	struct {
		struct qz_span_opts o;
		uint64_t future;
	} big = { .o.sz = sizeof(big), .future = 1 };
	struct qz_span_data d = { .sz = sizeof(d) - 1 };
	struct qz_span_probe p = { .sz = 8 };
	struct qz_span *s = qz_span__begin("sized", NULL);

	CHECK_EQ(qz_span__end_copy(s, &d), -EINVAL);
	CHECK(qz_span__current() == s);		/* still open */
	d.sz = sizeof(d);
	CHECK_EQ(qz_span__end_copy(s, &d), 0);
	CHECK_EQ(d.sz, sizeof(d));
	CHECK_EQ(qz_span__probe(NULL, &p), -EINVAL);
	errno = 0;
	CHECK(!qz_span__begin("newer", &big.o));
	CHECK_EQ(errno, E2BIG);
	big.future = 0;		/* unknown but zero: fine */
	s = qz_span__begin("newer", &big.o);
	CHECK(s);
	qz_span__end(s);
	{
		struct {
			struct qz_tracer_opts o;
			uint64_t future;
		} t = { .o.sz = sizeof(t), .future = 1 };

		errno = 0;
		CHECK(!qz_tracer__new(&t.o));
		CHECK_EQ(errno, E2BIG);
	}
}

int main(void)
{
	tracer = qz_tracer__new(NULL);
	qz_tracer__set_default(tracer);
	RUN(test_nested_parents);
	RUN(test_root_and_explicit_parent);
	RUN(test_end_out_of_order);
	RUN(test_end_on_another_thread);
	RUN(test_attrs);
	RUN(test_long_name);
	RUN(test_counters_off);
	RUN(test_sizes);
	qz_tracer__free(tracer);
	qz_span__close_thread();
	return test_result();
}
