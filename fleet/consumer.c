// SPDX-License-Identifier: MIT
/*
 * ingest's Kafka side: a high-level consumer in a group, offsets never
 * committed by librdkafka (only after ClickHouse took the batch), and the
 * rebalance callback. The group uses the eager protocol: on a rebalance
 * every partition is revoked, so the batch in hand is flushed and
 * committed first, or dropped when ClickHouse will not take it (its
 * messages are read again by whoever gets their partitions: duplicates at
 * worst, which the tables fold).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ingest_internal.h"

static void on_error(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
	struct qz_ingest *in = opaque;

	(void)rk;
	qz_log(&in->log, QZ_LOG_WARN, "kafka: %s: %s", rd_kafka_err2name(err), reason);
}

static void on_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
	struct qz_ingest *in = rd_kafka_opaque(rk);

	qz_log(&in->log, level <= 4 ? QZ_LOG_WARN : level <= 6 ? QZ_LOG_INFO :
	       QZ_LOG_DEBUG, "kafka: %s: %s", fac, buf);
}

static void set_lag_partitions(struct qz_ingest *in,
			       const rd_kafka_topic_partition_list_t *parts)
{
	struct ingest_lag *lag = calloc(parts ? (size_t)parts->cnt + 1 : 1, sizeof(*lag));

	for (int i = 0; lag && parts && i < parts->cnt; i++) {
		lag[i].partition = parts->elems[i].partition;
		lag[i].lag = -1;
		lag[i].committed = parts->elems[i].offset >= 0 ? parts->elems[i].offset : -1;
	}
	pthread_mutex_lock(&in->lock);
	free(in->st.lag);
	in->st.lag = lag;
	in->st.nr_lag = lag && parts ? (size_t)parts->cnt : 0;
	pthread_mutex_unlock(&in->lock);
}

static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
			 rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	struct qz_ingest *in = opaque;
	char list[256];
	size_t n = 0;

	list[0] = 0;
	for (int i = 0; i < parts->cnt && n < sizeof(list); i++)
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%d", i ? "," : "",
				      parts->elems[i].partition);
	pthread_mutex_lock(&in->lock);
	in->st.rebalances++;
	pthread_mutex_unlock(&in->lock);
	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		qz_log(&in->log, QZ_LOG_INFO, "assigned partitions [%s] of %s",
		       list, in->cfg->topic);
		rd_kafka_assign(rk, parts);
		if (in->assignment)
			rd_kafka_topic_partition_list_destroy(in->assignment);
		in->assignment = rd_kafka_topic_partition_list_copy(parts);
		/* Where each starts: the group's committed offsets, for the lag. */
		rd_kafka_committed(rk, in->assignment, 2000);
		set_lag_partitions(in, in->assignment);
		in->paused = false;
		return;
	}
	qz_log(&in->log, QZ_LOG_INFO, "partitions [%s] revoked%s%s", list,
	       err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? "" : ": ",
	       err == RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ? "" : rd_kafka_err2str(err));
	/* Hand the partitions over with everything read committed, if we can. */
	if (in->batch.messages && qz_ingest__flush(in))
		qz_ingest__drop_batch(in, "its partitions were revoked while ClickHouse "
				      "refused it; their next owner reads them again");
	if (in->uncommitted && in->uncommitted->cnt && qz_ingest__commit(in)) {
		rd_kafka_topic_partition_list_destroy(in->uncommitted);
		in->uncommitted = NULL;
	}
	rd_kafka_assign(rk, NULL);
	if (in->assignment)
		rd_kafka_topic_partition_list_destroy(in->assignment);
	in->assignment = NULL;
	in->paused = false;
	set_lag_partitions(in, NULL);
}

static int conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		    char *err, size_t err_len)
{
	char why[512];

	if (rd_kafka_conf_set(conf, name, value, why, sizeof(why)) == RD_KAFKA_CONF_OK)
		return 0;
	snprintf(err, err_len, "kafka property %s=%s: %s", name, value, why);
	return -EINVAL;
}

int qz_ingest__consumer_new(struct qz_ingest *in, char *err, size_t err_len)
{
	const struct qz_ingest_config *c = in->cfg;
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *topics;
	char session[32], why[512];
	rd_kafka_resp_err_t kerr;
	const char *const fixed[] = {
		"bootstrap.servers", c->brokers,
		"group.id", c->group,
		/* Offsets go to the group only after ClickHouse took the rows. */
		"enable.auto.commit", "false",
		"enable.auto.offset.store", "false",
		"auto.offset.reset", c->start_latest ? "latest" : "earliest",
		"session.timeout.ms", session,
		"heartbeat.interval.ms", "1000",
		"client.id", "quazar-ingest",
		NULL,
	};

	snprintf(session, sizeof(session), "%u", c->session_timeout_ms);
	for (const char *const *p = fixed; *p; p += 2)
		if (conf_set(conf, p[0], p[1], err, err_len))
			goto fail;
	for (size_t i = 0; i + 1 < c->n_properties; i += 2)
		if (conf_set(conf, c->properties[i], c->properties[i + 1], err, err_len))
			goto fail;
	rd_kafka_conf_set_opaque(conf, in);
	rd_kafka_conf_set_error_cb(conf, on_error);
	rd_kafka_conf_set_log_cb(conf, on_log);
	rd_kafka_conf_set_rebalance_cb(conf, on_rebalance);
	in->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, why, sizeof(why));
	if (!in->rk) {
		snprintf(err, err_len, "kafka consumer: %s", why);
		goto fail;
	}
	rd_kafka_poll_set_consumer(in->rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, c->topic, RD_KAFKA_PARTITION_UA);
	kerr = rd_kafka_subscribe(in->rk, topics);
	rd_kafka_topic_partition_list_destroy(topics);
	if (kerr) {
		snprintf(err, err_len, "kafka: cannot subscribe to %s: %s", c->topic,
			 rd_kafka_err2str(kerr));
		return -EINVAL;
	}
	return 0;
fail:
	if (!in->rk)
		rd_kafka_conf_destroy(conf);
	return -EINVAL;
}

static void merge(rd_kafka_topic_partition_list_t **into,
		  const rd_kafka_topic_partition_list_t *from)
{
	if (!*into)
		*into = rd_kafka_topic_partition_list_new(from->cnt);
	for (int i = 0; i < from->cnt; i++) {
		const rd_kafka_topic_partition_t *p = &from->elems[i];
		rd_kafka_topic_partition_t *q =
			rd_kafka_topic_partition_list_find(*into, p->topic, p->partition);

		if (!q)
			q = rd_kafka_topic_partition_list_add(*into, p->topic, p->partition);
		if (p->offset > q->offset)
			q->offset = p->offset;
	}
}

static void note_committed(struct qz_ingest *in,
			   const rd_kafka_topic_partition_list_t *done)
{
	for (int i = 0; i < done->cnt; i++)
		for (size_t k = 0; k < in->st.nr_lag; k++)
			if (in->st.lag[k].partition == done->elems[i].partition)
				in->st.lag[k].committed = done->elems[i].offset;
}

int qz_ingest__commit(struct qz_ingest *in)
{
	rd_kafka_resp_err_t kerr;

	if (in->offsets && in->offsets->cnt) {
		merge(&in->uncommitted, in->offsets);
		rd_kafka_topic_partition_list_destroy(in->offsets);
		in->offsets = NULL;
	}
	if (!in->uncommitted || !in->uncommitted->cnt)
		return 0;
	kerr = rd_kafka_commit(in->rk, in->uncommitted, 0);
	pthread_mutex_lock(&in->lock);
	if (kerr) {
		in->st.commit_errors++;
	} else {
		in->st.commits++;
		note_committed(in, in->uncommitted);
	}
	pthread_mutex_unlock(&in->lock);
	if (kerr) {
		/* Kept: the rows are in ClickHouse; this retries the commit only. */
		qz_log(&in->log, QZ_LOG_WARN, "cannot commit offsets: %s; trying again "
		       "with the next batch", rd_kafka_err2str(kerr));
		return -EIO;
	}
	rd_kafka_topic_partition_list_destroy(in->uncommitted);
	in->uncommitted = NULL;
	return 0;
}

void qz_ingest__pause(struct qz_ingest *in, bool pause)
{
	if (pause == in->paused || !in->assignment)
		return;
	/* Paused partitions are still ours; polling keeps us in the group. */
	if (pause)
		rd_kafka_pause_partitions(in->rk, in->assignment);
	else
		rd_kafka_resume_partitions(in->rk, in->assignment);
	in->paused = pause;
}

void qz_ingest__update_lag(struct qz_ingest *in)
{
	pthread_mutex_lock(&in->lock);
	for (size_t i = 0; i < in->st.nr_lag && in->assignment; i++) {
		struct ingest_lag *l = &in->st.lag[i];
		rd_kafka_topic_partition_list_t *pos =
			rd_kafka_topic_partition_list_new(1);
		int64_t lo = -1, hi = -1, at;

		rd_kafka_topic_partition_list_add(pos, in->cfg->topic, l->partition);
		rd_kafka_position(in->rk, pos);
		at = pos->elems[0].offset;
		rd_kafka_topic_partition_list_destroy(pos);
		if (rd_kafka_get_watermark_offsets(in->rk, in->cfg->topic, l->partition,
						   &lo, &hi) || hi < 0)
			continue;
		/* Behind the end: what the group has not committed yet. */
		if (l->committed >= 0)
			at = l->committed;
		else if (at < 0)
			at = lo;
		l->lag = hi > at ? hi - at : 0;
	}
	pthread_mutex_unlock(&in->lock);
}
