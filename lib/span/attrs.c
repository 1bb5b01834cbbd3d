// SPDX-License-Identifier: MIT
/*
 * Span attributes: the caller's, kept in the span's fixed storage so that
 * no attribute allocates, and the perf.* ones every exporter derives from
 * the counters, named here once.
 */
#include <errno.h>
#include <string.h>
#include "span_internal.h"

static int find(const struct qz_span_data *d, const char *key)
{
	for (int i = 0; i < d->nr_attrs; i++)
		if (!strcmp(d->strings + d->attrs[i].key, key))
			return i;
	return -1;
}

/* Copy s into the strings; the offset, or -1 when it does not fit. */
static int intern(struct qz_span_data *d, const char *s, size_t len)
{
	int off = d->strings_len;

	if (len + 1 > sizeof(d->strings) - d->strings_len)
		return -1;
	memcpy(d->strings + off, s, len);
	d->strings[off + len] = '\0';
	d->strings_len += (uint16_t)(len + 1);
	return off;
}

/* The slot for key, with its key stored; room for extra bytes after. */
static struct qz_span_attr *slot(struct qz_span *span, const char *key,
				 size_t extra)
{
	struct qz_span_data *d = &span->d;
	size_t klen;
	int i, off;

	if (!span->open || !key)
		return NULL;
	i = find(d, key);
	if (i >= 0) {
		if (extra > sizeof(d->strings) - d->strings_len)
			goto full;
		return &d->attrs[i];
	}
	klen = strlen(key);
	if (d->nr_attrs >= QZ_SPAN_ATTRS_MAX ||
	    klen + 1 + extra > sizeof(d->strings) - d->strings_len)
		goto full;
	off = intern(d, key, klen);
	d->attrs[d->nr_attrs].key = (uint16_t)off;
	return &d->attrs[d->nr_attrs++];
full:
	d->dropped_attrs++;
	return NULL;
}

QZ_API int qz_span__set_attr(struct qz_span *span, const char *key,
			     const char *value)
{
	size_t len = value ? strlen(value) : 0;
	struct qz_span_attr *a;

	if (!span || !value)
		return -EINVAL;
	a = slot(span, key, len + 1);
	if (!a)
		return span->open && key ? -ENOSPC : -EINVAL;
	a->type = QZ_SPAN_ATTR_STR;
	a->v.str = (uint32_t)intern(&span->d, value, len);
	return 0;
}

QZ_API int qz_span__set_attr_i64(struct qz_span *span, const char *key,
				 int64_t value)
{
	struct qz_span_attr *a = span ? slot(span, key, 0) : NULL;

	if (!a)
		return span && span->open && key ? -ENOSPC : -EINVAL;
	a->type = QZ_SPAN_ATTR_I64;
	a->v.i64 = value;
	return 0;
}

QZ_API int qz_span__set_attr_f64(struct qz_span *span, const char *key,
				 double value)
{
	struct qz_span_attr *a = span ? slot(span, key, 0) : NULL;

	if (!a)
		return span && span->open && key ? -ENOSPC : -EINVAL;
	a->type = QZ_SPAN_ATTR_F64;
	a->v.f64 = value;
	return 0;
}

QZ_API int qz_span__set_attr_bool(struct qz_span *span, const char *key,
				  bool value)
{
	struct qz_span_attr *a = span ? slot(span, key, 0) : NULL;

	if (!a)
		return span && span->open && key ? -ENOSPC : -EINVAL;
	a->type = QZ_SPAN_ATTR_BOOL;
	a->v.b = value;
	return 0;
}

static struct qz_span_perf_attr *add(struct qz_span_perf_attr *a,
				     const char *key,
				     enum qz_span_attr_type type)
{
	a->key = key;
	a->type = type;
	return a;
}

QZ_API size_t qz_span_data__perf_attrs(const struct qz_span_data *d,
				       struct qz_span_perf_attr *out)
{
	struct qz_span_perf_attr *a = out;

	add(a++, "thread.id", QZ_SPAN_ATTR_I64)->v.i64 = d->tid;
	if (d->cpu_start >= 0)
		add(a++, "perf.cpu", QZ_SPAN_ATTR_I64)->v.i64 = d->cpu_start;
	if (d->cpu_end >= 0 && d->cpu_end != d->cpu_start)
		add(a++, "perf.cpu_end", QZ_SPAN_ATTR_I64)->v.i64 = d->cpu_end;
	for (unsigned int c = 0; c < QZ_SPAN_NR_COUNTERS; c++)
		if (d->counters & (1u << c))
			add(a++, qz_span_counter__name(c),
			    QZ_SPAN_ATTR_I64)->v.i64 = (int64_t)d->values[c];
	add(a++, "perf.migrated", QZ_SPAN_ATTR_BOOL)->v.b =
		(d->flags & QZ_SPAN_F_MIGRATED) != 0;
	if (d->counters) {
		bool mux = d->flags & QZ_SPAN_F_MULTIPLEXED;

		add(a++, "perf.multiplexed", QZ_SPAN_ATTR_BOOL)->v.b = mux;
		if (mux)
			add(a++, "perf.running_pct", QZ_SPAN_ATTR_F64)->v.f64 =
				100.0 * (double)d->time_running_ns /
				(double)d->time_enabled_ns;
		add(a++, "perf.read", QZ_SPAN_ATTR_STR)->v.str =
			d->flags & QZ_SPAN_F_RDPMC ? "rdpmc" : "read";
		if (d->flags & QZ_SPAN_F_USER_ONLY)
			add(a++, "perf.user_only", QZ_SPAN_ATTR_BOOL)->v.b =
				true;
	} else {
		add(a++, "perf.unavailable", QZ_SPAN_ATTR_STR)->v.str =
			d->unavailable ? d->unavailable : "unknown";
	}
	return (size_t)(a - out);
}
