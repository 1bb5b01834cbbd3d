// SPDX-License-Identifier: MIT
/*
 * Structs that can grow: an opts struct from a newer caller is taken when
 * the bytes this library does not know are zero, refused with E2BIG when
 * they are not; structs the library fills honour the caller's sz.
 */
#include <errno.h>
#include <stdint.h>
#include <quazar/quazar.h>
#include "../test.h"

/* qz_output_opts as a caller built against a newer header sees it. */
struct newer_output_opts {
	struct qz_output_opts known;
	uint64_t future_field;
};

static void test_opts_e2big(void)
{
	struct newer_output_opts o = { .known = { .sz = sizeof(o), .json = true } };
	struct qz_output *out;

	out = qz_output__new(&o.known);
	CHECK(out != NULL);
	CHECK(out && qz_output__json(out));
	qz_output__free(out);

	o.future_field = 1;
	errno = 0;
	out = qz_output__new(&o.known);
	CHECK(out == NULL);
	CHECK_EQ(errno, E2BIG);
	qz_output__free(out);
}

static void test_args_opts_e2big(void)
{
	struct {
		struct qz_args_opts known;
		int future_field;
	} o = { .known = { .sz = sizeof(o) }, .future_field = 7 };
	struct qz_env *env = qz_env__new();
	struct qz_option_set set = { qz_env__options(), env };
	char *argv[] = { "x", "--json", NULL };
	char **rest, err[256];

	CHECK_EQ(qz_args__parse(&set, 1, 2, argv, &rest, err, sizeof(err), &o.known),
		 -E2BIG);
	o.future_field = 0;
	CHECK_EQ(qz_args__parse(&set, 1, 2, argv, &rest, err, sizeof(err), &o.known), 0);
	CHECK(env->json);
	qz_env__free(env);
}

static void test_hist_sz(void)
{
	struct qz_hist h;

	CHECK_EQ(qz_hist__init(&h, sizeof(size_t) + 8), -EINVAL);
	CHECK_EQ(QZ_HIST_INIT(&h), 0);
	CHECK_EQ(h.sz, sizeof(h));
}

static void test_option_overflow(void)
{
	struct qz_env *env = qz_env__new();
	struct qz_option_set set = { qz_env__options(), env };
	char *interval[] = { "x", "-i", "18446744073710", NULL };
	char *window[] = { "x", "--order-window", "18446744073710", NULL };
	char *ok[] = { "x", "-i", "18446744073", NULL };
	char **rest, err[256];
	uint64_t ns;

	CHECK_EQ(qz_args__parse(&set, 1, 3, interval, &rest, err, sizeof(err), NULL),
		 -QZ_ERR_OPTION);
	CHECK(strstr(err, "--interval '18446744073710': too large") != NULL);
	CHECK_EQ(qz_args__parse(&set, 1, 3, window, &rest, err, sizeof(err), NULL),
		 -QZ_ERR_OPTION);
	CHECK_EQ(qz_args__parse(&set, 1, 3, ok, &rest, err, sizeof(err), NULL), 0);
	CHECK_EQ(env->interval_ns, 18446744073000000ull);
	qz_env__free(env);

	CHECK_EQ(qz_parse_time("20000000000s", &ns), -ERANGE);
	CHECK_EQ(qz_parse_time("18446744073s", &ns), 0);
	CHECK_EQ(qz_parse_time("99999999999999999999", &ns), -ERANGE);
	CHECK_EQ(qz_parse_time("18446744073709551615ns", &ns), 0);
	CHECK(ns == UINT64_MAX);
}

int main(void)
{
	RUN(test_opts_e2big);
	RUN(test_args_opts_e2big);
	RUN(test_hist_sz);
	RUN(test_option_overflow);
	return test_result();
}
