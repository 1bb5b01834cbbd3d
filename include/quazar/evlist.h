/* SPDX-License-Identifier: MIT */
/*
 * Lists of events (evlist) sharing CPU and thread maps, opened together
 * and mapped into rings that are read in time order.
 *
 * A typical sampling session:
 *
 *	struct qz_evlist *el = qz_evlist__new(&opts);
 *	qz_evlist__add(el, qz_evsel__new_from_spec(&spec, &attr_opts));
 *	qz_evlist__set_maps(el, cpus, threads);   // NULL: online CPUs, any thread
 *	qz_evlist__open(el);
 *	qz_evlist__mmap(el);                      // one ring per CPU
 *	qz_evlist__enable(el);
 *	... poll qz_evlist__ring_fd(el, i) ...
 *	qz_evlist__read(el, QZ_ORDERED_ALL, on_record, ctx);  // time ordered
 *	   on_record: qz_evlist__parse_sample(el, rec, &sample)
 *	qz_evlist__free(el);
 *
 * (qz_evsel__new_from_spec is select.h's; qz_evsel__new takes an attr.)
 */
#ifndef QUAZAR_EVLIST_H
#define QUAZAR_EVLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include <quazar/common.h>
#include <quazar/ring.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include <quazar/event.h>
#include <quazar/evsel.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_evlist;

/*
 * Ring sizing. Waking the reader on every event costs the traced program
 * ~14 us per event on a VM, so rings are large and wake at a watermark: a
 * 2M-event burst of small samples then costs a few hundred wakeups.
 */
#define QZ_DEFAULT_RING_PAGES 1024	/* 4 MiB per CPU with 4 KiB pages */

struct qz_evlist_opts {
	size_t sz;
	/* COMM/FORK/EXIT records from the first event, for a task table. */
	bool track_tasks;
	/* Children follow their parent (workloads); per-CPU rings only. */
	bool inherit;
	/* Data pages per ring, a power of two; 0: QZ_DEFAULT_RING_PAGES. */
	size_t ring_pages;
	/* Wake the reader after this many bytes; 0: a quarter of the ring. */
	uint32_t watermark_bytes;
	/* Wake on every event instead (costly; for latency-bound tools). */
	bool wakeup_every_event;
	/*
	 * A filter the kernel rejects at open does not fail the open: the
	 * event runs unfiltered and qz_evsel__filter_error() says so, for the
	 * caller to filter in user space.
	 */
	bool filter_fallback;
	qz_log_fn log;
	void *log_ctx;
	/*
	 * MMAP2 records of executable mappings from the first event, for a
	 * map cache (quazar/stack.h); with build-ids where the kernel gives
	 * them (attr.build_id, Linux 5.12). Data mappings are not asked for:
	 * no code runs from them, and they would cost a record per mmap.
	 */
	bool track_maps;
};

QZ_API struct qz_evlist *qz_evlist__new(const struct qz_evlist_opts *opts);
/* Close, unmap and free every evsel; accepts NULL. */
QZ_API void qz_evlist__free(struct qz_evlist *evlist);
/* Take ownership of evsel (on error too: it is freed). NULL evsel: -errno. */
QZ_API int qz_evlist__add(struct qz_evlist *evlist, struct qz_evsel *evsel);
QZ_API int qz_evlist__nr_evsels(const struct qz_evlist *evlist);
QZ_API struct qz_evsel *qz_evlist__evsel(struct qz_evlist *evlist, int idx);
/* References are taken; NULL cpus = online CPUs, NULL threads = any. */
QZ_API int qz_evlist__set_maps(struct qz_evlist *evlist, struct qz_cpu_map *cpus,
			       struct qz_thread_map *threads);
QZ_API struct qz_cpu_map *qz_evlist__cpus(struct qz_evlist *evlist);
QZ_API struct qz_thread_map *qz_evlist__threads(struct qz_evlist *evlist);
/*
 * Scope every event to cgroups: path is one or a comma list, each
 * absolute or relative to the cgroup mount that has perf_event (the v2
 * one, or the v1 perf_event one). Each cgroup is a column of the thread
 * map (its tid is -1, "any"); CPUs stay per-CPU.
 */
QZ_API int qz_evlist__set_cgroup(struct qz_evlist *evlist, const char *path);
/*
 * While running (after mmap, per-CPU rings): open a copy of evsel for
 * threads (NULL: evsel's own) with filter (NULL: none), its records going
 * into the rings of its CPUs, enabled if the evlist is. The copy has
 * evsel's priv, so its samples read as evsel's; the evlist owns it. For
 * threads created while a session runs (--ptrace). NULL + errno
 * (EOPNOTSUPP for per-thread rings, cgroups or groups).
 */
QZ_API struct qz_evsel *qz_evlist__add_clone(struct qz_evlist *evlist,
					     struct qz_evsel *evsel,
					     struct qz_thread_map *threads,
					     const char *filter);

/*
 * Open every event. Before opening, every event gets sample_id_all and
 * PERF_SAMPLE_IDENTIFIER, the union of the sample_id bits (TID, TIME, CPU,
 * ID, STREAM_ID) of all events so the ordered reader sees one layout,
 * TOTAL_TIME_ENABLED/RUNNING|ID read formats, and GROUP for group leaders.
 * Events start disabled (enable with qz_evlist__enable) and filters set
 * with qz_evsel__set_filter_str are applied; a filter the kernel rejects
 * fails the open unless the opts ask for filter_fallback.
 *
 * To count a task (stat -p / -- cmd) use the "any" CPU map: per-CPU task
 * counters have time_running below time_enabled on every CPU the task was
 * not on, which scaling would take for multiplexing.
 */
QZ_API int qz_evlist__open(struct qz_evlist *evlist);
QZ_API void qz_evlist__close(struct qz_evlist *evlist);
QZ_API int qz_evlist__enable(struct qz_evlist *evlist);
QZ_API int qz_evlist__disable(struct qz_evlist *evlist);

/*
 * Map one ring per CPU (or, with the "any" CPU map, one per thread) sized
 * by the evlist opts: the first sampling fd of each is mapped and the
 * others are redirected into it with PERF_EVENT_IOC_SET_OUTPUT. Events
 * that only count get no ring.
 */
QZ_API int qz_evlist__mmap(struct qz_evlist *evlist);
QZ_API int qz_evlist__nr_rings(const struct qz_evlist *evlist);
/* The ring (borrowed), its fd to poll, and its CPU (-1 per-thread). */
QZ_API struct qz_ring *qz_evlist__ring(struct qz_evlist *evlist, int idx);
QZ_API int qz_evlist__ring_fd(const struct qz_evlist *evlist, int idx);
QZ_API int qz_evlist__ring_cpu(const struct qz_evlist *evlist, int idx);
/* The sample layout shared by every event, for qz_ordered_opts. */
QZ_API struct qz_sample_format qz_evlist__sample_format(
	const struct qz_evlist *evlist);
/*
 * A new ordered reader over every ring, ring ids being ring indexes;
 * owned by the caller. opts may be NULL; its sample_type is overridden.
 */
QZ_API struct qz_ordered *qz_evlist__new_ordered(struct qz_evlist *evlist,
						 const struct qz_ordered_opts *opts);
/*
 * Read every ring in time order through an internal ordered reader up to
 * cutoff, counting LOST records, and hand each record on. Returns how
 * many were emitted.
 */
QZ_API int64_t qz_evlist__read(struct qz_evlist *evlist, uint64_t cutoff,
			       qz_record_fn emit, void *ctx);
/* The evsel whose fd has this kernel id, or NULL (borrowed). */
QZ_API struct qz_evsel *qz_evlist__evsel_by_id(struct qz_evlist *evlist,
					       uint64_t id);
/* The evsel of a record (via its identifier), or NULL. */
QZ_API struct qz_evsel *qz_evlist__evsel_of(struct qz_evlist *evlist,
					    const struct perf_event_header *rec);
/* Parse a sample with the format of the evsel it came from. */
QZ_API int qz_evlist__parse_sample(struct qz_evlist *evlist,
				   const struct perf_event_header *rec,
				   struct qz_sample *sample,
				   struct qz_evsel **evsel);
/*
 * Account a record seen by a caller reading rings itself: LOST and
 * LOST_SAMPLES add to the ring's lost counter. Returns true if it was one.
 */
QZ_API bool qz_evlist__account(struct qz_evlist *evlist,
			       const struct perf_event_header *rec,
			       int ring_idx);

/* The caller sets sz (see QZ_OPTS); -EINVAL when it is too small. */
struct qz_lost_stats {
	size_t sz;		/* the caller's sizeof (QZ_OPTS) */
	uint64_t lost;		/* PERF_RECORD_LOST: ring full */
	uint64_t lost_samples;	/* PERF_RECORD_LOST_SAMPLES */
	uint64_t records;	/* LOST/LOST_SAMPLES records seen */
};
/* Lost counters of ring idx, or (idx -1) summed over every ring. */
QZ_API int qz_evlist__lost(const struct qz_evlist *evlist, int idx,
			   struct qz_lost_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
