/* SPDX-License-Identifier: MIT */
/* What the perf layer's files share. */
#ifndef QUAZAR_PERF_INTERNAL_H
#define QUAZAR_PERF_INTERNAL_H

#include <stdint.h>
#include <quazar/attr.h>
#include <quazar/cpumap.h>
#include <quazar/event.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include <quazar/tasks.h>
#include <quazar/threadmap.h>
#include <quazar/workload.h>
#include "../internal.h"

struct qz_cpu_map {
	int refcnt;
	int nr;
	int cpus[];
};

struct qz_thread_map {
	int refcnt;
	int nr;
	pid_t tids[];
};

struct qz_evsel {
	struct perf_event_attr attr;
	char *name;
	char *filter; /* applied at open */
	char *uprobe_path; /* config1 points here */
	struct qz_evsel *leader; /* self when not in a group */
	int group_idx; /* position in the leader's group */
	int nr_members; /* leader only, itself included */
	int idx; /* in the evlist */
	struct qz_cpu_map *cpus;
	struct qz_cpu_map *only_cpus; /* enabled on these alone; NULL: all */
	struct qz_thread_map *threads;
	int *fds; /* cpus->nr x threads->nr */
	uint64_t *ids; /* same shape */
	bool open;
	struct qz_sample_format fmt; /* of attr, fixed once open */
	int filter_err; /* kernel's answer to filter at open */
	bool in_evlist;
	void *priv;
	struct qz_logger log;
	int bpf_fd; /* a BPF program attached at open, or -1 (borrowed) */
};

static inline int *evsel_fdp(const struct qz_evsel *e, int cpu_idx,
			     int thread_idx)
{
	return &e->fds[cpu_idx * e->threads->nr + thread_idx];
}

/* evsel.c */
int qz__evsel_open(struct qz_evsel *evsel, struct qz_cpu_map *cpus,
		   struct qz_thread_map *threads, const int *cgroup_fds,
		   int nr_cgroups, bool filter_fallback,
		   const struct qz_logger *log);
/* threadmap.c: n entries of -1 (a column per cgroup). */
struct qz_thread_map *qz__thread_map_any_n(int n);
bool qz__evsel_samples(const struct qz_evsel *evsel);
/* Is fd i (cpu index i / threads) one to enable? (qz_evsel__set_only_cpus) */
bool qz__evsel_fd_enabled(const struct qz_evsel *evsel, int i);
/* Point config1 at a copy of path that lives as long as the evsel. */
int qz__evsel_own_uprobe_path(struct qz_evsel *evsel, const char *path);

/*
 * attr.c: the kernel samples a software event, a tracepoint or a probe on
 * every hit when its samples carry PERF_SAMPLE_PERIOD (perf_swevent_event
 * reports each hit with its own period): a sample_period of N then has no
 * effect. Such an event with a period above 1 leaves PERIOD out, so the
 * kernel counts N hits per sample. probe: a uprobe (its PMU type is
 * dynamic).
 */
void qz__attr_honour_period(struct perf_event_attr *attr, bool probe);

/*
 * sample.c: PERF_SAMPLE_READ's group or value at *p, bounded by end, into
 * s->read (as qz_sample__parse does); *p is moved past it.
 */
int qz__sample_parse_read(const uint8_t **p, const uint8_t *end,
			  uint64_t read_format, struct qz_sample *s);

/* The first struct qz_counts callers can have. */
#define COUNTS_SZ_V1 QZ_OFFSETOFEND(struct qz_counts, not_counted)

/* sysfs.c: small helpers for files under sysfs, tracefs and /proc. */
int qz_read_file(const char *path, char *buf, size_t len);
int qz_read_u64_file(const char *path, uint64_t *val);
void qz_set_err(const struct qz_attr_opts *opts, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cpumap.c */
int qz_parse_int_list(const char *list, long max, int **out, int *nr,
		      char *errbuf, size_t errlen);

#endif
