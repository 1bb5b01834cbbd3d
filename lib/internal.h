/* SPDX-License-Identifier: MIT */
/* What the library's layers share privately. Never installed. */
#ifndef QUAZAR_INTERNAL_H
#define QUAZAR_INTERNAL_H

#include <errno.h>
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

/*
 * An opts struct from a caller built against a newer header is fine as
 * long as every byte this library does not know is zero; otherwise -E2BIG
 * (libbpf's rule), so a caller never believes an option was taken.
 */
int qz__opts_check(const void *opts, size_t known_size);
#define QZ_OPTS_CHECK(opts) qz__opts_check((opts), sizeof(*(opts)))
/* For constructors: return NULL with errno E2BIG on such opts. */
#define QZ_OPTS_CHECK_OR_NULL(opts)                                            \
	do {                                                                   \
		if (QZ_OPTS_CHECK(opts)) {                                     \
			errno = E2BIG;                                         \
			return NULL;                                           \
		}                                                              \
	} while (0)

/*
 * Copy a filled struct out to a caller's, whose leading size_t sz says how
 * much of it the caller knows. -EINVAL when sz is too small for the first
 * field after it.
 */
int qz__struct_copy_out(void *dst, const void *src, size_t src_size);

#endif
