// SPDX-License-Identifier: MIT
/*
 * The OTLP encoding read back with protobuf-c (field by field), and the
 * retry rules: which statuses, Retry-After in both forms, the backoff.
 */
#include <errno.h>
#include <quazar/quazar.h>
#include "otlp_internal.h"
#include "../test.h"

#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static const QzOtlp__Common__V1__AnyValue *attr(const QzOtlp__Trace__V1__Span *s,
						const char *key)
{
	for (size_t i = 0; i < s->n_attributes; i++)
		if (!strcmp(s->attributes[i]->key, key))
			return s->attributes[i]->value;
	return NULL;
}

static void test_encode(void)
{
	QZ_OPTS(qz_span_opts, so, .traceparent = TP, .kind = QZ_SPAN_KIND_CLIENT);
	struct qz_otlp_resource res;
	struct qz_span_data a = { .sz = sizeof(a) };
	struct qz_span_data b = { .sz = sizeof(b) };
	const struct qz_span_data *spans[] = { &a, &b };
	QzOtlp__Collector__Trace__V1__ExportTraceServiceRequest *req;
	const QzOtlp__Trace__V1__Span *sa, *sb;
	const QzOtlp__Common__V1__AnyValue *v;
	struct qz_span *s;
	uint8_t *buf;
	size_t len;

	s = qz_span__begin("outer", &so);
	qz_span__set_attr(s, "s", "text");
	qz_span__set_attr_i64(s, "i", -7);
	qz_span__set_attr_f64(s, "f", 1.5);
	qz_span__set_attr_bool(s, "b", true);
	qz_span__end_copy(qz_span__begin("inner", NULL), &b);
	qz_span__end_copy(s, &a);
	qz__otlp_resource_init(&res, "svc");
	buf = qz__otlp_encode(&res, spans, 2, &len);
	CHECK(buf);
	req = qz_otlp__collector__trace__v1__export_trace_service_request__unpack(
		NULL, len, buf);
	CHECK(req);
	if (!req)
		return;
	CHECK_EQ(req->n_resource_spans, 1);
	CHECK_EQ(req->resource_spans[0]->n_scope_spans, 1);
	CHECK_STR(req->resource_spans[0]->scope_spans[0]->scope->name, "quazar");
	{
		const QzOtlp__Resource__V1__Resource *r =
			req->resource_spans[0]->resource;
		bool pid = false, svc = false;

		for (size_t i = 0; i < r->n_attributes; i++) {
			const QzOtlp__Common__V1__KeyValue *kv = r->attributes[i];

			if (!strcmp(kv->key, "process.pid"))
				pid = kv->value->int_value == getpid();
			if (!strcmp(kv->key, "service.name"))
				svc = !strcmp(kv->value->string_value, "svc");
		}
		CHECK(pid && svc);
	}
	CHECK_EQ(req->resource_spans[0]->scope_spans[0]->n_spans, 2);
	sa = req->resource_spans[0]->scope_spans[0]->spans[0];
	sb = req->resource_spans[0]->scope_spans[0]->spans[1];
	CHECK_STR(sa->name, "outer");
	CHECK_EQ(sa->trace_id.len, 16);
	CHECK(!memcmp(sa->trace_id.data, a.ctx.trace_id, 16));
	CHECK(!memcmp(sa->span_id.data, a.ctx.span_id, 8));
	CHECK(!memcmp(sa->parent_span_id.data, a.parent_id, 8));
	CHECK(!memcmp(sb->parent_span_id.data, a.ctx.span_id, 8));
	/* Sampled, has_is_remote, is_remote: the parent came in a header. */
	CHECK_EQ(sa->flags, 0x301);
	CHECK_EQ(sb->flags, 0x101);
	CHECK_EQ(sa->kind, QZ_OTLP__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_CLIENT);
	CHECK_EQ(sb->kind, QZ_OTLP__TRACE__V1__SPAN__SPAN_KIND__SPAN_KIND_INTERNAL);
	CHECK_EQ(sa->start_time_unix_nano, a.start_ns);
	CHECK_EQ(sa->end_time_unix_nano, a.end_ns);
	v = attr(sa, "s");
	CHECK(v && !strcmp(v->string_value, "text"));
	v = attr(sa, "i");
	CHECK(v && v->value_case == QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE &&
	      v->int_value == -7);
	v = attr(sa, "f");
	CHECK(v && v->double_value == 1.5);
	v = attr(sa, "b");
	CHECK(v && v->bool_value);
	v = attr(sa, "perf.migrated");
	CHECK(v && v->value_case == QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE);
	if (a.counters & (1u << QZ_SPAN_TASK_CLOCK)) {
		v = attr(sa, "perf.task_clock_ns");
		CHECK(v && v->int_value == (int64_t)a.values[QZ_SPAN_TASK_CLOCK]);
	} else {
		CHECK(attr(sa, "perf.unavailable") != NULL);
	}
	qz_otlp__collector__trace__v1__export_trace_service_request__free_unpacked(
		req, NULL);
	free(buf);
}

static void test_retry_rules(void)
{
	time_t now = 1445412480;	/* Wed, 21 Oct 2015 07:28:00 GMT */
	uint64_t rng = 1;

	CHECK(qz__otlp_retryable(429));
	CHECK(qz__otlp_retryable(502));
	CHECK(qz__otlp_retryable(503));
	CHECK(qz__otlp_retryable(504));
	CHECK(!qz__otlp_retryable(400));
	CHECK(!qz__otlp_retryable(500));
	CHECK(!qz__otlp_retryable(200));

	CHECK_EQ(qz__otlp_retry_after(" 120\r\n", now), 120000);
	CHECK_EQ(qz__otlp_retry_after("0", now), 0);
	CHECK_EQ(qz__otlp_retry_after(" Wed, 21 Oct 2015 07:28:05 GMT\r\n", now),
		 5000);
	/* A date in the past: at once. */
	CHECK_EQ(qz__otlp_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0);
	CHECK_EQ(qz__otlp_retry_after("soon", now), -1);
	CHECK_EQ(qz__otlp_retry_after("12abc", now), -1);
	CHECK_EQ(qz__otlp_retry_after("-3", now), -1);

	for (unsigned int attempt = 0; attempt < 12; attempt++) {
		unsigned int full = 100u << (attempt < 9 ? attempt : 9);
		unsigned int ms = qz__otlp_backoff_ms(attempt, 100, 30000, &rng);

		if (full > 30000)
			full = 30000;
		CHECK(ms >= full / 2 && ms <= full);
	}
}

int main(void)
{
	RUN(test_encode);
	RUN(test_retry_rules);
	qz_span__close_thread();
	return test_result();
}
