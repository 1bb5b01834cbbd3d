// SPDX-License-Identifier: MIT
/*
 * Flattening reports into rows, without Kafka or ClickHouse: each report
 * type's rows, TabSeparated escapes, and bad input kept in raw with its
 * reason while the typed tables take nothing of it.
 */
#include <stdio.h>
#include <string.h>
#include "batch.h"
#include "../test.h"

#define ENV(type, seq) \
	"{\"ts\":5,\"type\":\"" type "\",\"host\":\"h1\",\"collector\":\"c\",\"seq\":" #seq \
	",\"interval_start\":1795273648432152727,\"interval_end\":1795273649432569319"
#define ROW_ENV(seq) "h1\tc\t" #seq "\t1795273648432152727\t1795273649432569319\t"

static struct qz_fleet_batch b;

static void add(const char *msg)
{
	struct qz_fleet_origin o = { "quazar", 2, 41 };

	CHECK_EQ(qz_fleet_batch__add(&b, msg, strlen(msg), &o), 0);
}

/* The rows of table t, NUL-terminated. */
static const char *rows(enum qz_fleet_table t)
{
	qz_buf__put(&b.rows[t], "", 1);
	b.rows[t].len--;
	return b.rows[t].data ? b.rows[t].data : "";
}

static void test_stat(void)
{
	qz_fleet_batch__reset(&b);
	add(ENV("stat", 1) ",\"labels\":{\"dc\":\"eu'1\"},\"interval_ns\":1,\"counters\":["
	    "{\"event\":\"cpu-clock\",\"value\":20,\"scaled\":20.5,\"running_pct\":100,"
	    "\"per_cpu\":[{\"cpu\":0,\"value\":12,\"scaled\":12,\"running_pct\":100},"
	    "{\"cpu\":1,\"value\":8,\"scaled\":null,\"running_pct\":100}]}]}");
	CHECK_STR(rows(QZ_FT_STAT),
		  ROW_ENV(1) "cpu-clock\t0\t-1\t20\t20.5\t100\n"
		  ROW_ENV(1) "cpu-clock\t1\t0\t12\t12\t100\n"
		  ROW_ENV(1) "cpu-clock\t1\t1\t8\tnan\t100\n");
	CHECK_STR(rows(QZ_FT_REPORTS),
		  ROW_ENV(1) "stat\t5\t['dc']\t['eu\\'1']\t" "362\t2\t41\n");
	CHECK_EQ(b.nrows[QZ_FT_STAT], 3);
	CHECK_EQ(b.rows_total, 4);
	CHECK_EQ(b.nrows[QZ_FT_RAW], 0);
}

static void test_types(void)
{
	static const struct {
		const char *msg;
		enum qz_fleet_table table;
		const char *row;	/* after the envelope; NULL: not checked */
		int nrows;
	} cases[] = {
		{ ENV("top", 2) ",\"key\":\"pid\",\"keys\":1,\"rows\":[{\"pid\":7,\"comm\":\"a\\tb\","
		  "\"count\":3,\"runtime\":99,\"wait\":-1}]}", QZ_FT_TOP,
		  "0\tpid\t7\ta\\tb\t3\t['runtime','wait']\t[99,-1]\n", 1 },
		{ ENV("multi_trace", 3) ",\"pairs\":[{\"start\":\"w\",\"end\":\"s\",\"calls\":2,"
		  "\"total\":30,\"min\":10,\"p50\":11,\"p95\":19,\"p99\":20,\"max\":20}]}",
		  QZ_FT_MULTI_TRACE, "w\ts\t\t0\t0\t\t2\t30\t10\t11\t19\t20\t20\n", 1 },
		{ ENV("task_state", 4) ",\"rows\":[{\"tid\":9,\"comm\":\"x\",\"state\":\"S\","
		  "\"calls\":1,\"total\":5,\"min\":5,\"p50\":5,\"p95\":5,\"p99\":5,\"max\":5}]}",
		  QZ_FT_TASK_STATE, "9\tx\tS\t1\t5\t5\t5\t5\t5\t5\n", 1 },
		{ ENV("kmemleak", 5) ",\"final\":true,\"allocs\":3,\"frees\":1,\"leaks\":["
		  "{\"bytes\":8,\"objects\":1,\"stack\":[{\"addr\":\"0x1\",\"sym\":\"leaf\"},"
		  "{\"addr\":\"0x2\"}]}]}", QZ_FT_KMEMLEAK_LEAKS, "0\t8\t1\t0x2;leaf\n", 1 },
		{ ENV("vm", 6) ",\"event\":\"create\",\"pid\":31,\"comm\":\"qemu\",\"vms\":1,"
		  "\"vcpus\":0,\"age_ns\":0}", QZ_FT_VM, "5\tcreate\t31\tqemu\t1\t0\t0\n", 1 },
		{ ENV("vms", 7) ",\"alive\":1,\"created\":1,\"destroyed\":0,\"vms\":[{\"pid\":31,"
		  "\"comm\":\"qemu\",\"name\":\"web1\",\"vcpus\":2,\"age_ns\":9,\"exits\":5,"
		  "\"user_exits\":4,\"guest_ns\":3}]}", QZ_FT_VMS,
		  "1\t1\t0\t[31]\t['qemu']\t['web1']\t[2]\t[9]\t[5]\t[4]\t[3]\n", 1 },
		{ ENV("profile", 8) ",\"period_ns\":10,\"samples\":4,\"cpus\":[{\"cpu\":0,"
		  "\"samples\":4,\"idle\":0,\"busy_pct\":40}],\"functions\":[{\"sym\":\"burn\","
		  "\"module\":\"spin\",\"samples\":3,\"pct\":75}],\"stacks\":[{\"samples\":3,"
		  "\"pct\":75,\"comm\":\"spin\",\"frames\":[\"main\",\"burn\"]}]}",
		  QZ_FT_PROFILE_STACKS, "0\tspin;main;burn\t3\n", 1 },
		{ ENV("event", 9) ",\"event\":\"sched:x\",\"cpu\":1,\"pid\":2,\"tid\":3,"
		  "\"comm\":\"c\",\"fields\":{\"a\":1}}", QZ_FT_EVENTS,
		  "5\tsched:x\t1\t2\t3\tc\t{\"a\":1}\t0\t\n", 1 },
		{ ENV("lost", 10) ",\"cpu\":1,\"lost\":19942}", QZ_FT_LOST, "1\t19942\n", 1 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *got;

		qz_fleet_batch__reset(&b);
		add(cases[i].msg);
		CHECK_EQ(b.nrows[cases[i].table], cases[i].nrows);
		CHECK_EQ(b.nrows[QZ_FT_RAW], 0);
		CHECK_EQ(b.nrows[QZ_FT_REPORTS], 1);
		got = rows(cases[i].table);
		/* The envelope, then the row. */
		got = strchr(got, '\t') ? got : "";
		for (int tabs = 0; tabs < 5 && *got; got++)
			tabs += *got == '\t';
		CHECK_STR(got, cases[i].row);
	}
	CHECK_EQ(b.nrows[QZ_FT_PROFILE], 0);	/* reset between cases */
}

static void test_bad(void)
{
	static const struct {
		const char *msg, *reason;
		enum qz_fleet_raw_kind kind;
		bool report;		/* has an envelope: a row in reports */
	} cases[] = {
		{ "hello", "not JSON", QZ_RAW_NOT_REPORT, false },
		{ "{\"a\":1} {", "not JSON: more after the value", QZ_RAW_NOT_REPORT, false },
		{ "{\"a\":", "not JSON: it ends too soon", QZ_RAW_NOT_REPORT, false },
		{ "[1]", "not a report: a JSON array, not an object", QZ_RAW_NOT_REPORT, false },
		{ "{\"type\":\"stat\",\"host\":\"h1\"}", "missing field 'collector'",
		  QZ_RAW_NO_ENVELOPE, false },
		{ ENV("stat", -1) "}", "negative: 'seq'", QZ_RAW_NO_ENVELOPE, false },
		{ ENV("stat", 0) "}", "zero: 'seq'", QZ_RAW_NO_ENVELOPE, false },
		{ ENV("stat", 1) ",\"counters\":[{\"event\":\"x\",\"value\":1,\"scaled\":1,"
		  "\"running_pct\":1},{\"event\":\"y\",\"value\":\"2\"}]}",
		  "not an unsigned integer: 'counters[1].value'", QZ_RAW_BAD_PAYLOAD, true },
		{ ENV("top", 1) ",\"key\":\"pid\",\"rows\":[{\"pid\":1,\"count\":1},5]}",
		  "rows[1] is not an object", QZ_RAW_BAD_PAYLOAD, true },
		{ ENV("wormhole", 1) "}", "unknown type 'wormhole'", QZ_RAW_UNKNOWN_TYPE, true },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char want[512];
		const char *raw;

		qz_fleet_batch__reset(&b);
		add(cases[i].msg);
		CHECK_EQ(b.nrows[QZ_FT_RAW], 1);
		CHECK_EQ(b.raw[cases[i].kind], 1);
		CHECK_EQ(b.nrows[QZ_FT_REPORTS], cases[i].report);
		/* Nothing in the typed tables: the first counter was taken back. */
		CHECK_EQ(b.rows_total, 1 + cases[i].report);
		CHECK_EQ(b.rows[QZ_FT_STAT].len, 0);
		raw = rows(QZ_FT_RAW);
		/* TabSeparated escapes the quotes. */
		want[0] = '\t';
		for (size_t k = 0, n = 1; n + 2 < sizeof(want); k++) {
			if (cases[i].reason[k] == '\'')
				want[n++] = '\\';
			want[n++] = cases[i].reason[k];
			if (!cases[i].reason[k])
				break;
		}
		if (!strstr(raw, want))
			fprintf(stderr, "case %zu: raw row %s lacks '%s'\n", i, raw,
				cases[i].reason);
		CHECK(strstr(raw, want));
		/* Where it came from, and an id only for what has no envelope. */
		CHECK(strstr(raw, cases[i].report ? "\t\tquazar\t2\t41\n" :
				  "\tquazar/2/41\tquazar\t2\t41\n"));
	}
}

static void test_escapes(void)
{
	struct qz_buf o = { 0 };

	qz_buf__str(&o, "a\tb\nc\\d'e\0f", 11);
	qz_buf__put(&o, "", 1);
	CHECK_STR(o.data, "a\\tb\\nc\\\\d\\'e\\0f");
	o.len = 0;
	qz_buf__i64(&o, INT64_MIN);
	qz_buf__put(&o, " ", 1);
	qz_buf__u64(&o, UINT64_MAX);
	qz_buf__put(&o, "", 1);
	CHECK_STR(o.data, "-9223372036854775808 18446744073709551615");
	free(o.data);
}

int main(void)
{
	qz_fleet_batch__init(&b);
	RUN(test_stat);
	RUN(test_types);
	RUN(test_bad);
	RUN(test_escapes);
	qz_fleet_batch__release(&b);
	return test_result();
}
