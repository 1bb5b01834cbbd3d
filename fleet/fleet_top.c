// SPDX-License-Identifier: MIT
/*
 * `quazar fleet top --metric COLLECTOR.FIELD --since 1h`: every host's value
 * of a metric over the last window, ranked, beside the window before it.
 * The collector's report type says where the metric lives:
 *	multi_trace, task_state	FIELD is p50, p95, p99, max, min, avg, calls
 *				or total; latencies in microseconds
 *	stat			FIELD is an event; its total per second
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet_internal.h"

/* How each latency field of an interval combines over a window. */
static const struct {
	const char *field, *expr;	/* %1$s: the window's condition */
} latency[] = {
	/* A percentile per interval: their mean, weighted by the calls. */
	{ "p50", "sumIf(toFloat64(p50) * calls, %1$s) / sumIf(calls, %1$s) / 1000" },
	{ "p95", "sumIf(toFloat64(p95) * calls, %1$s) / sumIf(calls, %1$s) / 1000" },
	{ "p99", "sumIf(toFloat64(p99) * calls, %1$s) / sumIf(calls, %1$s) / 1000" },
	{ "max", "maxIf(max, %1$s) / 1000" },
	{ "min", "minIf(min, %1$s) / 1000" },
	{ "avg", "sumIf(total, %1$s) / sumIf(calls, %1$s) / 1000" },
	{ "total", "sumIf(total, %1$s) / 1000" },
	{ "calls", "sumIf(calls, %1$s)" },
};

static int collector_type(struct qz_ch *ch, const char *collector, uint64_t from,
			  char *type, size_t size, char *err, size_t err_len)
{
	static const char sql[] = "SELECT any(type) FROM reports WHERE collector = ";
	struct qz_buf q = { 0 }, out = { 0 };
	char tail[128];
	int ret;

	qz_buf__put(&q, sql, strlen(sql));
	qz_fleet__sql_quote(&q, collector);
	snprintf(tail, sizeof(tail), " AND time >= toDateTime(%" PRIu64 ") FORMAT TabSeparated",
		 from);
	qz_buf__put(&q, tail, strlen(tail) + 1);
	ret = q.err ? q.err : qz_fleet__select_tsv(ch, q.data, &out, err, err_len);
	if (!ret) {
		snprintf(type, size, "%.*s", (int)(out.len ? out.len - 1 : 0), out.data);
		if (!*type) {
			snprintf(err, err_len, "no reports from a collector named '%s' in the "
				 "last two windows", collector);
			ret = -ENOENT;
		}
	}
	free(q.data);
	free(out.data);
	return ret;
}

static int latency_expr(const char *field, const char *cond, char *out, size_t size)
{
	for (size_t i = 0; i < sizeof(latency) / sizeof(latency[0]); i++)
		if (!strcmp(latency[i].field, field)) {
			snprintf(out, size, latency[i].expr, cond);
			return 0;
		}
	return -EINVAL;
}

int qz_fleet__top(const struct qz_fleet_opts *o, const struct qz_fleet_top_opts *t,
		  char *err, size_t err_len)
{
	uint64_t now = t->now_s ? t->now_s : (uint64_t)time(NULL);
	uint64_t t0 = now - 2 * t->since_s, t1 = now - t->since_s;
	char collector[256], type[64], cur[64], prev[64], vnow[512], vprev[512];
	const char *dot = strrchr(t->metric, '.'), *field, *table, *unit;
	struct qz_buf q = { 0 };
	struct qz_ch *ch;
	int ret;

	if (!dot || dot == t->metric || !dot[1]) {
		snprintf(err, err_len, "--metric '%s' is not COLLECTOR.FIELD "
			 "(e.g. sched-latency.p99, cpu-counters.cpu-clock)", t->metric);
		return -EINVAL;
	}
	snprintf(collector, sizeof(collector), "%.*s", (int)(dot - t->metric), t->metric);
	field = dot + 1;
	ch = qz_fleet__connect(o);
	if (!ch)
		return -ENOMEM;
	ret = collector_type(ch, collector, t0, type, sizeof(type), err, err_len);
	if (ret)
		goto out;
	snprintf(cur, sizeof(cur), "time >= toDateTime(%" PRIu64 ")", t1);
	snprintf(prev, sizeof(prev), "time < toDateTime(%" PRIu64 ")", t1);
	if (!strcmp(type, "multi_trace") || !strcmp(type, "task_state")) {
		table = type;
		unit = !strcmp(field, "calls") ? "" : "_us";
		if (latency_expr(field, cur, vnow, sizeof(vnow)) ||
		    latency_expr(field, prev, vprev, sizeof(vprev))) {
			snprintf(err, err_len, "'%s' is not a field of %s reports; one of: "
				 "p50 p95 p99 max min avg total calls", field, type);
			ret = -EINVAL;
			goto out;
		}
	} else if (!strcmp(type, "stat")) {
		table = "stat";
		unit = "_per_s";
		snprintf(vnow, sizeof(vnow), "sumIf(value, per_cpu = 0 AND %s) / %" PRIu64,
			 cur, t->since_s);
		snprintf(vprev, sizeof(vprev), "sumIf(value, per_cpu = 0 AND %s) / %" PRIu64,
			 prev, t->since_s);
	} else {
		snprintf(err, err_len, "collector '%s' makes %s reports; fleet top reads "
			 "multi_trace, task_state and stat", collector, type);
		ret = -EINVAL;
		goto out;
	}
#define P(...) do { char _s[2048]; snprintf(_s, sizeof(_s), __VA_ARGS__); \
		    qz_buf__put(&q, _s, strlen(_s)); } while (0)
	P("SELECT host, round(%s, 1) AS now%s, round(%s, 1) AS before%s, ", vnow, unit,
	  vprev, unit);
	P("round(now%s - before%s, 1) AS change%s, ", unit, unit, unit);
	P("round(100 * (now%s - before%s) / before%s, 1) AS change_pct, ", unit, unit, unit);
	P("uniqExactIf((collector, seq, interval_end), %s) AS reports ", cur);
	P("FROM %s FINAL WHERE collector = ", table);
	qz_fleet__sql_quote(&q, collector);
	if (!strcmp(table, "stat")) {
		qz_buf__put(&q, " AND event = ", 13);
		qz_fleet__sql_quote(&q, field);
	}
	P(" AND time >= toDateTime(%" PRIu64 ") AND time < toDateTime(%" PRIu64 ") ",
	  t0, now);
	P("GROUP BY host HAVING reports > 0 ORDER BY %s%s DESC, host LIMIT %u",
	  t->by_change ? "change" : "now", unit, t->limit ? t->limit : 100);
#undef P
	qz_buf__put(&q, "", 1);
	ret = q.err ? q.err : qz_fleet__print_query(o, ch, q.data, err, err_len);
out:
	free(q.data);
	qz_ch__free(ch);
	return ret;
}
