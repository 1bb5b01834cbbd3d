// SPDX-License-Identifier: MIT
/*
 * Flatteners of kvm (vm, vms), profile, trace (event) and lost records.
 * Lists inside one record (a summary's VMs, a profile's CPUs) become
 * parallel arrays of one row; lists that queries unnest (functions,
 * stacks) become rows of their own.
 */
#include <string.h>
#include "flatten.h"

static bool fl_vm(struct fl *f, json_object *r)
{
	uint64_t ts, pid, vms, vcpus, age;
	const char *event, *comm;
	struct qz_buf *b;

	if (!qz_fl__u64(f, r, "ts", &ts) || !qz_fl__str(f, r, "event", &event) ||
	    !qz_fl__u64(f, r, "pid", &pid) || !qz_fl__str(f, r, "comm", &comm) ||
	    !qz_fl__u64(f, r, "vms", &vms) || !qz_fl__u64(f, r, "vcpus", &vcpus) ||
	    !qz_fl__u64(f, r, "age_ns", &age))
		return false;
	b = qz_fl__row(f, QZ_FT_VM);
	col_u64(b, ts);
	col_str(b, event);
	col_u64(b, pid);
	col_str(b, comm);
	col_u64(b, vms);
	col_u64(b, vcpus);
	col_u64(b, age);
	qz_fl__end(b);
	return true;
}

/* One column of a list of objects: [v0,v1,...] from each item's key. */
enum kind { U64, I64, F64, STR };

static bool array_col(struct fl *f, struct qz_buf *b, json_object *list,
		      const char *list_name, const char *key, enum kind kind)
{
	json_object *item;

	qz_buf__put(b, "\t[", 2);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		uint64_t u;
		int64_t s;
		double d;
		const char *str;

		if (i)
			qz_buf__put(b, ",", 1);
		if (!qz_fl__item(f, list, list_name, i, &item))
			return false;
		switch (kind) {
		case U64:
			if (!qz_fl__u64(f, item, key, &u))
				return false;
			qz_buf__u64(b, u);
			break;
		case I64:
			if (!qz_fl__i64(f, item, key, &s))
				return false;
			qz_buf__i64(b, s);
			break;
		case F64:
			if (!qz_fl__f64(f, item, key, &d))
				return false;
			qz_buf__f64(b, d);
			break;
		case STR:
			if (!qz_fl__str(f, item, key, &str))
				return false;
			qz_buf__put(b, "'", 1);
			qz_buf__str(b, str, strlen(str));
			qz_buf__put(b, "'", 1);
			break;
		}
	}
	qz_buf__put(b, "]", 1);
	return true;
}

static bool fl_vms(struct fl *f, json_object *r)
{
	uint64_t alive, created, destroyed;
	json_object *vms;
	struct qz_buf *b;

	if (!qz_fl__u64(f, r, "alive", &alive) ||
	    !qz_fl__u64(f, r, "created", &created) ||
	    !qz_fl__u64(f, r, "destroyed", &destroyed) ||
	    !qz_fl__array(f, r, "vms", &vms))
		return false;
	b = qz_fl__row(f, QZ_FT_VMS);
	col_u64(b, alive);
	col_u64(b, created);
	col_u64(b, destroyed);
	if (!array_col(f, b, vms, "vms", "pid", U64) ||
	    !array_col(f, b, vms, "vms", "comm", STR) ||
	    !array_col(f, b, vms, "vms", "name", STR) ||
	    !array_col(f, b, vms, "vms", "vcpus", U64) ||
	    !array_col(f, b, vms, "vms", "age_ns", U64) ||
	    !array_col(f, b, vms, "vms", "exits", U64) ||
	    !array_col(f, b, vms, "vms", "user_exits", U64) ||
	    !array_col(f, b, vms, "vms", "guest_ns", U64))
		return false;
	qz_fl__end(b);
	return true;
}

static bool profile_functions(struct fl *f, json_object *r)
{
	json_object *fns, *fn;
	const char *sym, *module;
	uint64_t samples;
	double pct;
	struct qz_buf *b;

	if (!qz_fl__array(f, r, "functions", &fns))
		return false;
	for (size_t i = 0; i < json_object_array_length(fns); i++) {
		if (!qz_fl__item(f, fns, "functions", i, &fn) ||
		    !qz_fl__str(f, fn, "sym", &sym) ||
		    !qz_fl__opt_str(f, fn, "module", "", &module) ||
		    !qz_fl__u64(f, fn, "samples", &samples) ||
		    !qz_fl__f64(f, fn, "pct", &pct))
			return false;
		b = qz_fl__row(f, QZ_FT_PROFILE_FUNCTIONS);
		col_u64(b, i);
		col_str(b, sym);
		col_str(b, module);
		col_u64(b, samples);
		col_f64(b, pct);
		qz_fl__end(b);
	}
	return true;
}

/* Stacks as folded lines, "comm;root;...;leaf", what flame graphs read. */
static bool profile_stacks(struct fl *f, json_object *r)
{
	json_object *stacks, *st, *frames, *fr;
	const char *comm;
	uint64_t samples;
	struct qz_buf *b;

	/* Only with -g. */
	if (!json_object_object_get_ex(r, "stacks", NULL))
		return true;
	if (!qz_fl__array(f, r, "stacks", &stacks))
		return false;
	for (size_t i = 0; i < json_object_array_length(stacks); i++) {
		if (!qz_fl__item(f, stacks, "stacks", i, &st) ||
		    !qz_fl__u64(f, st, "samples", &samples) ||
		    !qz_fl__opt_str(f, st, "comm", "", &comm) ||
		    !qz_fl__array(f, st, "frames", &frames))
			return false;
		b = qz_fl__row(f, QZ_FT_PROFILE_STACKS);
		col_u64(b, i);
		col_str(b, comm);
		for (size_t k = 0; k < json_object_array_length(frames); k++) {
			const char *s;

			fr = json_object_array_get_idx(frames, k);
			if (!json_object_is_type(fr, json_type_string)) {
				snprintf(f->err, sizeof(f->err),
					 "stacks[%zu].frames[%zu] is not a string", i, k);
				return false;
			}
			s = json_object_get_string(fr);
			qz_buf__put(b, ";", 1);
			qz_buf__str(b, s, strlen(s));
		}
		col_u64(b, samples);
		qz_fl__end(b);
	}
	return true;
}

static bool fl_profile(struct fl *f, json_object *r)
{
	uint64_t period, samples;
	json_object *cpus;
	struct qz_buf *b;

	if (!qz_fl__u64(f, r, "period_ns", &period) ||
	    !qz_fl__u64(f, r, "samples", &samples) ||
	    !qz_fl__array(f, r, "cpus", &cpus))
		return false;
	b = qz_fl__row(f, QZ_FT_PROFILE);
	col_u64(b, period);
	col_u64(b, samples);
	if (!array_col(f, b, cpus, "cpus", "cpu", I64) ||
	    !array_col(f, b, cpus, "cpus", "samples", U64) ||
	    !array_col(f, b, cpus, "cpus", "idle", U64) ||
	    !array_col(f, b, cpus, "cpus", "busy_pct", F64))
		return false;
	qz_fl__end(b);
	return profile_functions(f, r) && profile_stacks(f, r);
}

static bool fl_event(struct fl *f, json_object *r)
{
	int64_t cpu, pid, tid;
	uint64_t ts, period;
	const char *event, *comm, *fields = "{}";
	json_object *fo, *stack = NULL;
	struct qz_buf *b;

	if (!qz_fl__u64(f, r, "ts", &ts) || !qz_fl__str(f, r, "event", &event) ||
	    !qz_fl__i64(f, r, "cpu", &cpu) || !qz_fl__i64(f, r, "pid", &pid) ||
	    !qz_fl__i64(f, r, "tid", &tid) || !qz_fl__opt_str(f, r, "comm", "", &comm) ||
	    !qz_fl__opt_u64(f, r, "period", 0, &period))
		return false;
	if (json_object_object_get_ex(r, "fields", &fo) && fo)
		fields = json_object_to_json_string_ext(fo, JSON_C_TO_STRING_PLAIN);
	json_object_object_get_ex(r, "stack", &stack);
	b = qz_fl__row(f, QZ_FT_EVENTS);
	col_u64(b, ts);
	col_str(b, event);
	col_i64(b, cpu);
	col_i64(b, pid);
	col_i64(b, tid);
	col_str(b, comm);
	col_str(b, fields);
	col_u64(b, period);
	qz_fl__fold_frames(b, stack);
	qz_fl__end(b);
	return true;
}

static bool fl_lost(struct fl *f, json_object *r)
{
	uint64_t lost;
	int64_t cpu;
	struct qz_buf *b;

	if (!qz_fl__i64(f, r, "cpu", &cpu) || !qz_fl__u64(f, r, "lost", &lost))
		return false;
	b = qz_fl__row(f, QZ_FT_LOST);
	col_i64(b, cpu);
	col_u64(b, lost);
	qz_fl__end(b);
	return true;
}

const struct qz_fl_type qz_fl_types_other[] = {
	{ "vm", fl_vm },
	{ "vms", fl_vms },
	{ "profile", fl_profile },
	{ "event", fl_event },
	{ "lost", fl_lost },
	{ NULL, NULL },
};
