/* SPDX-License-Identifier: MIT */
/*
 * Option tables: each describes the options of one struct (the session's
 * common options, or a handler's own) by long name, short name, type,
 * help line and where the value lands. One parser reads argv against one or
 * more tables; -h text and man pages are printed from the same tables.
 */
#ifndef QUAZAR_OPTIONS_H
#define QUAZAR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

enum qz_option_type {
	QZ_OPTION_BOOL,		/* bool; --no-NAME clears it */
	QZ_OPTION_STRING,	/* char *, owned by the struct */
	QZ_OPTION_OPT_STRING,	/* char *: --NAME alone gives "", --NAME=V gives V */
	QZ_OPTION_LIST,		/* struct qz_strv: repeatable, in order */
	QZ_OPTION_COUNT,	/* uint64_t, a non-negative integer up to max */
	QZ_OPTION_PERCENT,	/* int, 0 to 100 */
	QZ_OPTION_MS,		/* uint64_t ns, given as milliseconds */
	QZ_OPTION_TIME,		/* uint64_t ns, given as 10ms, 500us, 1s or ns */
	QZ_OPTION_LEVEL,	/* int, incremented per use: -v -v, -vv */
};

/* A growing list of owned strings (QZ_OPTION_LIST). */
struct qz_strv {
	char **v;
	int n;
};

struct qz_option {
	const char *name;	/* long name, without "--"; NULL ends a table */
	char short_name;	/* 0: none */
	enum qz_option_type type;
	size_t offset;		/* of the field in the described struct */
	const char *arg;	/* the value's placeholder in help: "MS" */
	const char *help;	/* one line */
	uint64_t max;		/* QZ_OPTION_COUNT and LIST: the largest count; 0 = any */
};

/* An entry of a table describing struct TYPE's FIELD. */
#define QZ_OPTION_ENTRY(TYPE, FIELD, NAME, SHORT, KIND, ARG, HELP, ...)        \
	{ .name = NAME, .short_name = SHORT, .type = KIND,                     \
	  .offset = offsetof(TYPE, FIELD), .arg = ARG, .help = HELP, __VA_ARGS__ }

/* One table and the struct its values land in. */
struct qz_option_set {
	const struct qz_option *options;
	void *base;
};

struct qz_args_opts {
	size_t sz;
	/*
	 * Called for an option no set has, as typed ("--than", "-S"), to write
	 * the message: lets a caller name who does read it. Default: "unknown
	 * option".
	 */
	void (*unknown)(const char *option, char *err, size_t err_len, void *ctx);
	void *ctx;
	const char *command;	/* for messages: "quazar COMMAND -h" */
};

/*
 * Parse argv[1..] against the sets (the first set that has an option takes
 * it). Arguments after "--" are returned in *rest (borrowed from argv; NULL
 * when there is no "--"). Returns 0, or -QZ_ERR_OPTION with a message in
 * err that names the option and the fix. Values already stored stay owned
 * by their structs: free them with qz_options__free.
 */
QZ_API int qz_args__parse(const struct qz_option_set *sets, size_t nr_sets,
			  int argc, char **argv, char ***rest, char *err,
			  size_t err_len, const struct qz_args_opts *opts);
/* Free the strings and lists a table's options stored in base. */
QZ_API void qz_options__free(const struct qz_option *options, void *base);
/* The option of a table called name (long) or short_name, or NULL. */
QZ_API const struct qz_option *qz_options__find(const struct qz_option *options,
						const char *name, char short_name);
/* One line per option, aligned, as -h prints them. */
QZ_API void qz_options__print(const struct qz_option *options, FILE *out);
/* "-k, --key FIELD": how an option is typed. */
QZ_API void qz_option__synopsis(const struct qz_option *opt, char *buf,
				size_t len);

/*
 * "5ms", "100us", "1s", "250" (ns) into ns. -EINVAL on bad text, -ERANGE
 * when the value does not fit in 64 bits.
 */
QZ_API int qz_parse_time(const char *text, uint64_t *ns);

#ifdef __cplusplus
}
#endif

#endif
