// SPDX-License-Identifier: MIT
/*
 * Spans to an OTLP ExportTraceServiceRequest. The message tree points into
 * the spans themselves (names, attribute strings) and into one arena per
 * batch, so a batch costs two allocations: the arena and the packed bytes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "otlp_internal.h"

#define SPAN_KV (QZ_SPAN_ATTRS_MAX + QZ_SPAN_PERF_ATTRS_MAX)

static void set_str(QzOtlp__Common__V1__KeyValue *kv,
		    QzOtlp__Common__V1__AnyValue *av, const char *key,
		    const char *s)
{
	qz_otlp__common__v1__key_value__init(kv);
	qz_otlp__common__v1__any_value__init(av);
	kv->key = (char *)key;
	kv->value = av;
	av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_STRING_VALUE;
	av->string_value = (char *)s;
}

static void set_int(QzOtlp__Common__V1__KeyValue *kv,
		    QzOtlp__Common__V1__AnyValue *av, const char *key,
		    int64_t v)
{
	set_str(kv, av, key, NULL);
	av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
	av->int_value = v;
}

void qz__otlp_resource_init(struct qz_otlp_resource *r, const char *service)
{
	size_t n = 0;

	memset(r, 0, sizeof(*r));
	snprintf(r->service, sizeof(r->service), "%s", service);
	if (gethostname(r->host, sizeof(r->host) - 1))
		snprintf(r->host, sizeof(r->host), "unknown");
	set_str(&r->kv[n], &r->av[n], "service.name", r->service);
	n++;
	set_str(&r->kv[n], &r->av[n], "host.name", r->host);
	n++;
	set_int(&r->kv[n], &r->av[n], "process.pid", getpid());
	n++;
	set_str(&r->kv[n], &r->av[n], "telemetry.sdk.name", "quazar");
	n++;
	set_str(&r->kv[n], &r->av[n], "telemetry.sdk.version", "0.1.0");
	n++;
	for (size_t i = 0; i < n; i++)
		r->kvp[i] = &r->kv[i];
	qz_otlp__resource__v1__resource__init(&r->resource);
	r->resource.n_attributes = n;
	r->resource.attributes = r->kvp;
	qz_otlp__common__v1__instrumentation_scope__init(&r->scope);
	r->scope.name = "quazar";
	r->scope.version = "0.1.0";
}

/* One span's attributes: the caller's, then the perf.* ones. */
struct span_arena {
	QzOtlp__Trace__V1__Span span;
	QzOtlp__Common__V1__KeyValue kv[SPAN_KV];
	QzOtlp__Common__V1__AnyValue av[SPAN_KV];
	QzOtlp__Common__V1__KeyValue *kvp[SPAN_KV];
	struct qz_span_perf_attr perf[QZ_SPAN_PERF_ATTRS_MAX];
};

/* Read only the union member the type names. */
static void set_user(QzOtlp__Common__V1__KeyValue *kv,
		     QzOtlp__Common__V1__AnyValue *av,
		     const struct qz_span_data *d, const struct qz_span_attr *a)
{
	set_str(kv, av, qz_span_attr__key(d, a), NULL);
	switch (a->type) {
	case QZ_SPAN_ATTR_STR:
		av->string_value = (char *)qz_span_attr__str(d, a);
		break;
	case QZ_SPAN_ATTR_I64:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		av->int_value = a->v.i64;
		break;
	case QZ_SPAN_ATTR_F64:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		av->double_value = a->v.f64;
		break;
	default:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		av->bool_value = a->v.b;
		break;
	}
}

static void set_perf(QzOtlp__Common__V1__KeyValue *kv,
		     QzOtlp__Common__V1__AnyValue *av,
		     const struct qz_span_perf_attr *a)
{
	set_str(kv, av, a->key, NULL);
	switch (a->type) {
	case QZ_SPAN_ATTR_STR:
		av->string_value = (char *)a->v.str;
		break;
	case QZ_SPAN_ATTR_I64:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_INT_VALUE;
		av->int_value = a->v.i64;
		break;
	case QZ_SPAN_ATTR_F64:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_DOUBLE_VALUE;
		av->double_value = a->v.f64;
		break;
	default:
		av->value_case = QZ_OTLP__COMMON__V1__ANY_VALUE__VALUE_BOOL_VALUE;
		av->bool_value = a->v.b;
		break;
	}
}

/* Our kinds are OTLP's, shifted by one: OTLP's 0 is "unspecified". */
static void fill_span(struct span_arena *a, const struct qz_span_data *d)
{
	QzOtlp__Trace__V1__Span *s = &a->span;
	size_t n = 0, np = qz_span_data__perf_attrs(d, a->perf);

	qz_otlp__trace__v1__span__init(s);
	s->trace_id.data = (uint8_t *)d->ctx.trace_id;
	s->trace_id.len = sizeof(d->ctx.trace_id);
	s->span_id.data = (uint8_t *)d->ctx.span_id;
	s->span_id.len = sizeof(d->ctx.span_id);
	if (qz_span_data__has_parent(d)) {
		s->parent_span_id.data = (uint8_t *)d->parent_id;
		s->parent_span_id.len = sizeof(d->parent_id);
	}
	/* The trace flags, and whether the parent was remote. */
	s->flags = d->ctx.trace_flags | 0x100u |
		   (d->parent_remote ? 0x200u : 0);
	s->name = (char *)d->name;
	s->kind = (QzOtlp__Trace__V1__Span__SpanKind)(d->kind + 1);
	s->start_time_unix_nano = d->start_ns;
	s->end_time_unix_nano = d->end_ns;
	for (int i = 0; i < d->nr_attrs; i++, n++)
		set_user(&a->kv[n], &a->av[n], d, &d->attrs[i]);
	for (size_t i = 0; i < np; i++, n++)
		set_perf(&a->kv[n], &a->av[n], &a->perf[i]);
	for (size_t i = 0; i < n; i++)
		a->kvp[i] = &a->kv[i];
	s->n_attributes = n;
	s->attributes = a->kvp;
	s->dropped_attributes_count = d->dropped_attrs;
}

uint8_t *qz__otlp_encode(const struct qz_otlp_resource *r,
			 const struct qz_span_data *const *spans, size_t n,
			 size_t *len)
{
	QzOtlp__Collector__Trace__V1__ExportTraceServiceRequest req;
	QzOtlp__Trace__V1__ResourceSpans rs, *rsp = &rs;
	QzOtlp__Trace__V1__ScopeSpans ss, *ssp = &ss;
	struct span_arena *arena = calloc(n ? n : 1, sizeof(*arena));
	QzOtlp__Trace__V1__Span **sp = calloc(n ? n : 1, sizeof(*sp));
	uint8_t *buf = NULL;

	if (!arena || !sp)
		goto out;
	for (size_t i = 0; i < n; i++) {
		fill_span(&arena[i], spans[i]);
		sp[i] = &arena[i].span;
	}
	qz_otlp__trace__v1__scope_spans__init(&ss);
	ss.scope = (QzOtlp__Common__V1__InstrumentationScope *)&r->scope;
	ss.n_spans = n;
	ss.spans = sp;
	qz_otlp__trace__v1__resource_spans__init(&rs);
	rs.resource = (QzOtlp__Resource__V1__Resource *)&r->resource;
	rs.n_scope_spans = 1;
	rs.scope_spans = &ssp;
	qz_otlp__collector__trace__v1__export_trace_service_request__init(&req);
	req.n_resource_spans = 1;
	req.resource_spans = &rsp;
	*len = qz_otlp__collector__trace__v1__export_trace_service_request__get_packed_size(&req);
	buf = malloc(*len ? *len : 1);
	if (buf)
		qz_otlp__collector__trace__v1__export_trace_service_request__pack(&req, buf);
out:
	free(arena);
	free(sp);
	if (!buf)
		errno = ENOMEM;
	return buf;
}
