// SPDX-License-Identifier: MIT
/* The JSON writer's output parses back, through json-c, to what was written. */
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

int main(void)
{
	RUN(test_round_trip);
	RUN(test_growth);
	return test_result();
}
