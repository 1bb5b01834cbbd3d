/* SPDX-License-Identifier: MIT */
/*
 * Tracepoints through libtraceevent and libtracefs: formats loaded on
 * demand, sys:name globs, cheap field handles for the hot path, the
 * kernel's print fmt as text, and typed JSON.
 *
 *	struct qz_tp *tp = qz_tp__new(NULL);            // mounts tracefs
 *	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
 *	const struct qz_tp_field *pid = qz_tp_event__field(ev, "next_pid");
 *	...per PERF_SAMPLE_RAW record (raw, size):
 *	int64_t v = qz_tp_field__s64(pid, raw, size);
 *	qz_tp_event__print(ev, raw, size, buf, sizeof(buf));
 *
 * A qz_tp and its events are for one thread at a time (libtraceevent's
 * handle is not thread-safe). Events and fields live as long as the qz_tp.
 */
#ifndef QUAZAR_TP_H
#define QUAZAR_TP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_tp;
struct qz_tp_event;
struct qz_tp_field;
struct qz_json;

struct qz_tp_opts {
	size_t sz;
	/*
	 * A directory holding events/<sys>/<name>/format. NULL: the tracefs
	 * mount, mounted when absent.
	 */
	const char *tracing_dir;
	/* No tracefs at all: only formats given to qz_tp__add_format(). */
	bool offline;
	qz_log_fn log;
	void *log_ctx;
};

/* NULL + errno (ENODEV when tracefs cannot be found or mounted). */
QZ_API struct qz_tp *qz_tp__new(const struct qz_tp_opts *opts);
QZ_API void qz_tp__free(struct qz_tp *tp);

/* The tracing directory in use (borrowed), NULL when offline. */
QZ_API const char *qz_tp__tracing_dir(const struct qz_tp *tp);

/*
 * Add an event from the text of its format file (name:, ID:, format:,
 * print fmt:), e.g. for tests or recorded data. The event is owned by tp;
 * *evp (may be NULL) receives it. 0 or -QZ_ERR_UNKNOWN_EVENT/-EINVAL.
 */
QZ_API int qz_tp__add_format(struct qz_tp *tp, const char *sys,
			     const char *format, struct qz_tp_event **evp);

/*
 * The event sys:name, its format loaded on first use (borrowed). NULL with
 * errno = QZ_ERR_UNKNOWN_EVENT when there is no such event.
 */
QZ_API struct qz_tp_event *qz_tp__event(struct qz_tp *tp, const char *sys,
					const char *name);
/* An event already loaded, by its ID (common_type); NULL if none. */
QZ_API struct qz_tp_event *qz_tp__event_by_id(struct qz_tp *tp, int id);

/* Called with each exact event a pattern expands to; nonzero stops. */
typedef int (*qz_tp_expand_fn)(const char *sys, const char *name, void *ctx);

/*
 * Expand "sys:name" where either part may be a glob (sched:sched_*,
 * *:*_exec) to the events that exist, in sorted order. Formats are not
 * loaded. Returns the number of events, the callback's nonzero value, or
 * -QZ_ERR_UNKNOWN_EVENT when nothing matches (-EINVAL without a ':').
 */
QZ_API int qz_tp__expand(struct qz_tp *tp, const char *pattern,
			 qz_tp_expand_fn fn, void *ctx);

/*
 * For an unknown "sys:name", write the closest existing names into buf:
 * "did you mean sched:sched_switch?". 0, or -ENOENT when none is close.
 */
QZ_API int qz_tp__suggest(struct qz_tp *tp, const char *sys_name, char *buf,
			  size_t len);

/* Event identity. Strings are borrowed from the event. */
QZ_API int qz_tp_event__id(const struct qz_tp_event *ev);
QZ_API const char *qz_tp_event__sys(const struct qz_tp_event *ev);
QZ_API const char *qz_tp_event__name(const struct qz_tp_event *ev);
/* Bytes a record needs for all its fixed fields. */
QZ_API size_t qz_tp_event__min_size(const struct qz_tp_event *ev);

/* Fields: common_* first, then the event's own, in format order. */
QZ_API int qz_tp_event__nr_fields(const struct qz_tp_event *ev);
QZ_API const struct qz_tp_field *qz_tp_event__field_at(const struct qz_tp_event *ev,
							 int i);
/* A field by name (common fields included), NULL if none. Borrowed. */
QZ_API const struct qz_tp_field *qz_tp_event__field(const struct qz_tp_event *ev,
						      const char *name);

enum qz_tp_field_flags {
	QZ_TP_FIELD_SIGNED = 1 << 0,
	QZ_TP_FIELD_STRING = 1 << 1,	/* char[N] or __data_loc char[] */
	QZ_TP_FIELD_ARRAY = 1 << 2,	/* fixed or dynamic array */
	QZ_TP_FIELD_DYNAMIC = 1 << 3,	/* __data_loc: offset/len word */
	QZ_TP_FIELD_RELATIVE = 1 << 4,	/* __rel_loc: offset past the word */
	QZ_TP_FIELD_POINTER = 1 << 5,
	QZ_TP_FIELD_LONG = 1 << 6,
	QZ_TP_FIELD_COMMON = 1 << 7,	/* common_type, common_pid, ... */
};

QZ_API const char *qz_tp_field__name(const struct qz_tp_field *f);
/* The C type as the format spells it, e.g. "unsigned long". */
QZ_API const char *qz_tp_field__type(const struct qz_tp_field *f);
QZ_API unsigned qz_tp_field__flags(const struct qz_tp_field *f);
/* Offset and size in the record (for __data_loc: of the 4-byte word). */
QZ_API unsigned qz_tp_field__offset(const struct qz_tp_field *f);
QZ_API unsigned qz_tp_field__size(const struct qz_tp_field *f);
/* Array element size in bytes (the field size when not an array). */
QZ_API unsigned qz_tp_field__elem_size(const struct qz_tp_field *f);

/*
 * Readers over a raw record (the PERF_SAMPLE_RAW bytes). They never read
 * outside raw[0..size): a field that does not fit reads as 0 / NULL.
 * Integers are 1, 2, 4 or 8 bytes in host order.
 */
/* Zero-extended. */
QZ_API uint64_t qz_tp_field__u64(const struct qz_tp_field *f, const void *raw,
				 size_t size);
/* Sign-extended when the field is signed, else as __u64. */
QZ_API int64_t qz_tp_field__s64(const struct qz_tp_field *f, const void *raw,
				size_t size);

/*
 * The one load of u64 and s64, inline, for a field read on every event:
 * qz_tp_field__word works out once where the 8 bytes ending with it are.
 * 0, or -ENOTSUP for a field they read otherwise (not 1, 2, 4 or 8 bytes,
 * or ending in the first 8): the calls read those. The struct never changes.
 */
struct qz_tp_word {
	uint32_t end;		/* where the field ends in raw */
	uint8_t shift;		/* 64 - 8 x its size */
	bool sign;		/* signed: the shift is arithmetic */
};

QZ_API int qz_tp_field__word(const struct qz_tp_field *f, struct qz_tp_word *w);

/* As qz_tp_field__u64 and __s64 read the field: 0 when raw is too short. */
static inline uint64_t qz_tp_word__u64(const struct qz_tp_word *w, const void *raw, size_t size)
{
	uint64_t v;

	if (!raw || w->end > size)
		return 0;
	memcpy(&v, (const uint8_t *)raw + w->end - 8, 8);
	return v >> w->shift;
}

static inline int64_t qz_tp_word__s64(const struct qz_tp_word *w, const void *raw, size_t size)
{
	uint64_t v;

	if (!raw || w->end > size)
		return 0;
	memcpy(&v, (const uint8_t *)raw + w->end - 8, 8);
	return w->sign ? (int64_t)v >> w->shift : (int64_t)(v >> w->shift);
}
/*
 * The field's bytes, through __data_loc/__rel_loc for dynamic fields:
 * 0 with *data and *len set, or -QZ_ERR_RECORD_SHORT.
 */
QZ_API int qz_tp_field__data(const struct qz_tp_field *f, const void *raw,
			     size_t size, const void **data, size_t *len);
/*
 * A string field: a pointer into raw (not NUL-terminated in general) and
 * its length up to the first NUL. NULL if it does not fit.
 */
QZ_API const char *qz_tp_field__str(const struct qz_tp_field *f, const void *raw,
				    size_t size, size_t *len);
/* Number of elements of an array field in this record (1 if scalar). */
QZ_API size_t qz_tp_field__nr_elems(const struct qz_tp_field *f,
				    const void *raw, size_t size);
/* Element idx of an array field; 0 when out of range. */
QZ_API uint64_t qz_tp_field__elem_u64(const struct qz_tp_field *f,
				      const void *raw, size_t size, size_t idx);
QZ_API int64_t qz_tp_field__elem_s64(const struct qz_tp_field *f,
				     const void *raw, size_t size, size_t idx);

/*
 * Check that a record fits the event: large enough for the fixed fields,
 * every __data_loc inside it, common_type equal to the event's ID.
 * 0, -QZ_ERR_RECORD_SHORT or -EINVAL (another event's record).
 */
QZ_API int qz_tp_event__check(const struct qz_tp_event *ev, const void *raw,
			      size_t size);

/*
 * Print the record the way the event's kernel print fmt does (as in
 * trace_pipe, without the comm/pid/time prefix). Like snprintf: returns
 * the text's full length, the buffer holds what fits; or -errno from
 * qz_tp_event__check().
 */
QZ_API int qz_tp_event__print(struct qz_tp_event *ev, const void *raw,
			      size_t size, char *buf, size_t len);

enum qz_tp_json_flags {
	QZ_TP_JSON_COMMON = 1 << 0,	/* also the common_* fields */
};

/*
 * Write the record's fields as "name": value members into the JSON
 * object the caller has open: integers as numbers, strings as strings,
 * arrays as arrays. 0 or -errno from qz_tp_event__check().
 */
QZ_API int qz_tp_event__write_json(const struct qz_tp_event *ev,
				   const void *raw, size_t size,
				   struct qz_json *j, unsigned flags);

#ifdef __cplusplus
}
#endif

#endif
