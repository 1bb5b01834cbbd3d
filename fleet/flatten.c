// SPDX-License-Identifier: MIT
/*
 * One Kafka message to rows: the envelope is read first (a message
 * without one is not a report), then the type's flattener writes its rows.
 * Nothing is dropped: what cannot be flattened goes to raw with the
 * reason, and every report with an envelope gets its row in reports.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "flatten.h"

static const struct qz_fl_type *const type_lists[] = {
	qz_fl_types_counters, qz_fl_types_other,
};

static bool fail(struct fl *f, const char *key, const char *what)
{
	if (!f->err[0])
		snprintf(f->err, sizeof(f->err), "%s '%s%s%s'", what, f->where,
			 f->where[0] ? "." : "", key);
	return false;
}

static bool get(struct fl *f, json_object *o, const char *key, json_object **v)
{
	if (!json_object_object_get_ex(o, key, v) || !*v)
		return fail(f, key, "missing field");
	return true;
}

static bool to_u64(struct fl *f, json_object *v, const char *key, uint64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return fail(f, key, "not an unsigned integer:");
	if (json_object_get_int64(v) < 0)
		return fail(f, key, "negative:");
	*out = json_object_get_uint64(v);
	return true;
}

bool qz_fl__u64(struct fl *f, json_object *o, const char *key, uint64_t *v)
{
	json_object *j;

	return get(f, o, key, &j) && to_u64(f, j, key, v);
}

static bool to_i64(struct fl *f, json_object *v, const char *key, int64_t *out)
{
	if (!json_object_is_type(v, json_type_int))
		return fail(f, key, "not an integer:");
	*out = json_object_get_int64(v);
	return true;
}

bool qz_fl__i64(struct fl *f, json_object *o, const char *key, int64_t *v)
{
	json_object *j;

	return get(f, o, key, &j) && to_i64(f, j, key, v);
}

bool qz_fl__f64(struct fl *f, json_object *o, const char *key, double *v)
{
	json_object *j;

	/* json-c gives NULL for a JSON null; quazar writes null for NaN. */
	if (!json_object_object_get_ex(o, key, &j))
		return fail(f, key, "missing field");
	if (!j) {
		*v = NAN;
		return true;
	}
	if (!json_object_is_type(j, json_type_int) &&
	    !json_object_is_type(j, json_type_double))
		return fail(f, key, "not a number:");
	*v = json_object_get_double(j);
	return true;
}

bool qz_fl__str(struct fl *f, json_object *o, const char *key, const char **s)
{
	json_object *j;

	if (!get(f, o, key, &j))
		return false;
	if (!json_object_is_type(j, json_type_string))
		return fail(f, key, "not a string:");
	*s = json_object_get_string(j);
	return true;
}

bool qz_fl__array(struct fl *f, json_object *o, const char *key, json_object **a)
{
	if (!get(f, o, key, a))
		return false;
	if (!json_object_is_type(*a, json_type_array))
		return fail(f, key, "not an array:");
	return true;
}

bool qz_fl__item(struct fl *f, json_object *a, const char *key, size_t i,
		 json_object **item)
{
	*item = json_object_array_get_idx(a, i);
	snprintf(f->where, sizeof(f->where), "%s[%zu]", key, i);
	if (!*item || !json_object_is_type(*item, json_type_object)) {
		f->where[0] = 0;
		snprintf(f->err, sizeof(f->err), "%s[%zu] is not an object", key, i);
		return false;
	}
	return true;
}

bool qz_fl__opt_u64(struct fl *f, json_object *o, const char *key, uint64_t def,
		    uint64_t *v)
{
	json_object *j;

	if (!json_object_object_get_ex(o, key, &j)) {
		*v = def;
		return true;
	}
	return j ? to_u64(f, j, key, v) : fail(f, key, "null:");
}

bool qz_fl__opt_i64(struct fl *f, json_object *o, const char *key, int64_t def,
		    int64_t *v)
{
	json_object *j;

	if (!json_object_object_get_ex(o, key, &j)) {
		*v = def;
		return true;
	}
	return j ? to_i64(f, j, key, v) : fail(f, key, "null:");
}

bool qz_fl__opt_str(struct fl *f, json_object *o, const char *key, const char *def,
		    const char **s)
{
	if (!json_object_object_get_ex(o, key, NULL)) {
		*s = def;
		return true;
	}
	return qz_fl__str(f, o, key, s);
}

bool qz_fl__opt_bool(struct fl *f, json_object *o, const char *key, bool *v)
{
	json_object *j;

	*v = false;
	if (!json_object_object_get_ex(o, key, &j))
		return true;
	if (!j || !json_object_is_type(j, json_type_boolean))
		return fail(f, key, "not true or false:");
	*v = json_object_get_boolean(j);
	return true;
}

struct qz_buf *qz_fl__row(struct fl *f, enum qz_fleet_table t)
{
	struct qz_buf *b = &f->b->rows[t];

	qz_buf__put(b, f->env.data, f->env.len);
	f->b->nrows[t]++;
	f->b->rows_total++;
	return b;
}

void qz_fl__fold_frames(struct qz_buf *b, json_object *stack)
{
	size_t n = json_object_is_type(stack, json_type_array) ?
		   json_object_array_length(stack) : 0;

	qz_buf__put(b, "\t", 1);
	for (size_t i = n; i-- > 0;) {
		json_object *fr = json_object_array_get_idx(stack, i), *sym = NULL;
		const char *s = "[unknown]";

		if (json_object_is_type(fr, json_type_object) &&
		    ((json_object_object_get_ex(fr, "sym", &sym) && sym) ||
		     (json_object_object_get_ex(fr, "addr", &sym) && sym)))
			s = json_object_get_string(sym);
		else if (json_object_is_type(fr, json_type_string))
			s = json_object_get_string(fr);
		if (i != n - 1)
			qz_buf__put(b, ";", 1);
		qz_buf__str(b, s, strlen(s));
	}
}

/* What could be read of the envelope; absent fields are empty or 0. */
struct env {
	const char *type, *host, *collector;
	uint64_t seq, ts, start, end;
	json_object *labels;
};

static bool read_envelope(struct fl *f, json_object *r, struct env *e)
{
	/* Every field is read, so raw keeps what there is; the first error stays. */
	int ok = qz_fl__str(f, r, "type", &e->type);

	ok &= qz_fl__str(f, r, "host", &e->host);
	ok &= qz_fl__str(f, r, "collector", &e->collector);
	ok &= qz_fl__u64(f, r, "seq", &e->seq);
	ok &= qz_fl__u64(f, r, "ts", &e->ts);
	ok &= qz_fl__u64(f, r, "interval_start", &e->start);
	ok &= qz_fl__u64(f, r, "interval_end", &e->end);
	if (ok && !e->seq)
		ok = fail(f, "seq", "zero:");
	if (ok && json_object_object_get_ex(r, "labels", &e->labels) &&
	    !json_object_is_type(e->labels, json_type_object))
		ok = fail(f, "labels", "not an object:");
	return ok;
}

static void write_env(struct fl *f, const struct env *e)
{
	struct qz_buf *b = &f->env;

	b->len = 0;
	qz_buf__str(b, e->host, strlen(e->host));
	col_str(b, e->collector);
	col_u64(b, e->seq);
	col_u64(b, e->start);
	col_u64(b, e->end);
}

static void labels_col(struct qz_buf *b, json_object *labels, bool values)
{
	bool first = true;

	qz_buf__put(b, "\t[", 2);
	if (labels && json_object_is_type(labels, json_type_object)) {
		json_object_object_foreach(labels, k, v) {
			const char *s = values ? json_object_get_string(v) : k;

			qz_buf__put(b, first ? "'" : ",'", first ? 1 : 2);
			qz_buf__str(b, s ? s : "", s ? strlen(s) : 0);
			qz_buf__put(b, "'", 1);
			first = false;
		}
	}
	qz_buf__put(b, "]", 1);
}

static void report_row(struct fl *f, const struct env *e, size_t len,
		       const struct qz_fleet_origin *o)
{
	struct qz_buf *b = qz_fl__row(f, QZ_FT_REPORTS);

	col_str(b, e->type);
	col_u64(b, e->ts);
	labels_col(b, e->labels, false);
	labels_col(b, e->labels, true);
	col_u64(b, len);
	col_i64(b, o->partition);
	col_i64(b, o->offset);
	qz_fl__end(b);
}

static void raw_row(struct fl *f, const struct env *e, bool has_env,
		    const char *msg, size_t len, const struct qz_fleet_origin *o)
{
	struct qz_buf *b = &f->b->rows[QZ_FT_RAW];
	char id[320];

	qz_buf__str(b, e->host, strlen(e->host));
	col_str(b, e->collector);
	col_u64(b, e->seq);
	col_u64(b, e->start);
	col_u64(b, e->end);
	col_str(b, e->type);
	col_str(b, f->err);
	qz_buf__put(b, "\t", 1);
	qz_buf__str(b, msg, len);
	/* Copies of a message that is no report are one by where it was. */
	snprintf(id, sizeof(id), "%s/%d/%lld", o->topic ? o->topic : "",
		 (int)o->partition, (long long)o->offset);
	col_str(b, has_env ? "" : id);
	col_str(b, o->topic ? o->topic : "");
	col_i64(b, o->partition);
	col_i64(b, o->offset);
	qz_fl__end(b);
	f->b->nrows[QZ_FT_RAW]++;
	f->b->rows_total++;
}

static qz_fl_fn find_type(const char *type)
{
	for (size_t l = 0; l < sizeof(type_lists) / sizeof(type_lists[0]); l++)
		for (const struct qz_fl_type *t = type_lists[l]; t->type; t++)
			if (!strcmp(t->type, type))
				return t->fn;
	return NULL;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Parses the whole message as one JSON value; NULL with the reason in f->err. */
/* Only blanks in msg[0..n): a message is not NUL-terminated, so no strspn. */
static bool only_blanks(const char *msg, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (msg[i] != ' ' && msg[i] != '\t' && msg[i] != '\r' && msg[i] != '\n')
			return false;
	return true;
}

static json_object *parse(struct fl *f, const char *msg, size_t len)
{
	struct json_tokener *tok = json_tokener_new();
	json_object *root = NULL;
	enum json_tokener_error jerr;

	if (!tok || len > INT32_MAX) {
		snprintf(f->err, sizeof(f->err), "not JSON: %s",
			 tok ? "too long" : "out of memory");
		json_tokener_free(tok);
		return NULL;
	}
	root = json_tokener_parse_ex(tok, msg, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!root && jerr == json_tokener_continue)
		snprintf(f->err, sizeof(f->err), "not JSON: it ends too soon");
	else if (!root && jerr != json_tokener_success)
		snprintf(f->err, sizeof(f->err), "not JSON: %s at byte %zu",
			 json_tokener_error_desc(jerr), json_tokener_get_parse_end(tok));
	else if (json_tokener_get_parse_end(tok) < len &&
		 !only_blanks(msg + json_tokener_get_parse_end(tok),
			      len - json_tokener_get_parse_end(tok)))
		snprintf(f->err, sizeof(f->err), "not JSON: more after the value at byte %zu",
			 json_tokener_get_parse_end(tok));
	else if (!root || !json_object_is_type(root, json_type_object))
		snprintf(f->err, sizeof(f->err), "not a report: a JSON %s, not an object",
			 root ? json_type_to_name(json_object_get_type(root)) : "null");
	if (f->err[0]) {
		json_object_put(root);
		root = NULL;
	}
	json_tokener_free(tok);
	return root;
}

int qz_fleet_batch__add(struct qz_fleet_batch *b, const char *msg, size_t len,
			const struct qz_fleet_origin *o)
{
	struct fl f = { .b = b, .env = b->scratch };
	struct env e = { .type = "", .host = "", .collector = "" };
	size_t marks[QZ_FT_NR];
	uint64_t nmarks[QZ_FT_NR], rows_mark = b->rows_total;
	enum qz_fleet_raw_kind kind = QZ_RAW_NOT_REPORT;
	bool has_env = false;
	json_object *root;
	qz_fl_fn fn;
	int err = 0;

	if (!b->first_ms)
		b->first_ms = now_ms();
	b->messages++;
	root = parse(&f, msg, len);
	if (root) {
		has_env = read_envelope(&f, root, &e);
		kind = QZ_RAW_NO_ENVELOPE;
	}
	if (has_env) {
		b->reports++;
		write_env(&f, &e);
		for (int t = 0; t < QZ_FT_NR; t++) {
			marks[t] = b->rows[t].len;
			nmarks[t] = b->nrows[t];
		}
		fn = find_type(e.type);
		kind = fn ? QZ_RAW_BAD_PAYLOAD : QZ_RAW_UNKNOWN_TYPE;
		if (!fn)
			snprintf(f.err, sizeof(f.err), "unknown type '%s'", e.type);
		if (fn && !fn(&f, root)) {
			/* Take back the report's rows: it goes to raw whole. */
			for (int t = 0; t < QZ_FT_NR; t++) {
				qz_buf__truncate(&b->rows[t], marks[t]);
				b->nrows[t] = nmarks[t];
			}
			b->rows_total = rows_mark;
		} else if (fn) {
			f.err[0] = 0;
		}
		report_row(&f, &e, len, o);
	}
	if (f.err[0]) {
		raw_row(&f, &e, has_env, msg, len, o);
		b->raw[kind]++;
	}
	for (int t = 0; t < QZ_FT_NR && !err; t++)
		err = b->rows[t].err;
	json_object_put(root);
	b->scratch = f.env;	/* its memory, for the next message */
	return err;
}
