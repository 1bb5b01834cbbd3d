// SPDX-License-Identifier: MIT
/*
 * The agent's /healthz checks, each reason on its own: a collector whose
 * thread stopped, a sink whose producer is fatally failed, a spool past
 * 90% of its bound, reports dropped from a full spool within the window.
 * The page itself is tested in test_http.c and tests/agent_e2e.
 */
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include "agent_internal.h"
#include "../test.h"

/* The reasons written, parsed back; the number of them, -1 on bad JSON. */
static int reasons(struct qz_json *j, int n, const char *want_reason,
		   const char *key, const char *name)
{
	struct json_object *arr, *r, *v;
	int len;

	qz_json__end_array(j);
	arr = json_tokener_parse(qz_json__data(j));
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		fprintf(stderr, "not a JSON array: %s\n", qz_json__data(j));
		json_object_put(arr);
		return -1;
	}
	len = (int)json_object_array_length(arr);
	CHECK_EQ(len, n);
	for (int i = 0; i < len && want_reason; i++) {
		r = json_object_array_get_idx(arr, (size_t)i);
		CHECK(json_object_object_get_ex(r, "reason", &v));
		CHECK_STR(json_object_get_string(v), want_reason);
		CHECK(json_object_object_get_ex(r, key, &v));
		CHECK_STR(json_object_get_string(v), name);
		CHECK(json_object_object_get_ex(r, "message", &v) &&
		      strlen(json_object_get_string(v)) > 10);
	}
	json_object_put(arr);
	return len;
}

static struct qz_json *array(void)
{
	struct qz_json *j = qz_json__new();

	qz_json__begin_array(j);
	return j;
}

static void test_collector(void)
{
	struct qz_json *j = array();

	CHECK_EQ(qz_health__collector(j, "sw", -5), 1);
	reasons(j, 1, "collector_stopped", "collector", "sw");
	qz_json__free(j);
}

static void test_sink(void)
{
	struct qz_sink_stats st = { .sz = sizeof(st), .spool_max_bytes = 1000 };
	struct health_drops d = { 0 };
	struct qz_json *j;

	/* All well: nothing. */
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 1000), 0);
	reasons(j, 0, NULL, NULL, NULL);
	qz_json__free(j);

	/* Fatal. */
	st.fatal = 1;
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 1000), 1);
	reasons(j, 1, "sink_fatal", "sink", "bus");
	qz_json__free(j);
	st.fatal = 0;

	/* 90% is fine, above is not. */
	st.spool_bytes = 900;
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 1000), 0);
	qz_json__free(j);
	st.spool_bytes = 901;
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 1000), 1);
	reasons(j, 1, "spool_full", "sink", "bus");
	qz_json__free(j);
	st.spool_bytes = 0;

	/* Drops: unhealthy from when they are seen until the window passes. */
	st.spool_dropped = 7;
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 2000), 1);
	reasons(j, 1, "spool_dropped", "sink", "bus");
	qz_json__free(j);
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 2000 + QZ_HEALTH_DROP_WINDOW_MS - 1), 1);
	CHECK(strstr(qz_json__data(j), "7 reports"));
	qz_json__free(j);
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 2000 + QZ_HEALTH_DROP_WINDOW_MS), 0);
	qz_json__free(j);
	/* More later: a new window, counting only the new ones. */
	st.spool_dropped = 10;
	j = array();
	CHECK_EQ(qz_health__sink(j, "bus", &st, &d, 200000), 1);
	CHECK(strstr(qz_json__data(j), "3 reports"));
	qz_json__free(j);

	/* A sink without a spool has no bound. */
	st = (struct qz_sink_stats){ .sz = sizeof(st), .spool_bytes = 5 };
	d = (struct health_drops){ 0 };
	j = array();
	CHECK_EQ(qz_health__sink(j, "stdout", &st, &d, 1000), 0);
	qz_json__free(j);
}

int main(void)
{
	RUN(test_collector);
	RUN(test_sink);
	return test_result();
}
