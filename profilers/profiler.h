/* SPDX-License-Identifier: MIT */
/*
 * Profilers: a const table of callbacks a session (quazar/session.h) calls,
 * with the options the profiler reads beyond the common ones, in its own
 * table and its own struct. -h, man pages and the agent's collector
 * `options:` all come from these tables.
 */
#ifndef QUAZAR_PROFILER_H
#define QUAZAR_PROFILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <quazar/options.h>
#include <quazar/session.h>

struct qz_profiler {
	const char *name;
	const char *help;	/* one line, for `quazar --help` */
	const char *usage;	/* examples and notes, for `quazar NAME -h` */
	const struct qz_option *options; /* its own; NULL-ended, or NULL */
	size_t opts_size;		/* its options struct */
	const void *opts_defaults;	/* initial values; NULL: all zero */
	/*
	 * A trailing argument that is not an option, as perf-prof's
	 * `hrtimer ... EXPRESSION`: its name for help ("EXPRESSION"), NULL
	 * when the profiler takes none; the text lands as an owned char * at
	 * arg_offset in its options struct.
	 */
	const char *arg_name;
	size_t arg_offset;
	/* What the session calls; init finds the options with
	 * qz_session__ops_opts(). */
	struct qz_session_ops ops;
	/*
	 * Optional: the agent reloaded its config and kept this instance
	 * running. Called from the agent's thread with the instance's options
	 * struct: the profiler hands the news to its own thread (an atomic
	 * field there), which acts on its next event or interval.
	 */
	void (*reload)(void *opts);
};

/* The profilers, in the order `quazar --help` lists them (profiler_table.c). */
const struct qz_profiler *const *qz_profilers(void);
const struct qz_profiler *qz_profiler__find(const char *name);

/* A profiler's command line, parsed: the common options and its own. */
struct qz_profiler_args {
	const struct qz_profiler *prof;
	struct qz_env *env;	/* owned */
	void *opts;		/* owned: the profiler's options struct */
};

/*
 * Parse argv (argv[0] is the profiler's name). An option the profiler does
 * not read is refused, naming the profilers that do. NULL + errno on error,
 * with the message (naming the option and a fix) in err.
 */
struct qz_profiler_args *qz_profiler_args__parse(const struct qz_profiler *prof,
						 int argc, char **argv,
						 char *err, size_t err_len);
void qz_profiler_args__free(struct qz_profiler_args *args);
/* A session running the profiler over args (borrowed: must outlive it). */
struct qz_session *qz_profiler_args__session(struct qz_profiler_args *args,
					     struct qz_output *out,
					     const struct qz_session_opts *opts);

/* -h: the profiler's options, then the common ones. */
void qz_profiler__usage(const struct qz_profiler *prof, FILE *out);
/* A man page in roff, from the same tables. */
void qz_profiler__man(const struct qz_profiler *prof, const char *version,
		      FILE *out);
/* text for roff: leading '.' and '\'', '\' and '-' escaped. */
void qz_roff_text(const char *text, FILE *out);

#endif
