// SPDX-License-Identifier: MIT
/*
 * A record as text (the kernel's print fmt, through libtraceevent) and as
 * typed JSON. Records are checked first: libtraceevent trusts __data_loc
 * words, and a corrupt one must not make it read outside the record.
 */
#include <stdlib.h>
#include <string.h>
#include <quazar/json.h>
#include "tp_internal.h"

/* Zeros after the copy of a record handed to libtraceevent. */
#define PRINT_PAD 8

QZ_API int qz_tp_event__check(const struct qz_tp_event *ev, const void *raw,
			      size_t size)
{
	if (!ev || !raw)
		return -EINVAL;
	if (size < ev->min_size)
		return -QZ_ERR_RECORD_SHORT;
	if (ev->type_field >= 0 &&
	    qz_tp_field__u64(&ev->fields[ev->type_field], raw, size) != (uint64_t)ev->id)
		return -EINVAL;
	for (int i = 0; i < ev->nr_fields; i++) {
		const void *data;
		size_t len;

		if ((ev->fields[i].flags & QZ_TP_FIELD_DYNAMIC) &&
		    qz_tp_field__data(&ev->fields[i], raw, size, &data, &len))
			return -QZ_ERR_RECORD_SHORT;
	}
	return 0;
}

QZ_API int qz_tp_event__print(struct qz_tp_event *ev, const void *raw,
			      size_t size, char *buf, size_t len)
{
	struct tep_record rec = { 0 };
	struct trace_seq *s;
	struct qz_tp *tp;
	int ret;

	ret = qz_tp_event__check(ev, raw, size);
	if (ret)
		return ret;
	if (size > INT32_MAX - PRINT_PAD)
		return -QZ_ERR_RECORD_SHORT;
	/*
	 * libtraceevent prints __get_str() with a plain "%s": a string whose
	 * NUL is missing would be read past the record. Print from a copy
	 * followed by zeros instead.
	 */
	tp = ev->tp;
	if (tp->scratch_size < size + PRINT_PAD) {
		uint8_t *grown = realloc(tp->scratch, size + PRINT_PAD);

		if (!grown)
			return -ENOMEM;
		tp->scratch = grown;
		tp->scratch_size = size + PRINT_PAD;
	}
	memcpy(tp->scratch, raw, size);
	memset(tp->scratch + size, 0, PRINT_PAD);
	s = &tp->seq;
	trace_seq_reset(s);
	rec.data = tp->scratch;
	rec.size = (int)size;
	rec.record_size = (int)size;
	tep_print_event(ev->tp->tep, s, &rec, "%s", TEP_PRINT_INFO);
	trace_seq_terminate(s);
	if (s->state != TRACE_SEQ__GOOD)
		return -ENOMEM;
	if (buf && len) {
		size_t n = s->len < len - 1 ? s->len : len - 1;

		memcpy(buf, s->buffer, n);
		buf[n] = '\0';
	}
	return (int)s->len;
}

static void write_int(struct qz_json *j, const struct qz_tp_field *f, uint64_t v)
{
	unsigned n = f->elem_size;

	if (!(f->flags & QZ_TP_FIELD_SIGNED)) {
		qz_json__u64(j, v);
		return;
	}
	if (n < 8 && (v & (1ull << (n * 8 - 1))))
		v |= ~0ull << (n * 8);
	qz_json__i64(j, (int64_t)v);
}

QZ_API int qz_tp_event__write_json(const struct qz_tp_event *ev,
				   const void *raw, size_t size,
				   struct qz_json *j, unsigned flags)
{
	int ret;

	if (!j)
		return -EINVAL;
	ret = qz_tp_event__check(ev, raw, size);
	if (ret)
		return ret;
	for (int i = 0; i < ev->nr_fields; i++) {
		const struct qz_tp_field *f = &ev->fields[i];

		if ((f->flags & QZ_TP_FIELD_COMMON) && !(flags & QZ_TP_JSON_COMMON))
			continue;
		qz_json__key(j, f->name);
		if (f->flags & QZ_TP_FIELD_STRING) {
			size_t n;
			const char *s = qz_tp_field__str(f, raw, size, &n);

			if (s)
				qz_json__strn(j, s, n);
			else
				qz_json__null(j);
		} else if (f->flags & QZ_TP_FIELD_ARRAY) {
			size_t n = qz_tp_field__nr_elems(f, raw, size);

			qz_json__begin_array(j);
			for (size_t k = 0; k < n; k++)
				write_int(j, f, qz_tp_field__elem_u64(f, raw, size, k));
			qz_json__end_array(j);
		} else {
			write_int(j, f, qz_tp_field__u64(f, raw, size));
		}
	}
	return qz_json__error(j);
}
