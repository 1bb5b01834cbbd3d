/* SPDX-License-Identifier: MIT */
/* What the library's layers share privately. Never installed. */
#ifndef QUAZAR_INTERNAL_H
#define QUAZAR_INTERNAL_H

#include <quazar/common.h>

#define QZ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Where a library object sends its log lines; fn may be NULL (silent). */
struct qz_logger {
	qz_log_fn fn;
	void *ctx;
};

__attribute__((format(printf, 3, 4)))
void qz_log(const struct qz_logger *log, enum qz_log_level level,
	    const char *fmt, ...);

/* Read an opts field only when the caller's struct is large enough for it. */
#define QZ_OPT(opts, field, fallback)                                          \
	((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +        \
				       sizeof((opts)->field)                   \
		 ? (opts)->field                                               \
		 : (fallback))

#endif
