/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_SESSION_INTERNAL_H
#define QUAZAR_SESSION_INTERNAL_H

#include <quazar/session.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include <quazar/evsel.h>
#include <quazar/evlist.h>
#include <quazar/tasks.h>
#include <quazar/workload.h>
#include <quazar/tp.h>
#include <quazar/filter.h>
#include "../internal.h"

#define MAX_SESSION_EVENTS 256
#define QZ_SESSION_MAX_CPUS 1024

struct session_event {
	struct qz_event_spec *spec;	/* borrowed from a selector */
	char *name;			/* alias, sys:name, or the text */
	struct qz_tp_event *tp;		/* tracepoints only (borrowed from tp) */
	struct qz_evsel *evsel;		/* owned by the evlist */
	struct qz_filter *user_filter;	/* when the kernel cannot filter */
	uint64_t sample_type;
	uint64_t regs_user;		/* sample_regs_user mask, 0 = none */
	/* Set at open: where its samples' fields are, the sample they are
	 * parsed into (zeroed once: the layout writes only its fields) and
	 * the event the handler gets, which points at it. */
	struct qz_sample_layout *layout;
	struct qz_sample sample;
	struct qz_event event;
};

struct qz_session {
	const struct qz_session_ops *ops;
	const void *ops_opts;
	struct qz_env *env;
	struct qz_output *out;
	struct qz_logger log;
	void *ctx;			/* the handler's */
	void (*ready)(int err, void *ctx);
	void *ready_ctx;

	struct qz_selector selectors[QZ_MAX_EVENT_ARGS * 2];
	int nr_selectors;
	struct session_event events[MAX_SESSION_EVENTS];
	int nr_events;
	bool counting;
	uint64_t period, freq;		/* qz_session__set_sampling */
	bool track_tasks;
	uint64_t sample_fields;		/* what the handler reads (layouts) */
	struct session_id {
		uint64_t id;
		struct session_event *ev;
	} last,				/* the last sample's event, by id */
	  *ids;				/* every kernel id at open: open addressing */
	uint64_t ids_mask;		/* slots - 1, a power of two */

	struct qz_tp *tp;
	struct qz_evlist *evlist;
	struct qz_tasks *tasks;
	struct qz_workload *workload;

	struct qz_filter **exprs;	/* attrs' expressions: role=, key=, top-by= */
	int nr_exprs;

	int stop_fd;			/* eventfd: stop requested */
	volatile int stopping;
	struct {
		uint64_t samples, filtered, lost, late;
		uint64_t lost_per_cpu[QZ_SESSION_MAX_CPUS];
	} stats;
	uint64_t throttled;		/* THROTTLE records seen */
};

/* session_open.c */
int qz__session_open(struct qz_session *s);

/* The slot a kernel id hashes to in ids (Fibonacci hashing). */
static inline uint64_t qz__session_id_slot(const struct qz_session *s, uint64_t id)
{
	return (id * 0x9e3779b97f4a7c15ull >> 32) & s->ids_mask;
}

/* session_loop.c */
int qz__session_loop(struct qz_session *s);

#endif
