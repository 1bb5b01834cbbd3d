// SPDX-License-Identifier: MIT
/*
 * The JSON-lines span exporter: one "span" record per span through the
 * report writer, so spans land wherever reports do (a file, stdout, the
 * agent's delivery hook), in the same envelope.
 */
#include <errno.h>
#include "span_internal.h"

static const char *const kinds[] = {
	[QZ_SPAN_KIND_INTERNAL] = "internal", [QZ_SPAN_KIND_SERVER] = "server",
	[QZ_SPAN_KIND_CLIENT] = "client", [QZ_SPAN_KIND_PRODUCER] = "producer",
	[QZ_SPAN_KIND_CONSUMER] = "consumer",
};

static void key_hex(struct qz_json *j, const char *key, const uint8_t *id,
		    size_t len)
{
	char hex[2 * QZ_SPAN_TRACE_ID_LEN + 1];

	qz__hex_encode(id, len, hex);
	qz_json__key_str(j, key, hex);
}

static void perf_attr(struct qz_json *j, const struct qz_span_perf_attr *a)
{
	switch (a->type) {
	case QZ_SPAN_ATTR_STR:
		qz_json__key_str(j, a->key, a->v.str);
		break;
	case QZ_SPAN_ATTR_I64:
		qz_json__key_i64(j, a->key, a->v.i64);
		break;
	case QZ_SPAN_ATTR_F64:
		qz_json__key_double(j, a->key, a->v.f64);
		break;
	case QZ_SPAN_ATTR_BOOL:
		qz_json__key_bool(j, a->key, a->v.b);
		break;
	}
}

static void user_attr(struct qz_json *j, const struct qz_span_data *d,
		      const struct qz_span_attr *a)
{
	const char *key = qz_span_attr__key(d, a);

	switch (a->type) {
	case QZ_SPAN_ATTR_STR:
		qz_json__key_str(j, key, qz_span_attr__str(d, a));
		break;
	case QZ_SPAN_ATTR_I64:
		qz_json__key_i64(j, key, a->v.i64);
		break;
	case QZ_SPAN_ATTR_F64:
		qz_json__key_double(j, key, a->v.f64);
		break;
	default:
		qz_json__key_bool(j, key, a->v.b);
		break;
	}
}

QZ_API void qz_span_data__json(const struct qz_span_data *d,
			       struct qz_json *j)
{
	struct qz_span_perf_attr perf[QZ_SPAN_PERF_ATTRS_MAX];
	size_t n = qz_span_data__perf_attrs(d, perf);

	key_hex(j, "trace_id", d->ctx.trace_id, sizeof(d->ctx.trace_id));
	key_hex(j, "span_id", d->ctx.span_id, sizeof(d->ctx.span_id));
	if (qz_span_data__has_parent(d)) {
		key_hex(j, "parent_span_id", d->parent_id,
			sizeof(d->parent_id));
		if (d->parent_remote)
			qz_json__key_bool(j, "parent_remote", true);
	}
	qz_json__key_str(j, "name", d->name);
	qz_json__key_str(j, "kind", d->kind < QZ_ARRAY_SIZE(kinds) ?
					    kinds[d->kind] : "internal");
	qz_json__key_u64(j, "start_ns", d->start_ns);
	qz_json__key_u64(j, "end_ns", d->end_ns);
	qz_json__key_u64(j, "duration_ns", d->end_ns - d->start_ns);
	qz_json__key(j, "attrs");
	qz_json__begin_object(j);
	for (int i = 0; i < d->nr_attrs; i++)
		user_attr(j, d, &d->attrs[i]);
	for (size_t i = 0; i < n; i++)
		perf_attr(j, &perf[i]);
	qz_json__end_object(j);
	if (d->dropped_attrs)
		qz_json__key_u64(j, "dropped_attrs", d->dropped_attrs);
}

static int export_json(const struct qz_span_data *const *spans, size_t n,
		       uint64_t deadline_ns, void *ctx)
{
	struct qz_output *out = ctx;
	int err = 0;

	(void)deadline_ns;
	for (size_t i = 0; i < n && !err; i++) {
		struct qz_json *j = qz_output__begin(out, "span",
						     spans[i]->mono_end_ns);

		qz_span_data__json(spans[i], j);
		err = qz_output__end(out);
	}
	return err ? err : qz_output__flush(out);
}

QZ_API struct qz_span_exporter *
qz_span_exporter__new_json(struct qz_output *out,
			   const struct qz_span_exporter_opts *opts)
{
	struct qz_span_exporter_opts o = { .sz = sizeof(o) };

	QZ_OPTS_CHECK_OR_NULL(opts);
	if (!out || !qz_output__json(out) || QZ_OPT(opts, export, NULL) ||
	    QZ_OPT(opts, close, NULL) ||
	    QZ_OPT(opts, ctx, NULL)) {
		errno = EINVAL;
		return NULL;
	}
	o.capacity = QZ_OPT(opts, capacity, (size_t)0);
	o.batch_size = QZ_OPT(opts, batch_size, (size_t)0);
	o.batch_age_ms = QZ_OPT(opts, batch_age_ms, 0u);
	o.shutdown_ms = QZ_OPT(opts, shutdown_ms, 0u);
	o.log = QZ_OPT(opts, log, NULL);
	o.log_ctx = QZ_OPT(opts, log_ctx, NULL);
	o.export = export_json;
	o.ctx = out;
	return qz_span_exporter__new(&o);
}
