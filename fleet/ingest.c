// SPDX-License-Identifier: MIT
/*
 * `quazar ingest`: read reports from Kafka, flatten them into a batch,
 * insert the batch into ClickHouse when it is big or old enough, and only
 * then commit the offsets. While ClickHouse refuses, the batch is retried
 * with a growing backoff and the partitions are paused (still polled, so
 * the group keeps us); nothing is committed until it is in.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "http.h"
#include "ingest_internal.h"

#define LAG_EVERY_MS 1000
#define TTL_EVERY_MS (3600 * 1000)
#define SHUTDOWN_MS 10000

uint64_t qz_ingest__now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct qz_ingest *qz_ingest__new(const struct qz_ingest_config *cfg,
				 qz_log_fn log, void *log_ctx, char *err,
				 size_t err_len)
{
	struct qz_ingest *in = calloc(1, sizeof(*in));

	if (!in) {
		snprintf(err, err_len, "out of memory");
		return NULL;
	}
	in->cfg = cfg;
	in->log.fn = log;
	in->log.ctx = log_ctx;
	pthread_mutex_init(&in->lock, NULL);
	qz_fleet_batch__init(&in->batch);
	in->backoff_ms = cfg->backoff_ms;
	in->ch = qz_ch__new(cfg->url, cfg->database, cfg->user, cfg->password,
			    cfg->timeout_ms);
	if (!in->ch) {
		snprintf(err, err_len, "cannot set up the ClickHouse client (libcurl)");
		goto fail;
	}
	if (qz_ingest__consumer_new(in, err, err_len))
		goto fail;
	if (cfg->http_listen) {
		int ret = qz_ingest__http_start(in);

		if (ret) {
			snprintf(err, err_len, "cannot serve HTTP on %s: %s; set "
				 "ingest.http_listen to a free address or 'off'",
				 cfg->http_listen, strerror(-ret));
			goto fail;
		}
	}
	return in;
fail:
	qz_ingest__free(in);
	return NULL;
}

int qz_ingest__http_port(const struct qz_ingest *in)
{
	return in->http ? qz_http__port(in->http) : 0;
}

void qz_ingest__drop_batch(struct qz_ingest *in, const char *why)
{
	qz_log(&in->log, QZ_LOG_WARN, "batch of %llu messages not committed: %s",
	       (unsigned long long)in->batch.messages, why);
	pthread_mutex_lock(&in->lock);
	in->st.dropped_batches++;
	in->st.pending_rows = in->st.pending_messages = 0;
	pthread_mutex_unlock(&in->lock);
	qz_fleet_batch__reset(&in->batch);
	if (in->offsets)
		rd_kafka_topic_partition_list_destroy(in->offsets);
	in->offsets = NULL;
	in->waiting = false;
}

static int insert_table(struct qz_ingest *in, int t, char *err, size_t err_len)
{
	char query[512];

	snprintf(query, sizeof(query), "INSERT INTO %s (%s) FORMAT TabSeparated",
		 qz_fleet_tables[t].name, qz_fleet_tables[t].columns);
	return qz_ch__query(in->ch, query, in->batch.rows[t].data + in->batch.sent[t],
			    in->batch.rows[t].len - in->batch.sent[t], NULL, err, err_len);
}

static void flushed(struct qz_ingest *in)
{
	struct qz_fleet_batch *b = &in->batch;

	pthread_mutex_lock(&in->lock);
	in->st.batches++;
	in->st.messages += b->messages;
	in->st.reports += b->reports;
	for (int t = 0; t < QZ_FT_NR; t++)
		in->st.rows[t] += b->nrows[t];
	for (int k = 0; k < QZ_RAW_KINDS; k++)
		in->st.raw[k] += b->raw[k];
	in->st.clickhouse_up = true;
	in->st.pending_rows = in->st.pending_messages = 0;
	pthread_mutex_unlock(&in->lock);
	if (in->failures)
		qz_log(&in->log, QZ_LOG_INFO, "ClickHouse took the batch after %u failed "
		       "tries", in->failures);
	in->failures = 0;
	in->waiting = false;
	in->backoff_ms = in->cfg->backoff_ms;
	qz_fleet_batch__reset(b);
}

int qz_ingest__flush(struct qz_ingest *in)
{
	struct qz_fleet_batch *b = &in->batch;
	char err[512];
	int ret = 0;

	for (int t = 0; t < QZ_FT_NR; t++) {
		if (b->sent[t] == b->rows[t].len)
			continue;
		ret = insert_table(in, t, err, sizeof(err));
		if (ret)
			break;
		/* A retry skips it: sending it again would only add copies. */
		b->sent[t] = b->rows[t].len;
	}
	if (ret) {
		pthread_mutex_lock(&in->lock);
		in->st.insert_errors++;
		in->st.insert_retries += in->failures > 0;
		in->st.clickhouse_up = ret == -EIO;
		pthread_mutex_unlock(&in->lock);
		/* The first failure, then every tenth: an outage is a few lines. */
		if (!in->failures || !(in->failures % 10))
			qz_log(&in->log, QZ_LOG_WARN, "ClickHouse insert failed (%u in a row): "
			       "%s; %llu messages wait, retrying in %llu ms, nothing committed",
			       in->failures + 1, err, (unsigned long long)b->messages,
			       (unsigned long long)in->backoff_ms);
		in->failures++;
		in->waiting = true;
		in->retry_at_ms = qz_ingest__now_ms() + in->backoff_ms;
		in->backoff_ms *= 2;
		if (in->backoff_ms > in->cfg->max_backoff_ms)
			in->backoff_ms = in->cfg->max_backoff_ms;
		qz_ingest__pause(in, true);
		return ret;
	}
	flushed(in);
	qz_ingest__pause(in, false);
	qz_ingest__commit(in);
	return 0;
}

static void note_offset(struct qz_ingest *in, const rd_kafka_message_t *m)
{
	const char *topic = rd_kafka_topic_name(m->rkt);
	rd_kafka_topic_partition_t *p;

	if (!in->offsets)
		in->offsets = rd_kafka_topic_partition_list_new(8);
	p = rd_kafka_topic_partition_list_find(in->offsets, topic, m->partition);
	if (!p)
		p = rd_kafka_topic_partition_list_add(in->offsets, topic, m->partition);
	/* A commit names the next offset to read. */
	if (m->offset + 1 > p->offset)
		p->offset = m->offset + 1;
}

static int handle(struct qz_ingest *in, rd_kafka_message_t *m)
{
	struct qz_fleet_origin o;
	int ret;

	if (m->err) {
		if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
			qz_log(&in->log, QZ_LOG_WARN, "kafka: %s", rd_kafka_message_errstr(m));
		return 0;
	}
	o.topic = rd_kafka_topic_name(m->rkt);
	o.partition = m->partition;
	o.offset = m->offset;
	ret = qz_fleet_batch__add(&in->batch, m->payload ? m->payload : "", m->len, &o);
	if (ret)
		return ret;
	note_offset(in, m);
	pthread_mutex_lock(&in->lock);
	in->st.pending_rows = in->batch.rows_total;
	in->st.pending_messages = in->batch.messages;
	pthread_mutex_unlock(&in->lock);
	return 0;
}

static bool batch_due(struct qz_ingest *in, uint64_t now)
{
	const struct qz_fleet_batch *b = &in->batch;

	if (!b->messages)
		return false;
	return b->rows_total >= in->cfg->max_rows ||
	       qz_fleet_batch__bytes(b) >= in->cfg->max_bytes ||
	       now - b->first_ms >= in->cfg->max_age_ms;
}

static void housekeeping(struct qz_ingest *in, uint64_t now)
{
	char err[512];
	int n;

	if (now >= in->next_lag_ms) {
		qz_ingest__update_lag(in);
		in->next_lag_ms = now + LAG_EVERY_MS;
	}
	if (in->cfg->ttl_days && now >= in->next_ttl_ms && !in->waiting) {
		n = qz_fleet__drop_old_partitions(in->ch, in->cfg->ttl_days, err, sizeof(err));
		in->next_ttl_ms = now + (n < 0 ? 60000 : TTL_EVERY_MS);
		if (n < 0)
			qz_log(&in->log, QZ_LOG_WARN, "ttl: %s; trying again in a minute", err);
		else if (n > 0)
			qz_log(&in->log, QZ_LOG_INFO, "ttl: dropped %d day partitions older "
			       "than %u days", n, in->cfg->ttl_days);
		pthread_mutex_lock(&in->lock);
		in->st.partitions_dropped += n > 0 ? (uint64_t)n : 0;
		pthread_mutex_unlock(&in->lock);
	}
}

int qz_ingest__run(struct qz_ingest *in, volatile int *stop)
{
	uint64_t deadline;
	int ret = 0;

	qz_log(&in->log, QZ_LOG_INFO, "ingest: group %s on %s at %s, into %s database %s",
	       in->cfg->group, in->cfg->topic, in->cfg->brokers, in->cfg->url,
	       in->cfg->database);
	in->next_ttl_ms = qz_ingest__now_ms() + 10000;
	while (!*stop && !ret) {
		uint64_t now = qz_ingest__now_ms(), wait = 100;
		rd_kafka_message_t *m;

		if (in->waiting && now >= in->retry_at_ms) {
			qz_ingest__flush(in);
			continue;
		}
		if (!in->waiting && batch_due(in, now)) {
			qz_ingest__flush(in);
			continue;
		}
		if (in->waiting && in->retry_at_ms - now < wait)
			wait = in->retry_at_ms - now;
		else if (!in->waiting && in->batch.messages &&
			 in->batch.first_ms + in->cfg->max_age_ms - now < wait)
			wait = in->batch.first_ms + in->cfg->max_age_ms - now;
		m = rd_kafka_consumer_poll(in->rk, (int)wait);
		if (m) {
			ret = handle(in, m);
			rd_kafka_message_destroy(m);
		}
		housekeeping(in, qz_ingest__now_ms());
	}
	/* Shutting down: the batch in hand goes in (or is left for the group). */
	deadline = qz_ingest__now_ms() + SHUTDOWN_MS;
	while (in->batch.messages && qz_ingest__flush(in) &&
	       qz_ingest__now_ms() < deadline) {
		while (qz_ingest__now_ms() < in->retry_at_ms &&
		       qz_ingest__now_ms() < deadline) {
			rd_kafka_message_t *m = rd_kafka_consumer_poll(in->rk, 100);

			if (m)
				rd_kafka_message_destroy(m);
		}
	}
	if (in->batch.messages)
		qz_ingest__drop_batch(in, "ClickHouse did not take it before the "
				      "shutdown deadline; the group reads it again");
	qz_ingest__commit(in);
	rd_kafka_consumer_close(in->rk);
	qz_log(&in->log, QZ_LOG_INFO, "ingest stopped: %llu messages, %llu batches, "
	       "%llu insert errors", (unsigned long long)in->st.messages,
	       (unsigned long long)in->st.batches,
	       (unsigned long long)in->st.insert_errors);
	return ret;
}

void qz_ingest__free(struct qz_ingest *in)
{
	if (!in)
		return;
	qz_http__free(in->http);
	if (in->rk)
		rd_kafka_destroy(in->rk);
	if (in->offsets)
		rd_kafka_topic_partition_list_destroy(in->offsets);
	if (in->uncommitted)
		rd_kafka_topic_partition_list_destroy(in->uncommitted);
	if (in->assignment)
		rd_kafka_topic_partition_list_destroy(in->assignment);
	qz_ch__free(in->ch);
	qz_fleet_batch__release(&in->batch);
	free(in->st.lag);
	pthread_mutex_destroy(&in->lock);
	free(in);
}
