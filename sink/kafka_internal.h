/* SPDX-License-Identifier: MIT */
/* Between the Kafka sink and its configuration. Never installed. */
#ifndef QUAZAR_KAFKA_INTERNAL_H
#define QUAZAR_KAFKA_INTERNAL_H

#include <librdkafka/rdkafka.h>
#include "sink_internal.h"

/*
 * The producer's conf from the sink's opts: idempotent, acks=all, the
 * message timeout, then the caller's properties. The conf's opaque is s,
 * which librdkafka's callbacks log through. NULL on a bad option (logged).
 */
rd_kafka_conf_t *qz_kafka_conf(struct qz_sink *s, const struct qz_sink_kafka_opts *o,
			       void (*dr)(rd_kafka_t *, const rd_kafka_message_t *, void *));

/* A consumer's conf for reading the topic back: the brokers, the caller's
 * properties (security above all), end-of-partition events. */
rd_kafka_conf_t *qz_kafka_reader_conf(struct qz_sink *s, const struct qz_sink_kafka_opts *o);

/*
 * kafka_reader.c: reads a partition back to find reports the brokers may
 * have stored without acking them. Reports are told by a hash of their key
 * and payload (they carry host, collector and seq, so it is unique).
 */
struct kafka_reader;

/* conf: from qz_kafka_reader_conf, taken over. NULL (logged) on failure. */
struct kafka_reader *qz_kafka_reader__new(struct qz_sink *s, rd_kafka_conf_t *conf,
				      const char *topic);
void qz_kafka_reader__free(struct kafka_reader *r);
uint64_t qz_kafka__report_hash(const void *key, size_t key_len, const void *data, size_t len);
/*
 * Read partition from offset `from` (< 0: its start) to its end, calling
 * seen(hash, ctx) for each message. 0, or -errno when it cannot be read
 * to the end within timeout_ms.
 */
int qz_kafka_reader__scan(struct kafka_reader *r, int32_t partition, int64_t from,
		      int timeout_ms, void (*seen)(uint64_t hash, void *ctx), void *ctx);

/* kafka_suspects.c: reports that may be in the topic already. */
enum suspect_state {
	SUSPECT_UNKNOWN,	/* not read back yet */
	SUSPECT_IN_TOPIC,	/* found: never sent again */
	SUSPECT_ABSENT,		/* not there: sent again, no duplicate */
	SUSPECT_UNREADABLE,	/* the topic could not be read: sent again */
};

struct suspect {
	uint64_t index;		/* its record in the spool */
	uint64_t hash;		/* qz_kafka__report_hash of key and payload */
	int64_t from;		/* the first offset it can be at; -1: the start */
	int32_t partition;
	enum suspect_state state;
};

struct suspects {
	struct suspect *v;
	size_t n, cap;
	int64_t *acked;		/* per partition, the highest offset acked */
	int32_t nr_acked;
};

void qz_suspects__acked(struct suspects *ss, int32_t partition, int64_t offset);
int64_t qz_suspects__from(const struct suspects *ss, int32_t partition);
/* A report in the spool at index that failed after it was sent; from:
 * qz_suspects__from() when it failed. */
int qz_suspects__add(struct suspects *ss, uint64_t index, int32_t partition, int64_t from,
		 uint64_t hash);
struct suspect *qz_suspects__find(struct suspects *ss, uint64_t index);
/* Forget the suspects the spool no longer holds (index < head). */
void qz_suspects__prune(struct suspects *ss, uint64_t head);
size_t qz_suspects__count(const struct suspects *ss, enum suspect_state state);
void qz_suspects__free(struct suspects *ss);

#endif
