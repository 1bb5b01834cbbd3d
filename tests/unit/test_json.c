// SPDX-License-Identifier: MIT
/* The JSON writer's output parses back, through json-c, to what was written. */
#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <stdint.h>
#include <quazar/json.h>
#include "../test.h"

static void test_round_trip(void)
{
	struct qz_json *j = qz_json__new();
	const char nasty[] = "quote\" back\\ nl\n tab\t ctl\x01 utf8 \xc3\xa9";
	struct json_object *obj, *v, *arr;

	qz_json__begin_object(j);
	qz_json__key_str(j, "s", nasty);
	qz_json__key_i64(j, "neg", INT64_MIN);
	qz_json__key_u64(j, "big", UINT64_MAX);
	qz_json__key_double(j, "d", 0.1);
	qz_json__key_double(j, "nan", NAN);
	qz_json__key_bool(j, "b", true);
	qz_json__key(j, "arr");
	qz_json__begin_array(j);
	qz_json__i64(j, 1);
	qz_json__begin_object(j);
	qz_json__end_object(j);
	qz_json__str(j, NULL);
	qz_json__end_array(j);
	qz_json__key(j, "raw");
	qz_json__raw(j, "[1,2]", 5);
	qz_json__end_object(j);
	qz_json__newline(j);
	CHECK_EQ(qz_json__error(j), 0);
	CHECK(qz_json__data(j)[qz_json__len(j) - 1] == '\n');

	obj = json_tokener_parse(qz_json__data(j));
	CHECK(obj != NULL);
	if (!obj) {
		fprintf(stderr, "unparsable: %s\n", qz_json__data(j));
		qz_json__free(j);
		return;
	}
	CHECK(json_object_object_get_ex(obj, "s", &v));
	CHECK_STR(json_object_get_string(v), nasty);
	CHECK(json_object_object_get_ex(obj, "neg", &v));
	CHECK(json_object_get_int64(v) == INT64_MIN);
	CHECK(json_object_object_get_ex(obj, "big", &v));
	CHECK(json_object_get_uint64(v) == UINT64_MAX);
	CHECK(json_object_object_get_ex(obj, "d", &v));
	CHECK(json_object_get_double(v) == 0.1);
	CHECK(json_object_object_get_ex(obj, "nan", &v) && v == NULL);
	CHECK(json_object_object_get_ex(obj, "arr", &arr));
	CHECK_EQ(json_object_array_length(arr), 3);
	CHECK(json_object_object_get_ex(obj, "raw", &v));
	CHECK_EQ(json_object_array_length(v), 2);
	json_object_put(obj);

	/* A second line after reset starts clean. */
	qz_json__reset(j);
	qz_json__begin_object(j);
	qz_json__key_u64(j, "n", 5);
	qz_json__end_object(j);
	CHECK_STR(qz_json__data(j), "{\"n\":5}");
	qz_json__free(j);
}

static void test_growth(void)
{
	struct qz_json *j = qz_json__new();
	struct json_object *obj;

	qz_json__begin_array(j);
	for (int i = 0; i < 100000; i++)
		qz_json__i64(j, i);
	qz_json__end_array(j);
	obj = json_tokener_parse(qz_json__data(j));
	CHECK(obj && json_object_array_length(obj) == 100000);
	json_object_put(obj);
	qz_json__free(j);
}

/* s written as a string value: what json-c reads back. */
static void check_utf8(const char *in, size_t n, const char *want)
{
	struct qz_json *j = qz_json__new();
	struct json_object *obj, *v;

	qz_json__begin_object(j);
	qz_json__key(j, "k");
	qz_json__strn(j, in, n);
	qz_json__end_object(j);
	obj = json_tokener_parse(qz_json__data(j));
	CHECK(obj && json_object_object_get_ex(obj, "k", &v));
	if (obj && json_object_object_get_ex(obj, "k", &v)) {
		CHECK_STR(json_object_get_string(v), want);
	} else {
		fprintf(stderr, "unparsable: %s\n", qz_json__data(j));
	}
	json_object_put(obj);
	qz_json__free(j);
}

/*
 * Invalid UTF-8 (any user can name a task "\xff") becomes U+FFFD, one per
 * maximal invalid subpart, in keys and in values alike.
 */
static void test_utf8(void)
{
	struct qz_json *j = qz_json__new();
	struct json_object *obj, *v;

	check_utf8("a\xff", 2, "a\xef\xbf\xbd");
	check_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9,
		   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");		/* valid: kept */
	check_utf8("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");	/* overlong */
	check_utf8("\xed\xa0\x80x", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbdx"); /* surrogate */
	check_utf8("\xe2\x82", 2, "\xef\xbf\xbd");			/* cut short */
	check_utf8("\xe2\x82z", 3, "\xef\xbf\xbdz");
	check_utf8("\xf4\x90\x80\x80", 4,
		   "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");	/* past U+10FFFF */
	check_utf8("\x80\"\xfe\n", 4, "\xef\xbf\xbd\"\xef\xbf\xbd\n");

	qz_json__begin_object(j);
	qz_json__key_str(j, "comm\xff", "bash\xff\xfe");
	qz_json__end_object(j);
	obj = json_tokener_parse(qz_json__data(j));
	CHECK(obj && json_object_object_get_ex(obj, "comm\xef\xbf\xbd", &v));
	if (obj && json_object_object_get_ex(obj, "comm\xef\xbf\xbd", &v))
		CHECK_STR(json_object_get_string(v), "bash\xef\xbf\xbd\xef\xbf\xbd");
	json_object_put(obj);
	qz_json__free(j);
}

/* Past the nesting limit is an error, not a line that no longer parses. */
static void test_depth(void)
{
	struct qz_json *j = qz_json__new();
	struct json_object *obj;
	int i;

	for (i = 0; i < QZ_JSON_MAX_DEPTH; i++)
		qz_json__begin_array(j);
	for (i = 0; i < QZ_JSON_MAX_DEPTH; i++)
		qz_json__end_array(j);
	CHECK_EQ(qz_json__error(j), 0);
	obj = json_tokener_parse(qz_json__data(j));
	CHECK(obj);
	json_object_put(obj);

	qz_json__reset(j);
	qz_json__begin_object(j);
	for (i = 0; i < QZ_JSON_MAX_DEPTH + 5; i++) {
		qz_json__key(j, "a");
		qz_json__begin_object(j);
		qz_json__key_u64(j, "n", 1);
	}
	for (i = 0; i < QZ_JSON_MAX_DEPTH + 6; i++)
		qz_json__end_object(j);
	CHECK_EQ(qz_json__error(j), -E2BIG);
	/* Nothing written past the error: what is there is a cut prefix. */
	CHECK(qz_json__len(j) < (size_t)QZ_JSON_MAX_DEPTH * 20);

	/* reset forgets the error with the text. */
	qz_json__reset(j);
	CHECK_EQ(qz_json__error(j), 0);
	qz_json__begin_array(j);
	qz_json__end_array(j);
	qz_json__end_array(j);		/* one close too many */
	CHECK_EQ(qz_json__error(j), -EINVAL);
	CHECK_STR(qz_json__data(j), "[]");
	qz_json__free(j);
}

int main(void)
{
	RUN(test_round_trip);
	RUN(test_growth);
	RUN(test_utf8);
	RUN(test_depth);
	return test_result();
}
