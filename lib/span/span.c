// SPDX-License-Identifier: MIT
/*
 * Span begin and end. The group is read last at begin and first at end, so
 * the span's own bookkeeping stays out of its counters as far as it can.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "span_internal.h"

static struct qz_tracer *default_tracer;

QZ_API struct qz_tracer *qz_tracer__new(const struct qz_tracer_opts *opts)
{
	struct qz_tracer *t;

	QZ_OPTS_CHECK_OR_NULL(opts);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->exporter = QZ_OPT(opts, exporter, NULL);
	t->log.fn = QZ_OPT(opts, log, NULL);
	t->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	t->counters = QZ_OPT(opts, counters, 0u) & QZ_SPAN_COUNTERS_ALL;
	t->no_counters = QZ_OPT(opts, no_counters, false);
	t->no_rdpmc = QZ_OPT(opts, no_rdpmc, false);
	return t;
}

QZ_API void qz_tracer__free(struct qz_tracer *tracer)
{
	struct qz_tracer *expected = tracer;

	if (!tracer)
		return;
	/* Unset it if it is the default (a failed exchange writes expected). */
	__atomic_compare_exchange_n(&default_tracer, &expected, NULL, false,
				    __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
	free(tracer);
}

QZ_API void qz_tracer__set_default(struct qz_tracer *tracer)
{
	__atomic_store_n(&default_tracer, tracer, __ATOMIC_RELEASE);
}

struct qz_tracer *qz__tracer_default(void)
{
	return __atomic_load_n(&default_tracer, __ATOMIC_ACQUIRE);
}

/* The innermost span still open: ended ones may wait above it. */
static struct qz_span *innermost(struct qz_span_thread *th)
{
	for (int i = th->depth - 1; i >= 0; i--)
		if (th->slots[i].open)
			return &th->slots[i];
	return NULL;
}

static void set_parent(struct qz_span_data *d, const struct qz_span_context *p)
{
	memcpy(d->ctx.trace_id, p->trace_id, sizeof(d->ctx.trace_id));
	memcpy(d->parent_id, p->span_id, sizeof(d->parent_id));
	d->ctx.trace_flags = p->trace_flags;
	/* A span's own context is local; its parent's may not be. */
	d->parent_remote = p->remote;
}

static void set_ids(struct qz_span_thread *th, struct qz_span_data *d,
		    const struct qz_span_opts *opts, struct qz_span *parent)
{
	const struct qz_span_context *ctx = QZ_OPT(opts, parent, NULL);
	const char *tp = QZ_OPT(opts, traceparent, NULL);
	struct qz_span_context remote;

	if (ctx) {
		set_parent(d, ctx);
	} else if (tp && !qz_span_context__parse(&remote, tp)) {
		set_parent(d, &remote);
	} else if (parent && !QZ_OPT(opts, root, false)) {
		set_parent(d, &parent->d.ctx);
	} else {
		qz__span_id_new(&th->rng, d->ctx.trace_id,
				sizeof(d->ctx.trace_id));
		d->ctx.trace_flags = 0x01;	/* sampled */
	}
	qz__span_id_new(&th->rng, d->ctx.span_id, sizeof(d->ctx.span_id));
}

QZ_API struct qz_span *qz_span__begin(const char *name,
				      const struct qz_span_opts *opts)
{
	struct qz_span_thread *th = qz__span_thread_get();
	struct qz_span *s, *parent;
	struct qz_tracer *tracer;
	struct qz_span_data *d;

	if (!th) {
		errno = ENOMEM;
		return NULL;
	}
	QZ_OPTS_CHECK_OR_NULL(opts);
	if (th->depth >= QZ_SPAN_DEPTH_MAX) {
		errno = ENOSPC;
		return NULL;
	}
	parent = innermost(th);
	tracer = QZ_OPT(opts, tracer, NULL);
	if (!tracer)
		tracer = parent ? parent->tracer : qz__tracer_default();
	s = &th->slots[th->depth++];
	d = &s->d;
	/* Attributes and their strings are reset by their counts alone. */
	memset(d, 0, offsetof(struct qz_span_data, attrs));
	d->sz = sizeof(*d);
	if (name) {
		size_t len = strnlen(name, sizeof(d->name) - 1);

		memcpy(d->name, name, len);
	}
	set_ids(th, d, opts, parent);
	d->kind = (uint8_t)QZ_OPT(opts, kind, QZ_SPAN_KIND_INTERNAL);
	if (d->kind > QZ_SPAN_KIND_CONSUMER)
		d->kind = QZ_SPAN_KIND_INTERNAL;
	d->tid = th->tid;
	s->tracer = tracer;
	s->open = true;
	s->counting = false;
	d->cpu_start = sched_getcpu();
	/* Both clocks together: end_ns is start_ns + the monotonic time. */
	d->start_ns = qz__clock_ns(CLOCK_REALTIME);
	s->mono_start_ns = qz__clock_ns(CLOCK_MONOTONIC);
	if (tracer && tracer->no_counters) {
		d->unavailable = "counters turned off by the tracer";
	} else {
		qz__span_thread_counters(th, tracer);
		if (th->state == 1)
			s->counting = !qz__counter_group_read(&th->group,
							      &s->begin);
		else
			d->unavailable = th->unavailable;
		if (th->state == 1 && !s->counting)
			d->unavailable = "reading the counters failed";
	}
	return s;
}

static int finish(struct qz_span *s, struct qz_span_data *out)
{
	struct qz_span_thread *th = qz__span_thread_peek();
	struct qz_span_data *d;
	struct qz_counter_read r;
	uint64_t mono;
	int err = -1, ret = 0;

	/* Only the thread that began a span can read its counters. */
	if (!s || !th || s < th->slots || s >= th->slots + th->depth ||
	    !s->open)
		return -EINVAL;
	if (s->counting)
		err = qz__counter_group_read(&th->group, &r);
	mono = qz__clock_ns(CLOCK_MONOTONIC);
	d = &s->d;
	d->cpu_end = sched_getcpu();
	d->mono_end_ns = mono;
	d->end_ns = d->start_ns + (mono - s->mono_start_ns);
	if (!err) {
		qz__counter_group_delta(&s->begin, &r, th->group.mask, d);
		d->flags |= th->group.flags;
	} else if (s->counting) {
		d->unavailable = "reading the counters failed";
	} else if (!d->unavailable) {
		d->unavailable = "the span began before a fork";
	}
	if (d->cpu_start != d->cpu_end ||
	    ((d->counters & (1u << QZ_SPAN_CPU_MIGRATIONS)) &&
	     d->values[QZ_SPAN_CPU_MIGRATIONS]))
		d->flags |= QZ_SPAN_F_MIGRATED;
	s->open = false;
	if (s->tracer && s->tracer->exporter)
		ret = qz_span_exporter__push(s->tracer->exporter, d);
	if (out)
		qz__span_data_copy(out, d);
	while (th->depth && !th->slots[th->depth - 1].open)
		th->depth--;
	return ret;
}

/*
 * A span's used bytes only: the fixed part, the attributes set and their
 * strings. A whole span is over a kilobyte, mostly unused, and the
 * exporter's ring is too large to stay in cache.
 */
void qz__span_data_copy(struct qz_span_data *dst,
			const struct qz_span_data *src)
{
	size_t from = sizeof(src->sz);

	/* dst->sz is the owner's. */
	memcpy((char *)dst + from, (const char *)src + from,
	       offsetof(struct qz_span_data, attrs) - from +
		       src->nr_attrs * sizeof(src->attrs[0]));
	memcpy(dst->strings, src->strings, src->strings_len);
}

QZ_API int qz_span__end(struct qz_span *span)
{
	return finish(span, NULL);
}

QZ_API int qz_span__end_copy(struct qz_span *span, struct qz_span_data *out)
{
	int ret;

	if (!out || out->sz < sizeof(*out))
		return -EINVAL;
	ret = finish(span, out);
	/* A newer caller's struct: zero what this library does not know. */
	if (ret != -EINVAL && out->sz > sizeof(*out))
		memset((char *)out + sizeof(*out), 0, out->sz - sizeof(*out));
	return ret;
}

QZ_API const struct qz_span_data *qz_span__data(const struct qz_span *span)
{
	return span ? &span->d : NULL;
}

QZ_API struct qz_span *qz_span__current(void)
{
	struct qz_span_thread *th = qz__span_thread_peek();

	return th ? innermost(th) : NULL;
}

QZ_API int qz_span__traceparent(const struct qz_span *span, char *buf,
				size_t len)
{
	if (!span)
		return -EINVAL;
	return qz_span_context__format(&span->d.ctx, buf, len);
}
