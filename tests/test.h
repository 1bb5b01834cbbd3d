/* SPDX-License-Identifier: MIT */
/*
 * A minimal harness: each test program runs its cases and exits 0 (pass),
 * 1 (fail) or 77 (skip: the machine lacks a capability), as meson expects.
 */
#ifndef QUAZAR_TEST_H
#define QUAZAR_TEST_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TEST_SKIP 77
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int test_failures;

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, \
				__LINE__, #cond);                              \
			test_failures++;                                       \
		}                                                              \
	} while (0)

#define CHECK_EQ(a, b)                                                         \
	do {                                                                   \
		long long _a = (long long)(a), _b = (long long)(b);            \
		if (_a != _b) {                                                \
			fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", \
				__FILE__, __LINE__, #a, #b, _a, _b);           \
			test_failures++;                                       \
		}                                                              \
	} while (0)

#define CHECK_STR(a, b)                                                        \
	do {                                                                   \
		const char *_a = (a), *_b = (b);                               \
		if (!_a || !_b || strcmp(_a, _b)) {                            \
			fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", \
				__FILE__, __LINE__, #a, #b, _a ? _a : "(null)", \
				_b ? _b : "(null)");                           \
			test_failures++;                                       \
		}                                                              \
	} while (0)

#define RUN(fn)                                                                \
	do {                                                                   \
		int _before = test_failures;                                   \
		fn();                                                          \
		fprintf(stderr, "%s %s\n", test_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

#define RUN_ARGS(fn, ...)                                                      \
	do {                                                                   \
		int _before = test_failures;                                   \
		fn(__VA_ARGS__);                                               \
		fprintf(stderr, "%s %s\n", test_failures == _before ? "ok  " : "FAIL", #fn); \
	} while (0)

static inline int test_skip(const char *why)
{
	printf("skipped: %s\n", why);
	return TEST_SKIP;
}

static inline int test_result(void)
{
	return test_failures ? 1 : 0;
}

static inline int test_require_root(void)
{
	return geteuid() == 0;
}

#endif
