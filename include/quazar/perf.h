/* SPDX-License-Identifier: MIT */
/*
 * The perf_event layer: event attrs, CPU and thread maps, events (evsel),
 * lists of events opened on CPUs x threads and mapped into rings (evlist),
 * counting, sample and record parsing, a task table and workloads.
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
 */
#ifndef QUAZAR_PERF_H
#define QUAZAR_PERF_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <quazar/common.h>
#include <quazar/ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * CPU maps: sorted, unique CPU numbers; refcounted.
 */
struct qz_cpu_map;

/*
 * Parse a list such as "0-3,6". NULL means the online CPUs. On a bad list
 * returns NULL with errno EINVAL and, when errbuf is given, a message.
 */
QZ_API struct qz_cpu_map *qz_cpu_map__new(const char *list, char *errbuf,
					  size_t errlen);
/* The online CPUs, from /sys/devices/system/cpu/online. */
QZ_API struct qz_cpu_map *qz_cpu_map__new_online(void);
/* A map of one entry, -1: "any CPU", for per-thread events. */
QZ_API struct qz_cpu_map *qz_cpu_map__new_any(void);
QZ_API struct qz_cpu_map *qz_cpu_map__get(struct qz_cpu_map *map);
/* Drop a reference; accepts NULL. */
QZ_API void qz_cpu_map__put(struct qz_cpu_map *map);
QZ_API int qz_cpu_map__nr(const struct qz_cpu_map *map);
/* CPU at idx, or -1 when out of range (also the "any" entry). */
QZ_API int qz_cpu_map__cpu(const struct qz_cpu_map *map, int idx);
/* Index of cpu in the map, or -ENOENT. */
QZ_API int qz_cpu_map__idx(const struct qz_cpu_map *map, int cpu);

/*
 * Thread maps: tids to open events for; refcounted. A single -1 entry means
 * any thread (system wide, needs CPUs).
 */
struct qz_thread_map;

QZ_API struct qz_thread_map *qz_thread_map__new_any(void);
/* Exactly these tids. */
QZ_API struct qz_thread_map *qz_thread_map__new_tids(const pid_t *tids,
						     int nr);
/* Each pid expanded to all its threads (/proc/PID/task); ESRCH if gone. */
QZ_API struct qz_thread_map *qz_thread_map__new_pids(const pid_t *pids,
						     int nr);
/*
 * From -p / -t style comma lists (either may be NULL, not both): pids are
 * expanded to their threads, tids taken as they are. NULL + errno EINVAL
 * (message in errbuf) on a bad list, ESRCH for a missing process.
 */
QZ_API struct qz_thread_map *qz_thread_map__new_str(const char *pids,
						    const char *tids,
						    char *errbuf, size_t errlen);
QZ_API struct qz_thread_map *qz_thread_map__get(struct qz_thread_map *map);
QZ_API void qz_thread_map__put(struct qz_thread_map *map);
QZ_API int qz_thread_map__nr(const struct qz_thread_map *map);
QZ_API pid_t qz_thread_map__tid(const struct qz_thread_map *map, int idx);

/*
 * Event attrs.
 */

/* Where sysfs and tracefs are, and where messages go. All optional. */
struct qz_attr_opts {
	size_t sz;
	const char *sysfs_root;	/* default "/sys"; tests point it elsewhere */
	const char *tracefs_dir; /* default: tracefs_tracing_dir() (mounts it) */
	qz_log_fn log;
	void *log_ctx;
	char *errbuf;		/* if set, the message of a failure */
	size_t errlen;
};

/* One entry of the hardware/software name table. */
struct qz_event_name {
	const char *name;
	const char *alias;	/* or NULL */
	uint32_t type;		/* PERF_TYPE_HARDWARE or PERF_TYPE_SOFTWARE */
	uint64_t config;
};

/* The name table (static); *nr gets its length. */
QZ_API const struct qz_event_name *qz_event_names(size_t *nr);
/*
 * Fill type/config for a hardware or software event name ("cycles",
 * "cs", ...). -QZ_ERR_UNKNOWN_EVENT for other names.
 */
QZ_API int qz_attr__named(struct perf_event_attr *attr, const char *name);
/* A tracepoint sys:name, its id read from tracefs events/SYS/NAME/id. */
QZ_API int qz_attr__tracepoint(struct perf_event_attr *attr, const char *sys,
			       const char *name,
			       const struct qz_attr_opts *opts);
/*
 * A hardware breakpoint. type is HW_BREAKPOINT_R/W/RW/X from
 * <linux/hw_breakpoint.h>; len 1, 2, 4 or 8 (X: sizeof(long)).
 */
QZ_API int qz_attr__breakpoint(struct perf_event_attr *attr, uint64_t addr,
			       uint64_t len, unsigned int type);
/* The same from "mem:ADDR[/LEN][:rwx]" (perf's syntax; default rw, 4 bytes). */
QZ_API int qz_attr__breakpoint_str(struct perf_event_attr *attr,
				   const char *text);
/*
 * A uprobe (or uretprobe) on path at symbol+offset (symbol NULL: offset is
 * a file offset). path is borrowed: config1 points at it, so it must live
 * until the event is opened.
 */
QZ_API int qz_attr__uprobe(struct perf_event_attr *attr, const char *path,
			   const char *symbol, uint64_t offset, bool retprobe,
			   const struct qz_attr_opts *opts);
/*
 * File offset of symbol (symtab, else dynsym) in the ELF file at path,
 * through the PT_LOAD segment that holds it.
 */
QZ_API int qz_elf__symbol_offset(const char *path, const char *symbol,
				 uint64_t *offset);

/*
 * Dynamic PMUs from SYSFS/bus/event_source/devices/NAME/{type,format/TERM}.
 */
struct qz_pmu;

QZ_API struct qz_pmu *qz_pmu__new(const char *name,
				  const struct qz_attr_opts *opts);
QZ_API void qz_pmu__free(struct qz_pmu *pmu);
QZ_API const char *qz_pmu__name(const struct qz_pmu *pmu);
QZ_API uint32_t qz_pmu__type(const struct qz_pmu *pmu);
QZ_API int qz_pmu__nr_formats(const struct qz_pmu *pmu);
/*
 * Format idx: its term name, which attr field (0 config, 1 config1,
 * 2 config2) and the mask of bits it covers there.
 */
QZ_API int qz_pmu__format(const struct qz_pmu *pmu, int idx, const char **name,
			  int *field, uint64_t *mask);
/*
 * Apply "term=value,term2,..." to attr: format terms scatter their value
 * over their bits; also period=, freq=, config=, config1=, config2= raw.
 * A term alone means =1. -QZ_ERR_PMU_TERM on an unknown term or a value
 * that does not fit, with a message naming it and the valid terms.
 */
QZ_API int qz_pmu__apply_terms(const struct qz_pmu *pmu,
			       struct perf_event_attr *attr, const char *terms,
			       const struct qz_attr_opts *opts);

/*
 * Counts.
 */
struct qz_counts {
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
QZ_API void qz_counts__scale(struct qz_counts *c);
/* *sum += *c, field by field, then rescale sum. */
QZ_API void qz_counts__add(struct qz_counts *sum, const struct qz_counts *c);
/*
 * Parse a read() result for read_format into counts: one entry, or nr for
 * PERF_FORMAT_GROUP (returns how many, at most max). -QZ_ERR_RECORD_SHORT
 * when buf is too short.
 */
QZ_API int qz_counts__parse(const void *buf, size_t len, uint64_t read_format,
			    struct qz_counts *counts, int max);

/*
 * Samples and records.
 */

/* How records were laid out: as the event's attr asked. */
struct qz_sample_format {
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t branch_sample_type;
	uint64_t sample_regs_user;
	uint64_t sample_regs_intr;
	bool sample_id_all;
};

QZ_API struct qz_sample_format qz_sample_format__from_attr(
	const struct perf_event_attr *attr);

/*
 * A parsed PERF_RECORD_SAMPLE (or the sample_id trailer of another record).
 * Fields whose bit is not in `type` are zero. Pointers are borrowed from
 * the record and are 8-byte aligned when the record is.
 */
struct qz_sample {
	uint64_t type;		/* the sample_type it was parsed with */
	uint64_t id;		/* IDENTIFIER, else ID */
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t addr;
	uint64_t stream_id;
	uint32_t cpu, cpu_res;
	uint64_t period;
	struct {
		uint64_t format;	/* read_format */
		uint64_t time_enabled, time_running;
		uint64_t nr;		/* entries in values */
		const uint64_t *values;	/* nr x {value, [id], [lost]} */
	} read;
	uint64_t callchain_nr;
	const uint64_t *callchain;
	uint32_t raw_size;
	const void *raw;
	struct {
		uint64_t nr;
		uint64_t hw_idx;	/* with PERF_SAMPLE_BRANCH_HW_INDEX */
		const struct perf_branch_entry *entries;
		const uint64_t *counters; /* PERF_SAMPLE_BRANCH_COUNTERS */
	} branch;
	struct {
		uint64_t abi;		/* 0: no regs */
		uint32_t nr;
		const uint64_t *regs;	/* nr, in mask bit order */
	} regs_user, regs_intr;
	struct {
		uint64_t size;
		const void *data;
		uint64_t dyn_size;
	} stack_user;
	uint64_t weight;	/* WEIGHT, or WEIGHT_STRUCT's whole u64 */
	uint64_t data_src;
	uint64_t transaction;
	uint64_t phys_addr;
	uint64_t cgroup;
	uint64_t data_page_size;
	uint64_t code_page_size;
	struct {
		uint64_t size;
		const void *data;
	} aux;
};

/* Every PERF_SAMPLE_* bit qz_sample__parse knows. */
#define QZ_SAMPLE_KNOWN_BITS                                                   \
	((uint64_t)(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |      \
		    PERF_SAMPLE_ADDR | PERF_SAMPLE_READ |                      \
		    PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_ID | PERF_SAMPLE_CPU | \
		    PERF_SAMPLE_PERIOD | PERF_SAMPLE_STREAM_ID |               \
		    PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK |               \
		    PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER |           \
		    PERF_SAMPLE_WEIGHT | PERF_SAMPLE_DATA_SRC |                \
		    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TRANSACTION |         \
		    PERF_SAMPLE_REGS_INTR | PERF_SAMPLE_PHYS_ADDR |            \
		    PERF_SAMPLE_AUX | PERF_SAMPLE_CGROUP |                     \
		    PERF_SAMPLE_DATA_PAGE_SIZE | PERF_SAMPLE_CODE_PAGE_SIZE |  \
		    PERF_SAMPLE_WEIGHT_STRUCT))

/*
 * Parse a PERF_RECORD_SAMPLE, or the sample_id trailer of any other kernel
 * record (when fmt->sample_id_all). -QZ_ERR_RECORD_SHORT when the record
 * ends before its fields do: nothing past rec->size is ever read.
 */
QZ_API int qz_sample__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_sample *sample);
/* Read entry i of sample->read: value, and id/lost when the format has them. */
QZ_API int qz_sample__read_entry(const struct qz_sample *sample, uint64_t i,
				 uint64_t *value, uint64_t *id, uint64_t *lost);

/* The other kernel records, parsed. Strings are borrowed from the record. */
struct qz_record {
	uint32_t type;		/* PERF_RECORD_* */
	uint16_t misc;
	union {
		struct { uint64_t id, lost; } lost;		/* LOST */
		struct { uint64_t lost; } lost_samples;	/* LOST_SAMPLES */
		struct { uint64_t time, id, stream_id; } throttle; /* (UN)THROTTLE */
		struct {
			uint32_t pid, tid;
			const char *comm;
			bool exec;
		} comm;
		struct { uint32_t pid, ppid, tid, ptid; uint64_t time; } task; /* FORK, EXIT */
		struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			bool has_build_id;
			uint32_t maj, min;
			uint64_t ino, ino_generation;
			uint8_t build_id_size;
			const uint8_t *build_id;
			uint32_t prot, flags;
			const char *filename;
		} mmap2;
	};
	struct qz_sample id;	/* the sample_id trailer */
};

/*
 * Parse LOST, LOST_SAMPLES, THROTTLE, UNTHROTTLE, COMM, FORK, EXIT and
 * MMAP2 (with their sample_id trailer). -ENOTSUP for other types,
 * -QZ_ERR_RECORD_SHORT for a truncated one.
 */
QZ_API int qz_record__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_record *out);

/*
 * Events.
 */
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
/* Opaque pointer for the caller (profiler state). */
QZ_API void qz_evsel__set_priv(struct qz_evsel *evsel, void *priv);
QZ_API void *qz_evsel__priv(const struct qz_evsel *evsel);

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

/*
 * Lists of events sharing maps and rings.
 */
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
 * Scope every event to a cgroup: path absolute, or relative to the cgroup
 * mount that has perf_event (the v2 one, or the v1 perf_event one). The
 * thread map becomes "any"; CPUs stay per-CPU.
 */
QZ_API int qz_evlist__set_cgroup(struct qz_evlist *evlist, const char *path);

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

struct qz_lost_stats {
	uint64_t lost;		/* PERF_RECORD_LOST: ring full */
	uint64_t lost_samples;	/* PERF_RECORD_LOST_SAMPLES */
	uint64_t records;	/* LOST/LOST_SAMPLES records seen */
};
/* Lost counters of ring idx, or (idx -1) summed over every ring. */
QZ_API int qz_evlist__lost(const struct qz_evlist *evlist, int idx,
			   struct qz_lost_stats *stats);

/*
 * The task table: pid/tid -> comm from COMM/FORK/EXIT records, keeping a
 * bounded number of exited tasks so late events keep their names.
 */
struct qz_tasks;

struct qz_tasks_opts {
	size_t sz;
	size_t max_exited;	/* exited tasks kept; 0 means 4096 */
	const char *proc_root;	/* default "/proc" */
	bool no_proc;		/* never read /proc (tests) */
};

QZ_API struct qz_tasks *qz_tasks__new(const struct qz_tasks_opts *opts);
QZ_API void qz_tasks__free(struct qz_tasks *tasks);
QZ_API int qz_tasks__set_comm(struct qz_tasks *tasks, pid_t pid, pid_t tid,
			      const char *comm);
/* A new task inherits its parent thread's comm. */
QZ_API int qz_tasks__fork(struct qz_tasks *tasks, pid_t pid, pid_t tid,
			  pid_t ppid, pid_t ptid);
/* Mark exited: kept until max_exited newer exits push it out. */
QZ_API void qz_tasks__exit(struct qz_tasks *tasks, pid_t pid, pid_t tid);
/* Feed a COMM/FORK/EXIT record (others ignored). */
QZ_API int qz_tasks__record(struct qz_tasks *tasks,
			    const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt);
/*
 * The comm of tid (borrowed until the next change to the table); falls
 * back to /proc/PID/task/TID/comm for tasks from before tracing. NULL if
 * unknown.
 */
QZ_API const char *qz_tasks__comm(struct qz_tasks *tasks, pid_t tid);
/* The pid (thread group) of tid, or -ENOENT. */
QZ_API pid_t qz_tasks__pid(struct qz_tasks *tasks, pid_t tid);
QZ_API size_t qz_tasks__nr(const struct qz_tasks *tasks);

/*
 * Workloads: a command forked now, held before exec until started, so the
 * events opened on its pid see it from its first instruction.
 */
struct qz_workload;

/* Fork argv (argv[0] looked up in PATH). NULL + errno on failure. */
QZ_API struct qz_workload *qz_workload__prepare(char *const argv[]);
QZ_API pid_t qz_workload__pid(const struct qz_workload *wl);
/*
 * Let the child exec. Returns 0, or -errno of a failed exec (e.g. -ENOENT)
 * once the child reports it.
 */
QZ_API int qz_workload__start(struct qz_workload *wl);
/*
 * Wait for the child to exit (blocking unless nohang). Returns 1 and
 * *status as from waitpid when it exited, 0 when still running (nohang).
 */
QZ_API int qz_workload__wait(struct qz_workload *wl, bool nohang, int *status);
/* Kill (SIGKILL) and reap if still running; accepts NULL. */
QZ_API void qz_workload__free(struct qz_workload *wl);

/* Open a cgroup directory for PERF_FLAG_PID_CGROUP (see set_cgroup). */
QZ_API int qz_cgroup__open(const char *path);

#ifdef __cplusplus
}
#endif

#endif
