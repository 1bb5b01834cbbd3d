// SPDX-License-Identifier: MIT
/*
 * ingest's config: defaults, a full file read back, each bad file refused
 * with its line, column and key; the schema's statements split as --init
 * runs them; times and durations of `quazar fleet`.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fleet_internal.h"
#include "../test.h"

static const char full[] =
	"kafka:\n"
	"  brokers: k1:9092,k2:9092\n"
	"  topic: quazar.reports\n"
	"  group: ingest-eu\n"
	"  start: latest\n"
	"  session_timeout: 6s\n"
	"  properties: {fetch.wait.max.ms: \"50\"}\n"
	"clickhouse:\n"
	"  url: http://ch:8123/\n"
	"  database: fleet\n"
	"  user: loader\n"
	"  password: secret\n"
	"  timeout: 10s\n"
	"  ttl: 2w\n"
	"batch: {max_rows: 5000, max_bytes: 4MiB, max_age: 250ms}\n"
	"retry: {backoff: 50ms, max_backoff: 5s}\n"
	"ingest: {http_listen: off, log_level: debug}\n";

static void test_full(void)
{
	struct qz_config_error e;
	struct qz_ingest_config *c = qz_ingest_config__load_string(full, strlen(full), &e);

	CHECK(c);
	if (!c) {
		fprintf(stderr, "%s\n", e.msg);
		return;
	}
	CHECK_STR(c->brokers, "k1:9092,k2:9092");
	CHECK_STR(c->topic, "quazar.reports");
	CHECK_STR(c->group, "ingest-eu");
	CHECK(c->start_latest);
	CHECK_EQ(c->session_timeout_ms, 6000);
	CHECK_EQ(c->n_properties, 2);
	CHECK_STR(c->properties[0], "fetch.wait.max.ms");
	CHECK_STR(c->properties[1], "50");
	CHECK(!c->properties[2]);
	CHECK_STR(c->url, "http://ch:8123/");
	CHECK_STR(c->database, "fleet");
	CHECK_STR(c->user, "loader");
	CHECK_STR(c->password, "secret");
	CHECK_EQ(c->timeout_ms, 10000);
	CHECK_EQ(c->ttl_days, 14);
	CHECK_EQ(c->max_rows, 5000);
	CHECK_EQ(c->max_bytes, 4 << 20);
	CHECK_EQ(c->max_age_ms, 250);
	CHECK_EQ(c->backoff_ms, 50);
	CHECK_EQ(c->max_backoff_ms, 5000);
	CHECK(!c->http_listen);
	CHECK_EQ(c->log_level, QZ_LOG_DEBUG);
	qz_ingest_config__free(c);
}

static void test_defaults(void)
{
	static const char text[] = "kafka: {brokers: b:1, topic: t}\n";
	struct qz_ingest_config *c = qz_ingest_config__load_string(text, strlen(text), NULL);

	CHECK(c);
	if (!c)
		return;
	CHECK_STR(c->group, "quazar-ingest");
	CHECK(!c->start_latest);
	CHECK_STR(c->url, "http://127.0.0.1:8123/");
	CHECK_STR(c->database, "quazar");
	CHECK_STR(c->http_listen, "127.0.0.1:9432");
	CHECK_EQ(c->ttl_days, 0);
	CHECK_EQ(c->max_rows, 100000);
	CHECK_EQ(c->max_age_ms, 1000);
	qz_ingest_config__free(c);
}

static const struct {
	const char *text, *msg;
} bad[] = {
	{ "clickhouse: {url: x}\n", "line 1, column 1: kafka: required key missing" },
	{ "kafka: {brokers: b, topic: t}\nkafak: {}\n",
	  "line 2, column 1: kafak: unknown key (known here: kafka, clickhouse, batch, retry, ingest)" },
	{ "kafka:\n  brokers: b\n  topic: t\n  groop: g\n",
	  "line 4, column 3: kafka.groop: unknown key (known here: brokers, topic, group, "
	  "start, session_timeout, properties)" },
	{ "kafka:\n  topic: t\n", "line 2, column 3: kafka.brokers: required key missing" },
	{ "kafka: {brokers: b, topic: t}\nbatch:\n  max_age: fast\n",
	  "line 3, column 12: batch.max_age: \"fast\" is not an interval from 10ms to 24h "
	  "(e.g. 500ms, 1s, 2m)" },
	{ "kafka: {brokers: b, topic: t}\nbatch: {max_rows: 0}\n",
	  "line 2, column 19: batch.max_rows: \"0\" is not a whole number above 0" },
	{ "kafka: {brokers: b, topic: t}\nclickhouse: {ttl: 3 days}\n",
	  "line 2, column 19: clickhouse.ttl: \"3 days\" is not a time in days (e.g. 30d, 2w, 72h) or off" },
	{ "kafka: {brokers: b, topic: t, start: middle}\n",
	  "line 1, column 38: kafka.start: \"middle\" is neither earliest nor latest" },
	{ "kafka: {brokers: b, topic: t}\nretry: {backoff: 2s, max_backoff: 1s}\n",
	  "line 0, column 0: retry.max_backoff is shorter than retry.backoff" },
	{ "kafka: {brokers: b, topic: t}\nclickhouse: {database: \"a`b\"}\n",
	  "line 2, column 24: clickhouse.database: \"a`b\" is not a name of letters, digits and _" },
	{ "kafka: [1, 2\n", "line 2, column 1: syntax error: did not find expected ',' or ']' "
	  "while parsing a flow sequence" },
};

static void test_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qz_config_error e;
		struct qz_ingest_config *c =
			qz_ingest_config__load_string(bad[i].text, strlen(bad[i].text), &e);

		CHECK(!c);
		CHECK_EQ(errno, QZ_ERR_CONFIG);
		CHECK_STR(e.msg, bad[i].msg);
		qz_ingest_config__free(c);
	}
}

static void test_schema_split(void)
{
	const char *pos = qz_fleet__schema_sql();
	char stmt[16384];
	int n = 0, ret;

	while ((ret = qz_fleet__schema_next(&pos, stmt, sizeof(stmt))) > 0) {
		CHECK(!strncmp(stmt, "CREATE TABLE IF NOT EXISTS ", 27));
		CHECK(strstr(stmt, "ReplacingMergeTree"));
		CHECK(strstr(stmt, "PARTITION BY toDate("));
		CHECK(!strstr(stmt, "--"));
		n++;
	}
	CHECK_EQ(ret, 0);
	/* One table per qz_fleet_tables[] entry, and its name first. */
	CHECK_EQ(n, QZ_FT_NR);
	for (int t = 0; t < QZ_FT_NR; t++) {
		char want[96];

		snprintf(want, sizeof(want), "CREATE TABLE IF NOT EXISTS %s (",
			 qz_fleet_tables[t].name);
		CHECK(strstr(qz_fleet__schema_sql(), want));
	}
}

static void test_times(void)
{
	uint64_t now = 1795273649, t = 0, d = 0;

	CHECK_EQ(qz_fleet__parse_time("now", now, &t), 0);
	CHECK_EQ(t, now);
	CHECK_EQ(qz_fleet__parse_time("now-1h", now, &t), 0);
	CHECK_EQ(t, now - 3600);
	CHECK_EQ(qz_fleet__parse_time("-90s", now, &t), 0);
	CHECK_EQ(t, now - 90);
	CHECK_EQ(qz_fleet__parse_time("@1700000000", now, &t), 0);
	CHECK_EQ(t, 1700000000);
	CHECK_EQ(qz_fleet__parse_time("2026-11-21T14:00:05Z", now, &t), 0);
	CHECK_EQ(t, 1795269605);
	CHECK_EQ(qz_fleet__parse_time("2026-11-21 14:00Z", now, &t), 0);
	CHECK_EQ(t, 1795269600);
	CHECK_EQ(qz_fleet__parse_time("14:00", now, &t), 0);
	CHECK_EQ(qz_fleet__parse_time("yesterday", now, &t), -EINVAL);
	CHECK_EQ(qz_fleet__parse_time("2026-11-21 14:00 junk", now, &t), -EINVAL);
	CHECK_EQ(qz_fleet__parse_duration("5m", &d), 0);
	CHECK_EQ(d, 300);
	CHECK_EQ(qz_fleet__parse_duration("2d", &d), 0);
	CHECK_EQ(d, 172800);
	CHECK_EQ(qz_fleet__parse_duration("0s", &d), -ERANGE);
	CHECK_EQ(qz_fleet__parse_duration("1y", &d), -EINVAL);
	CHECK_EQ(qz_ingest_config__parse_days("72h", (unsigned int *)&d), 0);
	CHECK_EQ((unsigned int)d, 3);
}

int main(void)
{
	RUN(test_full);
	RUN(test_defaults);
	RUN(test_bad);
	RUN(test_schema_split);
	RUN(test_times);
	return test_result();
}
