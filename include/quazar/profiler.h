/* SPDX-License-Identifier: MIT */
/*
 * Profilers and the options they share. A profiler is a const table of
 * callbacks; a session (session.h) opens its events, reads the rings and
 * calls it. All per-instance state lives in the context init returns.
 */
#ifndef QUAZAR_PROFILER_H
#define QUAZAR_PROFILER_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QZ_MAX_EVENT_ARGS 16

/*
 * Options as given on the command line (or in an agent collector's
 * `options`), perf-prof compatible. Times are in nanoseconds, 0 = unset.
 * Strings are owned by the env.
 */
struct qz_env {
	/* Events: each -e, in order (multi-trace relates them in order). */
	char *events[QZ_MAX_EVENT_ARGS];
	int nr_events;
	char *cpus, *pids, *tids, *cgroup;
	uint64_t interval_ns;		/* -i, given in ms */
	uint64_t mmap_pages;		/* -m, per CPU; 0 = default */
	int watermark;			/* --watermark percent; -1 = default */
	uint64_t exit_n;		/* -N */
	char *output;			/* -o */
	bool order;			/* --order */
	uint64_t order_window_ns;	/* --order-window, given in ms */
	bool callchain;			/* -g */
	bool json;			/* --json */
	bool exclude_user, exclude_kernel, exclude_guest, exclude_host;
	bool user_callchain, kernel_callchain; /* default true */
	int verbose;
	bool quiet;
	bool inherit;
	bool monotonic, tsc;

	/* Profiler-specific options; each profiler lists those it reads. */
	char *key;			/* -k */
	char *filter;			/* --filter */
	uint64_t period;		/* --period */
	uint64_t freq;			/* -F */
	uint64_t than, only_than, lower;
	char *alloc, *free;		/* kmemleak */
	bool perins;
	char *flame_graph;
	char *heatmap;
	char *detail;			/* --detail[=...], "" when bare */
	bool overwrite;
	bool only_comm;
	bool cycle;
	char *impl;
	bool interruptible, uninterruptible; /* -S, -D */
	bool no_interruptible;

	/* After `--`: a command to run and trace. NULL-terminated, borrowed. */
	char **workload;
};

QZ_API void qz_env__free(struct qz_env *env);

struct qz_event;	/* one decoded event: see session.h */
struct qz_session;
struct qz_output;

struct qz_profiler {
	const char *name;
	const char *help;	/* one line, for `quazar --help` */
	const char *usage;	/* examples and notes, for `quazar NAME -h` */
	/* Names of the non-common options it reads (long names), NULL-ended. */
	const char *const *options;
	unsigned default_interval_ms;	/* 0: report only at exit */
	bool default_order;
	/* Its results do not depend on event order: without --order the
	 * session reads the rings one after another instead of merging. */
	bool any_order;

	/* Check options, add events to the session; *ctx is its state. */
	int (*init)(struct qz_session *session, void **ctx);
	void (*sample)(void *ctx, const struct qz_event *event);
	/* Events the kernel dropped on a CPU (-1: unknown). */
	void (*lost)(void *ctx, int cpu, uint64_t lost);
	/* Report what was gathered since the last call; final at exit. */
	void (*interval)(void *ctx, struct qz_output *out, bool final);
	void (*deinit)(void *ctx);
};

/* The profilers, in the order `quazar --help` lists them. */
QZ_API const struct qz_profiler *const *qz_profilers(void);
QZ_API const struct qz_profiler *qz_profiler__find(const char *name);

/*
 * Parse argv (argv[0] is the profiler's name) into a new env. Options the
 * profiler does not read are refused by name. NULL + errno on error, with
 * the message (naming the option and a fix) in err.
 */
QZ_API struct qz_env *qz_env__parse(const struct qz_profiler *prof, int argc,
				    char **argv, char *err, size_t err_len);
/* Print the common and the profiler's options, for -h. */
QZ_API void qz_env__usage(const struct qz_profiler *prof, FILE *out);

/* "5ms", "100us", "1s", "250" (ns) → ns; -EINVAL on bad text. */
QZ_API int qz_parse_time(const char *text, uint64_t *ns);

#ifdef __cplusplus
}
#endif

#endif
