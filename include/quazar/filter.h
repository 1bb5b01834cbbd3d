/* SPDX-License-Identifier: MIT */
/*
 * Event filters in user space. The language is ftrace's, widened to C
 * expressions:
 *
 *	next_pid < next_prio && next_pid > 0
 *	prev_comm ~ "kworker*" || (prev_state & 2) == 2
 *	common_pid != id && bytes_alloc - bytes_req >= 64
 *
 * operators (C precedence): ?: || && | ^ & == != ~ < <= > >= << >> + - * /
 * % and unary ! - ~; integers (decimal, 0x hex, negative), "strings" or
 * 'strings', field[N] for array elements. Strings compare with ==, != and
 * ~ (glob: * ? [..]). As in ftrace, a bare word opposite a string field is
 * a string: prev_comm == bash.
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
