/* SPDX-License-Identifier: MIT */
/*
 * Event filters and expressions in user space. The language is ftrace's,
 * widened to perf-prof's C expressions:
 *
 *	next_pid < next_prio && next_pid > 0
 *	prev_comm ~ "kworker*" || (prev_state & 2) == 2
 *	common_pid != id && bytes_alloc - bytes_req >= 64
 *	(_cpu << 16) | vec              ksymbol(function) ~ "*sched*"
 *
 * operators (C precedence): , ?: || && | ^ & == != < <= > >= ~ << >> + -
 * * / % and unary ! - + ~, casts ((int)x, (unsigned char)x, (u32)x),
 * sizeof(field); integers (decimal, 0x hex, negative), "strings" or
 * 'strings', field[N] for array elements. Strings compare with ==, != and
 * ~ (glob: * ? [..]), at the precedence of < for ~. As in ftrace, a bare
 * word opposite a string field is a string: prev_comm == bash.
 *
 * Built-in variables: _cpu, _pid (the process), _tid, _time (ns), _period.
 * Functions: ksymbol(ADDR) and comm_get(PID) (when the compiler is given
 * their helpers, struct qz_filter_opts), syscall_name(NR),
 * exit_reason_str(ISA, REASON), ntohl(X), ntohs(X), strncmp(S1, S2, N),
 * and printf(FMT, ...) where QZ_FILTER_PRINTF allows it.
 *
 * A session hands the filter to the kernel (PERF_EVENT_IOC_SET_FILTER)
 * when it can, and evaluates it here when qz_filter__needs_user_space()
 * says so or the kernel rejects it.
 */
#ifndef QUAZAR_FILTER_H
#define QUAZAR_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <quazar/common.h>
#include <quazar/event.h>
#include <quazar/select.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_filter;
struct qz_tp_event;

/*
 * Compile text against ev's format: field names are resolved and types
 * checked. An empty text matches everything. NULL + errno
 * (QZ_ERR_FILTER, QZ_ERR_UNKNOWN_FIELD, ENOMEM) with *err (may be NULL)
 * holding the column into text and a message naming the closest fields.
 * The filter borrows ev, which must outlive it.
 */
QZ_API struct qz_filter *qz_filter__compile(const char *text,
					    const struct qz_tp_event *ev,
					    struct qz_parse_error *err);
QZ_API void qz_filter__free(struct qz_filter *f);

enum qz_filter_flags {
	/* printkey=: `key` is the only variable; no fields, no _cpu. */
	QZ_FILTER_KEY = 1 << 0,
	/* printf() may format the value (qz_filter__eval_str gets its text). */
	QZ_FILTER_PRINTF = 1 << 1,
	/* A value, which may be a string (comm=), not a condition. */
	QZ_FILTER_VALUE = 1 << 2,
};

/* What an expression may call and read beyond the record. All optional. */
struct qz_filter_opts {
	size_t sz;
	/*
	 * ksymbol(ADDR): the kernel symbol at ADDR, or NULL. The string must
	 * stay valid until the expression is evaluated again. Without it,
	 * ksymbol() is refused at compile time.
	 */
	const char *(*ksymbol)(uint64_t addr, void *ctx);
	/* comm_get(PID): the command name of a task, or NULL; as ksymbol. */
	const char *(*comm)(int pid, void *ctx);
	void *ctx;
	/* _period of a record that carries none (sampled every N hits: N). */
	uint64_t period;
	unsigned flags;		/* enum qz_filter_flags */
};

/*
 * qz_filter__compile with helpers and flags. ev may be NULL for an event
 * without fields (a software event, a profile sample): the expression
 * reads the built-in variables only.
 */
QZ_API struct qz_filter *qz_filter__compile_opts(const char *text,
						 const struct qz_tp_event *ev,
						 const struct qz_filter_opts *opts,
						 struct qz_parse_error *err);

/*
 * qz_filter__match and qz_filter__eval over a parsed sample: its raw
 * record for the fields, its cpu, pid, tid, time and period for _cpu,
 * _pid, _tid, _time and _period.
 */
QZ_API bool qz_filter__match_sample(const struct qz_filter *f,
				    const struct qz_sample *smp);
QZ_API int64_t qz_filter__eval_sample(const struct qz_filter *f,
				      const struct qz_sample *smp);
/* Does the expression give a string (a string field, ksymbol(), ...)? */
QZ_API bool qz_filter__is_str(const struct qz_filter *f);
/*
 * The value as text: a string's bytes, what printf() printed, else the
 * number in decimal. smp may be NULL (no fields, variables 0); key is the
 * `key` variable of QZ_FILTER_KEY expressions. Writes at most len bytes,
 * NUL included; returns the length of the whole text, as snprintf.
 */
QZ_API int qz_filter__eval_str(const struct qz_filter *f,
			       const struct qz_sample *smp, uint64_t key,
			       char *buf, size_t len);

/* Does the raw record (PERF_SAMPLE_RAW bytes) pass? Never reads past size. */
QZ_API bool qz_filter__match(const struct qz_filter *f, const void *raw,
			     size_t size);

/*
 * The expression's value over the raw record, for expressions that are
 * numbers rather than conditions (role=, keys): prev_pid ? 2 : 0. An
 * empty filter is 0.
 */
QZ_API int64_t qz_filter__eval(const struct qz_filter *f, const void *raw,
			       size_t size);

/* The text compiled (borrowed). */
QZ_API const char *qz_filter__text(const struct qz_filter *f);

/*
 * True when the kernel cannot run this filter: a comparison with a field
 * on both sides (pid<prio), arithmetic, a constant on the left, an array
 * index, or a bare value used as a condition.
 */
QZ_API bool qz_filter__needs_user_space(const struct qz_filter *f);

/*
 * The same decision from the text alone, before any format is known: 1
 * (user space), 0 (kernel), or -QZ_ERR_FILTER with *err (may be NULL)
 * filled in when the text does not parse. A bare word compared with a
 * field counts as a field here; compile against the format to know.
 */
QZ_API int qz_filter__text_needs_user_space(const char *text,
					    struct qz_parse_error *err);

#ifdef __cplusplus
}
#endif

#endif
