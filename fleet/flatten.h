/* SPDX-License-Identifier: MIT */
/*
 * Between the dispatcher (flatten.c) and the flatteners of each report
 * type (flatten_*.c). A flattener reads its payload with the getters,
 * which name the missing or bad field, and writes rows that start with the
 * report's envelope. It returns false on the first bad field; the
 * dispatcher then takes back every row of the report and writes it to
 * raw with f->err as the reason.
 */
#ifndef QUAZAR_FLEET_FLATTEN_H
#define QUAZAR_FLEET_FLATTEN_H

#include <stdio.h>
#include <string.h>
#include <json-c/json.h>
#include "batch.h"

struct fl {
	struct qz_fleet_batch *b;
	struct qz_buf env;	/* host \t collector \t seq \t start \t end */
	char where[64];		/* the array item being read: "counters[2]" */
	char err[256];
};

typedef bool (*qz_fl_fn)(struct fl *f, json_object *report);

struct qz_fl_type {
	const char *type;
	qz_fl_fn fn;
};

/* Each file's types, ended by { NULL }. */
extern const struct qz_fl_type qz_fl_types_counters[];
extern const struct qz_fl_type qz_fl_types_other[];

bool qz_fl__u64(struct fl *f, json_object *o, const char *key, uint64_t *v);
bool qz_fl__i64(struct fl *f, json_object *o, const char *key, int64_t *v);
/* null (a non-finite number) reads as NaN. */
bool qz_fl__f64(struct fl *f, json_object *o, const char *key, double *v);
bool qz_fl__str(struct fl *f, json_object *o, const char *key, const char **s);
bool qz_fl__array(struct fl *f, json_object *o, const char *key, json_object **a);
/* An array item that must be an object; sets f->where to "key[i]". */
bool qz_fl__item(struct fl *f, json_object *a, const char *key, size_t i,
		 json_object **item);
/* Absent: def; present with the wrong type: an error. */
bool qz_fl__opt_u64(struct fl *f, json_object *o, const char *key, uint64_t def,
		    uint64_t *v);
bool qz_fl__opt_i64(struct fl *f, json_object *o, const char *key, int64_t def,
		    int64_t *v);
bool qz_fl__opt_str(struct fl *f, json_object *o, const char *key, const char *def,
		    const char **s);
bool qz_fl__opt_bool(struct fl *f, json_object *o, const char *key, bool *v);

/* A new row of table t, its envelope written; values follow with col_*. */
struct qz_buf *qz_fl__row(struct fl *f, enum qz_fleet_table t);
static inline void qz_fl__end(struct qz_buf *b)
{
	qz_buf__put(b, "\n", 1);
}

static inline void col_u64(struct qz_buf *b, uint64_t v)
{
	qz_buf__put(b, "\t", 1);
	qz_buf__u64(b, v);
}

static inline void col_i64(struct qz_buf *b, int64_t v)
{
	qz_buf__put(b, "\t", 1);
	qz_buf__i64(b, v);
}

static inline void col_f64(struct qz_buf *b, double v)
{
	qz_buf__put(b, "\t", 1);
	qz_buf__f64(b, v);
}

static inline void col_str(struct qz_buf *b, const char *s)
{
	qz_buf__put(b, "\t", 1);
	qz_buf__str(b, s, strlen(s));
}

/* A stack array ([{"sym":..,"addr":..}], innermost first) folded root first. */
void qz_fl__fold_frames(struct qz_buf *b, json_object *stack);

#endif
