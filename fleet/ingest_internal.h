/* SPDX-License-Identifier: MIT */
/* The ingest process's state, shared by its loop, consumer and metrics. */
#ifndef QUAZAR_FLEET_INGEST_INTERNAL_H
#define QUAZAR_FLEET_INGEST_INTERNAL_H

#include <pthread.h>
#include <librdkafka/rdkafka.h>
#include "internal.h"
#include "fleet_internal.h"

struct qz_http;

struct ingest_lag {
	int32_t partition;
	int64_t lag;		/* high watermark - committed; -1: unknown */
	int64_t committed;	/* the last offset committed; -1: none yet */
};

/* Counters for /metrics; written by the loop, read by the HTTP thread. */
struct ingest_stats {
	uint64_t messages, reports, batches;
	uint64_t rows[QZ_FT_NR];
	uint64_t raw[QZ_RAW_KINDS];
	uint64_t insert_errors, insert_retries;
	uint64_t commits, commit_errors;
	uint64_t rebalances, dropped_batches, partitions_dropped;
	uint64_t pending_rows, pending_messages;
	bool clickhouse_up;
	struct ingest_lag *lag;
	size_t nr_lag;
};

struct qz_ingest {
	const struct qz_ingest_config *cfg;
	struct qz_logger log;
	rd_kafka_t *rk;
	struct qz_ch *ch;
	struct qz_fleet_batch batch;
	/* The next offset of each partition in the batch: committed after it. */
	rd_kafka_topic_partition_list_t *offsets;
	/* Inserted, but the commit failed: tried again with the next one. */
	rd_kafka_topic_partition_list_t *uncommitted;
	rd_kafka_topic_partition_list_t *assignment;
	bool paused, waiting;		/* a batch waits for ClickHouse */
	uint64_t retry_at_ms, backoff_ms;
	uint64_t next_lag_ms, next_ttl_ms;
	unsigned int failures;		/* in a row, for the log */
	struct qz_http *http;
	pthread_mutex_t lock;		/* st */
	struct ingest_stats st;
};

uint64_t qz_ingest__now_ms(void);
/* consumer.c */
int qz_ingest__consumer_new(struct qz_ingest *in, char *err, size_t err_len);
/* Commits the batch's offsets (and any left over); 0 or -EIO. */
int qz_ingest__commit(struct qz_ingest *in);
void qz_ingest__pause(struct qz_ingest *in, bool pause);
void qz_ingest__update_lag(struct qz_ingest *in);
/* ingest.c: inserts what is left of the batch, then commits; 0 or -errno. */
int qz_ingest__flush(struct qz_ingest *in);
void qz_ingest__drop_batch(struct qz_ingest *in, const char *why);
/* ingest_metrics.c */
int qz_ingest__http_start(struct qz_ingest *in);

#endif
