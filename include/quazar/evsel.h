/* SPDX-License-Identifier: MIT */
/*
 * Events (evsel): one perf_event_attr opened on every CPU x thread of its
 * maps, with groups, filters and counter reads (struct qz_counts).
 */
#ifndef QUAZAR_EVSEL_H
#define QUAZAR_EVSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include <quazar/common.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include <quazar/event.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Counter values as read() gives them, scaled for multiplexing. The caller
 * sets sz (see QZ_OPTS); every function taking counts returns -EINVAL when
 * it is too small.
 */
struct qz_counts {
	size_t sz;		/* the caller's sizeof (QZ_OPTS) */
	uint64_t val;		/* raw value */
	uint64_t ena;		/* time enabled */
	uint64_t run;		/* time running */
	uint64_t id;
	uint64_t lost;
	/* Filled by qz_counts__scale: */
	double scaled;		/* val * ena / run; 0 when run == 0 */
	double running_pct;	/* 100 * run / ena; 0 when never ran */
	bool not_counted;	/* run == 0: the event never got a counter */
};

/* Fill scaled, running_pct and not_counted from val/ena/run. */
QZ_API int qz_counts__scale(struct qz_counts *c);
/* *sum += *c, field by field, then rescale sum. */
QZ_API int qz_counts__add(struct qz_counts *sum, const struct qz_counts *c);
/*
 * Parse a read() result for read_format into counts: one entry, or nr for
 * PERF_FORMAT_GROUP (returns how many, at most max). -QZ_ERR_RECORD_SHORT
 * when buf is too short. counts is an array of entries counts[0].sz bytes
 * each: set sz in the first; every entry filled gets it.
 */
QZ_API int qz_counts__parse(const void *buf, size_t len, uint64_t read_format,
			    struct qz_counts *counts, int max);

struct qz_evsel;

/* An event from an attr (copied); name is copied and used in messages. */
QZ_API struct qz_evsel *qz_evsel__new(const struct perf_event_attr *attr,
				      const char *name);
/* Close and free; accepts NULL. Never call on an evsel owned by an evlist. */
QZ_API void qz_evsel__free(struct qz_evsel *evsel);
/* The attr, editable until the event is opened (borrowed). */
QZ_API struct perf_event_attr *qz_evsel__attr(struct qz_evsel *evsel);
QZ_API const char *qz_evsel__name(const struct qz_evsel *evsel);
/* Make evsel a member of leader's group; call before open. */
QZ_API int qz_evsel__set_leader(struct qz_evsel *evsel, struct qz_evsel *leader);
QZ_API struct qz_evsel *qz_evsel__leader(struct qz_evsel *evsel);
/* A filter given to the kernel at open (copied); NULL clears it. */
QZ_API int qz_evsel__set_filter_str(struct qz_evsel *evsel, const char *filter);
/*
 * Run BPF program prog_fd (borrowed: keep it open while the event is) on
 * every sample of the event: PERF_EVENT_IOC_SET_BPF on each fd, now if the
 * event is open, else when it opens (and on the clones of qz_evlist__add_clone).
 * A perf_event program returning 0 drops the sample; a tracepoint or
 * uprobe program returning 0 drops the event. The program type must fit
 * the event: the kernel refuses the others (-EINVAL, logged with a hint).
 * -EEXIST when the event has another program. Beware tracepoints: the
 * kernel runs one array of programs per tracepoint, for every perf event
 * on it, so the program runs once per hit and a 0 drops the event for
 * every perf user of that tracepoint on the machine, not only this one.
 */
QZ_API int qz_evsel__set_bpf(struct qz_evsel *evsel, int prog_fd);
/*
 * Enable the event only on these CPUs of those it is opened on (a
 * reference is taken; NULL: all). It stays disabled on the others, so
 * its fds keep the shape of its maps. Call before open.
 */
QZ_API int qz_evsel__set_only_cpus(struct qz_evsel *evsel, struct qz_cpu_map *cpus);
/* Opaque pointer for the caller (profiler state). */
QZ_API void qz_evsel__set_priv(struct qz_evsel *evsel, void *priv);
QZ_API void *qz_evsel__priv(const struct qz_evsel *evsel);

/*
 * Open a cgroup directory for PERF_FLAG_PID_CGROUP: the cgroup_fd below
 * (see qz_evlist__set_cgroup).
 */
QZ_API int qz_cgroup__open(const char *path);

struct qz_evsel_open_opts {
	size_t sz;
	int cgroup_fd;		/* >= 0: scope to this cgroup (needs CPUs) */
	bool filter_fallback;	/* see qz_evlist_opts */
	qz_log_fn log;
	void *log_ctx;
};

/*
 * Open on every CPU x thread of the maps (references taken). When one open
 * fails the fds already opened are closed, a line naming the event, CPU,
 * thread and a hint is logged, and the error returned (-QZ_ERR_NOT_SUPPORTED
 * for hardware the machine lacks).
 */
QZ_API int qz_evsel__open(struct qz_evsel *evsel, struct qz_cpu_map *cpus,
			  struct qz_thread_map *threads,
			  const struct qz_evsel_open_opts *opts);
QZ_API void qz_evsel__close(struct qz_evsel *evsel);
/* fd for cpu_idx x thread_idx, or -1. */
QZ_API int qz_evsel__fd(const struct qz_evsel *evsel, int cpu_idx,
			int thread_idx);
/* Kernel ids (PERF_EVENT_IOC_ID) of every fd, for matching samples. */
QZ_API int qz_evsel__nr_ids(const struct qz_evsel *evsel);
QZ_API uint64_t qz_evsel__id(const struct qz_evsel *evsel, int idx);
QZ_API int qz_evsel__enable(struct qz_evsel *evsel);
QZ_API int qz_evsel__disable(struct qz_evsel *evsel);
/*
 * Sample every period events (ns for clocks) from now on, on one CPU's
 * fds (every thread's); cpu_idx -1: on all. PERF_EVENT_IOC_PERIOD takes
 * effect at once. 0 or -errno.
 */
QZ_API int qz_evsel__set_period(struct qz_evsel *evsel, int cpu_idx, uint64_t period);
/*
 * PERF_EVENT_IOC_SET_FILTER on every fd. The kernel's error is returned as
 * it is (e.g. -EINVAL) so the caller can fall back to a user-space filter.
 * The kernel takes one filter per event: a second one gives -EEXIST.
 */
QZ_API int qz_evsel__apply_filter(struct qz_evsel *evsel, const char *filter);
/* 0 when the filter set before open is in the kernel (or there is none),
 * else the kernel's error (with filter_fallback). */
QZ_API int qz_evsel__filter_error(const struct qz_evsel *evsel);
/* Read one fd (scaled); with a group format, this evsel's entry of it. */
QZ_API int qz_evsel__read(struct qz_evsel *evsel, int cpu_idx, int thread_idx,
			  struct qz_counts *counts);
/* Sum over every CPU x thread (scaled). */
QZ_API int qz_evsel__read_total(struct qz_evsel *evsel,
				struct qz_counts *counts);
QZ_API struct qz_sample_format qz_evsel__sample_format(
	const struct qz_evsel *evsel);

#ifdef __cplusplus
}
#endif

#endif
