/* SPDX-License-Identifier: MIT */
/*
 * The Kafka sink's state, shared by kafka.c (writes, delivery reports, the
 * state machine, close) and kafka_replay.c (replaying the spool). Never
 * installed.
 *
 * States, all changed under mu:
 *   DIRECT     writes are produced.
 *   DRAINING   a delivery failed: librdkafka's queue is purged; failed
 *              reports are collected and, once all are back, spooled in
 *              write order; new writes wait in memory (held) behind them.
 *   SPOOLING   nothing of ours is in librdkafka; writes go to the spool and
 *              the brokers are probed every retry_ms.
 *   REPLAYING  a broker answered: the spool is produced one window at a
 *              time and committed as the window is acked; writes still go
 *              to the spool. Empty spool: back to DIRECT.
 * A service thread serves delivery reports and moves between the states.
 *
 * A fatal producer error (idempotence broken: librdkafka's producer is
 * dead for good) sets `fatal` in any state: what is in librdkafka is
 * purged and spooled like DRAINING does, the producer is recreated
 * (kafka_fatal.c), and the sink goes on from SPOOLING, so the spool is
 * replayed on the new producer.
 */
#ifndef QUAZAR_KAFKA_SINK_H
#define QUAZAR_KAFKA_SINK_H

#include <pthread.h>
#include <librdkafka/rdkafka.h>
#include "sink_internal.h"
#include "kafka_internal.h"

#define WINDOW_RECORDS 8192
#define WINDOW_BYTES (8u << 20)
#define READ_BACK_MS 10000	/* to read one partition back */
#define PURGE_EVERY_MS 100	/* retries put messages back: purge again */

enum kstate { K_DIRECT, K_DRAINING, K_SPOOLING, K_REPLAYING };

struct held {
	struct held *next;
	uint64_t wseq;
	size_t key_len, len;
	bool has_key;
	bool suspect;		/* failed after it was sent: see kafka_suspects.c */
	int32_t partition;
	int64_t from;
	char buf[];		/* key, then data */
};

struct kafka_sink {
	struct qz_sink base;
	pthread_mutex_t mu;
	pthread_cond_t cond;	/* a delivery report came or the state moved */
	rd_kafka_t *rk;
	rd_kafka_topic_t *rkt;
	rd_kafka_conf_t *conf;	/* a copy, to recreate the producer from */
	int rk_users;		/* probes using rk without mu */
	bool fatal;		/* rk had a fatal error; not recreated yet */
	uint64_t fatal_errors;
	long long next_recreate;
	char *key;
	struct qz_spool *spool;
	enum kstate state;
	pthread_t thread;
	bool thread_started, closing, closed;
	long long deadline;	/* of close, on CLOCK_MONOTONIC ms; -1: none */
	unsigned int retry_ms;
	long long next_probe, last_purge;
	uint64_t wseq;		/* write number, in the direct messages' opaque */
	uint64_t first_fail;	/* wseq of the first failure; UINT64_MAX: none */
	uint64_t inflight, inflight_replay;
	struct held *held, **held_tail;
	uint64_t held_n, held_bytes;
	/* Failed reports, spooled in write order once the queue is drained:
	 * a purge reports them out of order. */
	struct held **failed;
	size_t failed_n, failed_cap;
	/* Replay window: win_done[i] says record win_base + i is acked. */
	uint64_t win_base, win_end;
	uint8_t *win_done;
	bool win_active, win_failed;
	uint64_t written, delivered, spooled, replayed, errors, reordered, lost;
	uint64_t possible_dups;	/* sent again without reading the topic back */
	uint64_t found_in_topic; /* suspects read back: never sent again */
	struct suspects suspects;
	rd_kafka_conf_t *reader_conf;	/* for the reader, made when first needed */
	struct kafka_reader *reader;
	char *topic;
	int last_err;		/* the last delivery error logged */
};

/* A replayed message's opaque: (spool index << 1) | TAG_REPLAY. */
#define TAG_REPLAY 1u

/* kafka.c, under mu */
void qz_kafka__set_state(struct kafka_sink *s, enum kstate st, const char *why);
int qz_kafka__produce(struct kafka_sink *s, const void *key, size_t key_len,
		  const void *data, size_t len, uintptr_t tag);
/* The spool's head (first record kept) and record count. */
struct qz_spool_stats qz_kafka__spool_stats(struct kafka_sink *s);

/* Under mu, with nothing of ours left in librdkafka: failed reports, then
 * held ones, into the spool in write order. */
void qz_kafka__spool_failed(struct kafka_sink *s);
void qz_kafka__unhold(struct kafka_sink *s);

/* kafka_fatal.c, under mu */
/* librdkafka said the producer is fatally failed: note it (once). */
void qz_kafka__note_fatal(struct kafka_sink *s);
/* One step of recovering from it; may drop mu. */
void qz_kafka__recover(struct kafka_sink *s);

/* kafka_replay.c, under mu */
void qz_kafka__start_window(struct kafka_sink *s);
void qz_kafka__end_window(struct kafka_sink *s);
/* Reads back the suspects' partitions; drops mu while it reads. */
void qz_kafka__check_suspects(struct kafka_sink *s);

#endif
