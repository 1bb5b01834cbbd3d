// SPDX-License-Identifier: MIT
/* ingest's /metrics and /healthz, on the agent's HTTP server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include "http.h"
#include "ingest_internal.h"

struct counter {
	const char *name, *help;
	size_t off;
	enum qz_metric_type type;
};

#define C(name, member, type, help) \
	{ name, help, offsetof(struct ingest_stats, member), type }

static const struct counter counters[] = {
	C("quazar_ingest_messages_total", messages, QZ_METRIC_COUNTER,
	  "Kafka messages loaded into ClickHouse (typed tables or raw)."),
	C("quazar_ingest_reports_total", reports, QZ_METRIC_COUNTER,
	  "Messages with a report envelope, loaded."),
	C("quazar_ingest_batches_total", batches, QZ_METRIC_COUNTER,
	  "Batches ClickHouse accepted."),
	C("quazar_ingest_insert_errors_total", insert_errors, QZ_METRIC_COUNTER,
	  "INSERTs that failed (ClickHouse down or refusing)."),
	C("quazar_ingest_insert_retries_total", insert_retries, QZ_METRIC_COUNTER,
	  "INSERTs tried again after a failure that failed again."),
	C("quazar_ingest_commits_total", commits, QZ_METRIC_COUNTER,
	  "Offset commits after a batch was accepted."),
	C("quazar_ingest_commit_errors_total", commit_errors, QZ_METRIC_COUNTER,
	  "Offset commits that failed (kept and tried again)."),
	C("quazar_ingest_rebalances_total", rebalances, QZ_METRIC_COUNTER,
	  "Partition assignments and revocations."),
	C("quazar_ingest_dropped_batches_total", dropped_batches, QZ_METRIC_COUNTER,
	  "Batches given up uncommitted (revoked or at shutdown); read again."),
	C("quazar_ingest_partitions_dropped_total", partitions_dropped, QZ_METRIC_COUNTER,
	  "Day partitions dropped for clickhouse.ttl."),
	C("quazar_ingest_pending_rows", pending_rows, QZ_METRIC_GAUGE,
	  "Rows in the batch not yet accepted by ClickHouse."),
	C("quazar_ingest_pending_messages", pending_messages, QZ_METRIC_GAUGE,
	  "Messages in the batch, read but not yet committed."),
};

static int metrics_page(struct qz_metrics *m, void *ctx)
{
	struct qz_ingest *in = ctx;
	const struct ingest_stats *st = &in->st;
	char part[16];

	pthread_mutex_lock(&in->lock);
	for (size_t i = 0; i < QZ_ARRAY_SIZE(counters); i++) {
		qz_metrics__family(m, counters[i].name, counters[i].type, counters[i].help);
		qz_metrics__sample_u64(m, NULL,
				       *(const uint64_t *)((const char *)st + counters[i].off));
	}
	qz_metrics__family(m, "quazar_ingest_rows_total", QZ_METRIC_COUNTER,
			   "Rows ClickHouse accepted, per table.");
	for (int t = 0; t < QZ_FT_NR; t++) {
		const char *labels[] = { "table", qz_fleet_tables[t].name, NULL };

		qz_metrics__sample_u64(m, labels, st->rows[t]);
	}
	qz_metrics__family(m, "quazar_ingest_raw_messages_total", QZ_METRIC_COUNTER,
			   "Messages kept in the raw table, by why.");
	for (int k = 0; k < QZ_RAW_KINDS; k++) {
		const char *labels[] = { "reason", qz_fleet_raw_kind_names[k], NULL };

		qz_metrics__sample_u64(m, labels, st->raw[k]);
	}
	qz_metrics__family(m, "quazar_ingest_clickhouse_up", QZ_METRIC_GAUGE,
			   "1 when the last INSERT reached ClickHouse.");
	qz_metrics__sample_u64(m, NULL, st->clickhouse_up);
	qz_metrics__family(m, "quazar_ingest_assigned_partitions", QZ_METRIC_GAUGE,
			   "Partitions of the topic this process owns in the group.");
	qz_metrics__sample_u64(m, NULL, st->nr_lag);
	qz_metrics__family(m, "quazar_ingest_consumer_lag", QZ_METRIC_GAUGE,
			   "Messages behind the partition's end not yet committed (-1: unknown).");
	for (size_t i = 0; i < st->nr_lag; i++) {
		const char *labels[] = { "topic", in->cfg->topic, "partition", part, NULL };

		snprintf(part, sizeof(part), "%d", st->lag[i].partition);
		qz_metrics__sample(m, labels, (double)st->lag[i].lag);
	}
	pthread_mutex_unlock(&in->lock);
	return qz_metrics__error(m);
}

int qz_ingest__http_start(struct qz_ingest *in)
{
	QZ_OPTS(qz_http_ops, ops, .log_fn = in->log.fn, .log_ctx = in->log.ctx,
		.metrics = metrics_page);

	in->http = qz_http__new(in->cfg->http_listen, &ops, in);
	if (!in->http)
		return -errno;
	qz_log(&in->log, QZ_LOG_INFO, "HTTP endpoint on %s (port %d): /healthz /metrics",
	       in->cfg->http_listen, qz_http__port(in->http));
	return 0;
}
