/* SPDX-License-Identifier: MIT */
/* The tracepoint layer's objects, shared by its files. */
#ifndef QUAZAR_TP_INTERNAL_H
#define QUAZAR_TP_INTERNAL_H

#include <errno.h>
#include <event-parse.h>
#include <trace-seq.h>
#include <quazar/tp.h>
#include "../internal.h"

struct qz_tp_field {
	const char *name;		/* borrowed from the tep field */
	const char *type;
	unsigned offset, size, elem_size, flags;
	/*
	 * How u64/s64 read it: bounded by end (offset + size); when word,
	 * one 8-byte load ending at end, shifted right by shift (an
	 * arithmetic shift sign-extends), instead of a switch on size.
	 */
	unsigned end;
	bool word;
	uint8_t shift;
};

struct qz_tp_event {
	struct qz_tp *tp;
	struct tep_event *tep;
	int id;
	int nr_fields;
	struct qz_tp_field *fields;
	size_t min_size;
	int type_field;			/* index of common_type, -1 if none */
};

struct qz_tp {
	struct tep_handle *tep;
	char *dir;			/* NULL when offline */
	struct qz_tp_event **events;
	int nr_events, cap_events;
	struct trace_seq seq;
	uint8_t *scratch;		/* a padded copy of the record to print */
	size_t scratch_size;
	struct qz_logger log;
};

/* fields.c: wrap a parsed tep event (field table, sizes). */
struct qz_tp_event *qz__tp_event_new(struct qz_tp *tp, struct tep_event *e);
void qz__tp_event_free(struct qz_tp_event *ev);

/*
 * tp.c: libtraceevent's handle (borrowed). Private: the public API covers
 * what callers need, so libtraceevent stays out of the public headers.
 */
struct tep_handle *qz__tp_tep(struct qz_tp *tp);
/* Every "sys:name" known (tracefs + added), sorted, unique. */
int qz__tp_names(struct qz_tp *tp, char ***names, size_t *nr);
void qz__tp_names_free(char **names, size_t nr);

#endif
