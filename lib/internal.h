/* SPDX-License-Identifier: MIT */
/* What the library's layers share privately. Never installed. */
#ifndef QUAZAR_INTERNAL_H
#define QUAZAR_INTERNAL_H

#include <errno.h>
#include <stddef.h>
#include <string.h>
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

/* The size of TYPE up to the end of FIELD: a struct's first version. */
#define QZ_OFFSETOFEND(TYPE, FIELD) \
	(offsetof(TYPE, FIELD) + sizeof(((TYPE *)0)->FIELD))

/*
 * Copy the library's own struct src (len bytes, size_t sz first) out to a
 * caller's dst: what dst->sz covers, with the tail of a newer caller's
 * struct zeroed. dst->sz is kept; it must be at least the first version.
 */
static inline void qz__copy_sized(void *dst, const void *src, size_t len)
{
	size_t sz = *(const size_t *)dst;

	memcpy((char *)dst + sizeof(sz), (const char *)src + sizeof(sz),
	       (sz < len ? sz : len) - sizeof(sz));
	if (sz > len)
		memset((char *)dst + len, 0, sz - len);
}

/* Zero a caller's struct of dst->sz bytes but for sz itself. */
static inline void qz__zero_sized(void *dst)
{
	size_t sz = *(const size_t *)dst;

	memset((char *)dst + sizeof(sz), 0, sz - sizeof(sz));
}

#endif
