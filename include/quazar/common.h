/* SPDX-License-Identifier: MIT */
/*
 * Conventions shared by every libquazar header: the export macro, opts
 * structs, error codes and the log callback.
 */
#ifndef QUAZAR_COMMON_H
#define QUAZAR_COMMON_H

#include <stddef.h>
#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QZ_API __attribute__((visibility("default")))

/*
 * Declare an opts struct whose first field is `size_t sz`, zero-filled but
 * for the fields named, so that structs can grow without breaking callers:
 *	QZ_OPTS(qz_mmap_opts, o, .cpu = 0, .data_pages = 8);
 *
 * Structs the caller allocates and the library fills (struct qz_sample,
 * qz_counts, ...) start with `size_t sz` too: declare them the same way,
 * or set sz to their sizeof. The library fills only what sz covers and
 * refuses a sz smaller than the struct's first version with -EINVAL.
 */
#define QZ_OPTS(TYPE, NAME, ...) \
	struct TYPE NAME = { .sz = sizeof(struct TYPE), __VA_ARGS__ }

/*
 * Project-specific error codes. Functions return them negated, like -errno.
 * They start above the largest errno so the two never collide.
 */
#define QZ_ERRORS(X)                                                           \
	X(QZ_ERR_RING_SIZE, "ring size is not a power-of-two number of pages")  \
	X(QZ_ERR_RECORD_SIZE,                                                  \
	  "ring record size is zero, unaligned, smaller than its header or larger than the ring") \
	X(QZ_ERR_RING_TAIL,                                                    \
	  "ring data_tail is ahead of data_head, or either is misaligned")     \
	X(QZ_ERR_RECORD_SHORT, "record is too short for its sample_type")     \
	X(QZ_ERR_SELECTOR, "malformed event selector")                         \
	X(QZ_ERR_FILTER, "malformed event filter")                             \
	X(QZ_ERR_UNKNOWN_EVENT, "unknown event")                               \
	X(QZ_ERR_UNKNOWN_FIELD, "unknown tracepoint field")                    \
	X(QZ_ERR_NOT_SUPPORTED, "event not supported by this machine")         \
	X(QZ_ERR_CONFIG, "invalid configuration")                              \
	X(QZ_ERR_OPTION, "invalid option")                                     \
	X(QZ_ERR_PMU_TERM, "unknown or invalid PMU term")

enum qz_error {
	__QZ_ERR_START = 4000,
#define QZ_ERR_ENUM(name, msg) name,
	QZ_ERRORS(QZ_ERR_ENUM)
#undef QZ_ERR_ENUM
	__QZ_ERR_END,
};

/* Text for a -errno or -QZ_ERR_* code (either sign). Never NULL; static. */
QZ_API const char *qz_strerror(int err);

/* The name of system call nr on this architecture ("getppid"), or NULL. */
QZ_API const char *qz_syscall_name(long nr);
/* The number of a system call by name, or -1. */
QZ_API long qz_syscall_nr(const char *name);

enum qz_log_level {
	QZ_LOG_ERROR,
	QZ_LOG_WARN,
	QZ_LOG_INFO,
	QZ_LOG_DEBUG,
};

/* The library never prints: it hands each line to this callback. */
typedef void (*qz_log_fn)(enum qz_log_level level, const char *msg, void *ctx);

#ifdef __cplusplus
}
#endif

#endif
