// SPDX-License-Identifier: MIT
/*
 * Flatteners of the counting profilers: stat, top, multi-trace, task-state
 * and kmemleak. The fields are those of docs/json-schema.md and each
 * profiler's page; a row's columns follow qz_fleet_tables[].
 */
#include <string.h>
#include "flatten.h"

static bool stat_row(struct fl *f, json_object *c, const char *event, bool per_cpu)
{
	uint64_t value;
	int64_t cpu = -1;
	double scaled, pct;
	struct qz_buf *b;

	if ((per_cpu && !qz_fl__i64(f, c, "cpu", &cpu)) ||
	    !qz_fl__u64(f, c, "value", &value) ||
	    !qz_fl__f64(f, c, "scaled", &scaled) ||
	    !qz_fl__f64(f, c, "running_pct", &pct))
		return false;
	b = qz_fl__row(f, QZ_FT_STAT);
	col_str(b, event);
	col_u64(b, per_cpu);
	col_i64(b, cpu);
	col_u64(b, value);
	col_f64(b, scaled);
	col_f64(b, pct);
	qz_fl__end(b);
	return true;
}

static bool fl_stat(struct fl *f, json_object *r)
{
	json_object *counters, *c, *per, *pc;
	const char *event;

	if (!qz_fl__array(f, r, "counters", &counters))
		return false;
	for (size_t i = 0; i < json_object_array_length(counters); i++) {
		if (!qz_fl__item(f, counters, "counters", i, &c) ||
		    !qz_fl__str(f, c, "event", &event) || !stat_row(f, c, event, false))
			return false;
		if (!json_object_object_get_ex(c, "per_cpu", NULL))
			continue;
		if (!qz_fl__array(f, c, "per_cpu", &per))
			return false;
		for (size_t k = 0; k < json_object_array_length(per); k++) {
			char where[64];

			snprintf(where, sizeof(where), "counters[%zu].per_cpu", i);
			if (!qz_fl__item(f, per, where, k, &pc) ||
			    !stat_row(f, pc, event, true))
				return false;
		}
	}
	return true;
}

/* A top row's sums: every integer key but the row's key, comm and count. */
static bool top_fields(struct fl *f, struct qz_buf *b, json_object *row,
		       const char *key)
{
	bool first = true;

	qz_buf__put(b, "\t[", 2);
	json_object_object_foreach(row, k, v) {
		if (!strcmp(k, key) || !strcmp(k, "comm") || !strcmp(k, "count"))
			continue;
		if (!v || !json_object_is_type(v, json_type_int)) {
			snprintf(f->err, sizeof(f->err), "field '%s.%s' is not an integer",
				 f->where, k);
			return false;
		}
		qz_buf__put(b, first ? "'" : ",'", first ? 1 : 2);
		qz_buf__str(b, k, strlen(k));
		qz_buf__put(b, "'", 1);
		first = false;
	}
	qz_buf__put(b, "]\t[", 3);
	first = true;
	json_object_object_foreach(row, k2, v2) {
		if (!strcmp(k2, key) || !strcmp(k2, "comm") || !strcmp(k2, "count"))
			continue;
		if (!first)
			qz_buf__put(b, ",", 1);
		qz_buf__i64(b, json_object_get_int64(v2));
		first = false;
	}
	qz_buf__put(b, "]", 1);
	return true;
}

static bool fl_top(struct fl *f, json_object *r)
{
	json_object *rows, *row;
	const char *key, *comm;
	uint64_t count;
	int64_t kv;
	struct qz_buf *b;

	if (!qz_fl__str(f, r, "key", &key) || !qz_fl__array(f, r, "rows", &rows))
		return false;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		if (!qz_fl__item(f, rows, "rows", i, &row) ||
		    !qz_fl__opt_str(f, row, "comm", "", &comm) ||
		    !qz_fl__u64(f, row, "count", &count))
			return false;
		/* Keyed by comm, or --only-comm: no integer key. */
		kv = 0;
		if (strcmp(key, "comm") && !qz_fl__opt_i64(f, row, key, 0, &kv))
			return false;
		b = qz_fl__row(f, QZ_FT_TOP);
		col_u64(b, i);
		col_str(b, key);
		col_i64(b, kv);
		col_str(b, comm);
		col_u64(b, count);
		if (!top_fields(f, b, row, key))
			return false;
		qz_fl__end(b);
	}
	return true;
}

/* calls, total, min, p50, p95, p99, max: latency statistics. */
static bool stats(struct fl *f, json_object *o, uint64_t v[7])
{
	static const char *const names[] = {
		"calls", "total", "min", "p50", "p95", "p99", "max",
	};

	for (int i = 0; i < 7; i++)
		if (!qz_fl__u64(f, o, names[i], &v[i]))
			return false;
	return true;
}

static void stats_cols(struct qz_buf *b, const uint64_t v[7])
{
	for (int i = 0; i < 7; i++)
		col_u64(b, v[i]);
}

static bool fl_multi_trace(struct fl *f, json_object *r)
{
	const char *key, *start, *end, *comm;
	json_object *pairs, *p;
	uint64_t instance, v[7];
	bool other;
	struct qz_buf *b;

	if (!qz_fl__opt_str(f, r, "key", "", &key) ||
	    !qz_fl__array(f, r, "pairs", &pairs))
		return false;
	for (size_t i = 0; i < json_object_array_length(pairs); i++) {
		if (!qz_fl__item(f, pairs, "pairs", i, &p) ||
		    !qz_fl__str(f, p, "start", &start) ||
		    !qz_fl__str(f, p, "end", &end) ||
		    !qz_fl__opt_u64(f, p, "instance", 0, &instance) ||
		    !qz_fl__opt_bool(f, p, "other", &other) ||
		    !qz_fl__opt_str(f, p, "comm", "", &comm) || !stats(f, p, v))
			return false;
		b = qz_fl__row(f, QZ_FT_MULTI_TRACE);
		col_str(b, start);
		col_str(b, end);
		col_str(b, key);
		col_u64(b, instance);
		col_u64(b, other);
		col_str(b, comm);
		stats_cols(b, v);
		qz_fl__end(b);
	}
	return true;
}

static bool fl_task_state(struct fl *f, json_object *r)
{
	json_object *rows, *row;
	const char *comm, *state;
	uint64_t tid, v[7];
	struct qz_buf *b;

	if (!qz_fl__array(f, r, "rows", &rows))
		return false;
	for (size_t i = 0; i < json_object_array_length(rows); i++) {
		if (!qz_fl__item(f, rows, "rows", i, &row) ||
		    !qz_fl__opt_u64(f, row, "tid", 0, &tid) ||
		    !qz_fl__opt_str(f, row, "comm", "", &comm) ||
		    !qz_fl__str(f, row, "state", &state) || !stats(f, row, v))
			return false;
		b = qz_fl__row(f, QZ_FT_TASK_STATE);
		col_u64(b, tid);
		col_str(b, comm);
		col_str(b, state);
		stats_cols(b, v);
		qz_fl__end(b);
	}
	return true;
}

static bool fl_kmemleak(struct fl *f, json_object *r)
{
	static const char *const names[] = {
		"allocs", "frees", "alloc_bytes", "free_bytes", "unmatched_frees",
		"leaked_objects", "leaked_bytes", "pending", "evicted",
		"evicted_bytes", "lost", "late",
	};
	uint64_t v[12], bytes, objects;
	json_object *leaks, *leak, *stack = NULL;
	struct qz_buf *b;
	bool final;

	if (!qz_fl__opt_bool(f, r, "final", &final))
		return false;
	for (int i = 0; i < 12; i++)
		/* The first two say it is a kmemleak report; the rest may grow. */
		if (!(i < 2 ? qz_fl__u64(f, r, names[i], &v[i]) :
			      qz_fl__opt_u64(f, r, names[i], 0, &v[i])))
			return false;
	b = qz_fl__row(f, QZ_FT_KMEMLEAK);
	col_u64(b, final);
	for (int i = 0; i < 12; i++)
		col_u64(b, v[i]);
	qz_fl__end(b);
	if (!json_object_object_get_ex(r, "leaks", NULL))
		return true;
	if (!qz_fl__array(f, r, "leaks", &leaks))
		return false;
	for (size_t i = 0; i < json_object_array_length(leaks); i++) {
		if (!qz_fl__item(f, leaks, "leaks", i, &leak) ||
		    !qz_fl__u64(f, leak, "bytes", &bytes) ||
		    !qz_fl__u64(f, leak, "objects", &objects))
			return false;
		json_object_object_get_ex(leak, "stack", &stack);
		b = qz_fl__row(f, QZ_FT_KMEMLEAK_LEAKS);
		col_u64(b, i);
		col_u64(b, bytes);
		col_u64(b, objects);
		qz_fl__fold_frames(b, stack);
		qz_fl__end(b);
	}
	return true;
}

const struct qz_fl_type qz_fl_types_counters[] = {
	{ "stat", fl_stat },
	{ "top", fl_top },
	{ "multi_trace", fl_multi_trace },
	{ "task_state", fl_task_state },
	{ "kmemleak", fl_kmemleak },
	{ NULL, NULL },
};
