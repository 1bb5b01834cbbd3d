/* SPDX-License-Identifier: MIT */
/*
 * multi-trace's runtime, built from a resolved configuration so it runs
 * the same behind a live session (mt_setup.c) and in the benchmark.
 */
#ifndef QUAZAR_PROFILERS_MULTI_TRACE_H
#define QUAZAR_PROFILERS_MULTI_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include "detail.h"
#include "relations.h"

struct qz_session;
struct qz_event;
struct qz_output;
struct qz_filter;

struct mt_config {
	struct qz_session *session;	/* for names and output; may be NULL */
	int nr_events;
	const struct mt_event_cfg *events;
	int nr_pos;
	bool cycle, perins, key_tid, has_key_field;
	bool key_comm;			/* the key is a pid: show its comm (--perins) */
	const char *key_name;		/* the perins column */
	const struct qz_filter *printkey; /* printkey=: the perins key as text */
	enum mt_impl impl;
	uint64_t than, lower, max_keys;
	bool only_than;			/* --only-than: a table only past than */
	bool detail;
	struct mt_detail_opts dopts;
	size_t detail_max_bytes;
	const char *heatmap;		/* SVG path, or NULL */
	const char *flame_graph;	/* FILE of FILE.folded/.svg, or NULL */
	uint64_t heatmap_col_ns;
};

/*
 * The sample fields multi-trace reads (qz_session__set_sample_fields): pid
 * and tid, time, cpu, the tracepoint fields and the callchain. Key and role
 * expressions may read anything: then all of them.
 */
#define MT_SAMPLE_FIELDS                                                   \
	((uint64_t)(PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |   \
		    PERF_SAMPLE_RAW | PERF_SAMPLE_CALLCHAIN))

struct mt;

struct mt *qz_mt__new(const struct mt_config *cfg);
void qz_mt__free(struct mt *m);
/* The profiler callbacks, on a struct mt. */
void qz_mt__sample(void *ctx, const struct qz_event *ev);
void qz_mt__interval(void *ctx, struct qz_output *out, bool final);
/* SIGUSR1: the pending keys and the statistics so far, nothing reset. */
void qz_mt__status(void *ctx, struct qz_output *out);

#endif
