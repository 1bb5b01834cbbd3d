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

struct qz_profiler_args;

/* The attributes of an event a profiler reads beyond the session's own
 * (stack, max-stack=, alias=, period=, cpus=): the others are refused. */
enum qz_prof_attr {
	QZ_PATTR_KEY = 1 << 0,
	QZ_PATTR_PRINTKEY = 1 << 1,
	QZ_PATTR_TOP_BY = 1 << 2,
	QZ_PATTR_TOP_ADD = 1 << 3,
	QZ_PATTR_COMM = 1 << 4,
	QZ_PATTR_PTR = 1 << 5,
	QZ_PATTR_SIZE = 1 << 6,
	QZ_PATTR_DELAY = 1 << 7,
	QZ_PATTR_ROLE = 1 << 8,
	QZ_PATTR_UNTRACED = 1 << 9,
	QZ_PATTR_TRIGGER = 1 << 10,
};

struct qz_profiler {
	const char *name;
	const char *help;	/* one line, for `quazar --help` */
	const char *usage;	/* examples and notes, for `quazar NAME -h` */
	const struct qz_option *options; /* its own; NULL-ended, or NULL */
	size_t opts_size;		/* its options struct */
	const void *opts_defaults;	/* initial values; NULL: all zero */
	unsigned attrs;			/* enum qz_prof_attr it reads */
	/*
	 * It runs as an event source inside another profiler
	 * (-e 'NAME/OPTIONS/ATTRS/'): its events join the outer one's. When
	 * false, no_nest says why not.
	 */
	bool nest;
	const char *no_nest;
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
	/*
	 * Optional: the long name of an option of its own table (STRING or
	 * LIST) that bare arguments go to, as perf-prof's positional ones
	 * (`quazar breakpoint ADDR`, `quazar expr -e EV EXPR`). NULL: a bare
	 * argument is refused.
	 */
	const char *positional;
	/*
	 * Optional: work done without a session (usdt list/add/del). Returns
	 * the exit status when it handled the command line, or -1 when the
	 * session is to run as usual.
	 */
	int (*command)(const struct qz_profiler_args *args, FILE *out, FILE *err);
};

/* The profilers, in the order `quazar --help` lists them (profiler_table.c). */
const struct qz_profiler *const *qz_profilers(void);
const struct qz_profiler *qz_profiler__find(const char *name);

/* A profiler's command line, parsed: the common options and its own. */
struct qz_profiler_args {
	const struct qz_profiler *prof;
	struct qz_env *env;	/* owned */
	void *opts;		/* owned: the profiler's options struct */
	char **argv;		/* owned: argv with bare arguments rewritten */
	int argc;
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

/*
 * Set the session hooks that refuse attributes prof does not read and run
 * profilers named in its selectors (nest.c). qz_profiler_args__session
 * does it.
 */
void qz_profiler__session_hooks(const struct qz_profiler *prof, struct qz_session_opts *opts);

/* -h: the profiler's options, then the common ones. */
void qz_profiler__usage(const struct qz_profiler *prof, FILE *out);
/* A man page in roff, from the same tables. */
void qz_profiler__man(const struct qz_profiler *prof, const char *version,
		      FILE *out);
/* text for roff: leading '.' and '\'', '\' and '-' escaped. */
void qz_roff_text(const char *text, FILE *out);

#endif
