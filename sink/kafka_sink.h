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
 * Durability disk (kafka_disk.c) keeps every report in the spool until it
 * is acked: writes append to the spool in every state, and in DIRECT they
 * are produced from there at once, in a replay window left open.
 *
 * A crash (kill -9) may leave reports in the spool that the brokers hold
 * already: the checkpoint's note (kafka_resume.c) says which records may
 * have been sent and where in their partitions, and the next start reads
 * those partitions back before it sends them again.
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
#define SYNC_MS 100		/* durability disk: the spool's fsync period */

enum kstate { K_DIRECT, K_DRAINING, K_SPOOLING, K_REPLAYING };

/* A direct report in librdkafka: its message's opaque. */
struct direct_msg {
	uint64_t wseq;
	void *owner;		/* qz_sink__write_tracked()'s, or NULL */
	uint64_t id;
};

/* Where an acked record of the replay window landed. */
struct win_ack {
	int32_t partition;
	int64_t offset;
};

/* kafka_resume.c: what the last run may have sent of the spool. */
struct resume_part {
	int32_t partition;
	int64_t from;		/* -1: the partition's start */
};

enum resume_state { RESUME_NONE, RESUME_PENDING, RESUME_READ, RESUME_UNREADABLE };

struct resume {
	enum resume_state state;
	uint64_t end;		/* records below it may be in the topic */
	struct resume_part *parts;
	size_t nr_parts;
	uint64_t *seen;		/* hashes read back, sorted */
	size_t nr_seen;
	uint64_t found;		/* records found there: not sent again */
};

struct held {
	struct held *next;
	void *owner;
	uint64_t id;
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
	/* wseq of the first failure (durability disk: its spool number);
	 * UINT64_MAX: none */
	uint64_t first_fail;
	uint64_t first_acked_end; /* disk: past the highest first send acked */
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
	struct win_ack *win_ack;
	bool win_active, win_failed;
	/* Durability disk. */
	bool disk;
	bool unsynced;		/* appended since the last fsync */
	unsigned int sync_ms;
	long long last_sync;
	/* Spool records below sent_end may have been sent; the checkpoint
	 * says sent_saved (kafka_resume.c). */
	uint64_t sent_end, sent_saved;
	struct resume resume;
	/* The brokers answered in this run, in an earlier one (the note). */
	bool reached, reached_before;
	uint64_t where;		/* a hash of brokers and topic, for the note */
	uint64_t written, delivered, spooled, replayed, errors, reordered, lost;
	uint64_t possible_dups;	/* sent again without reading the topic back */
	uint64_t found_in_topic; /* suspects read back: never sent again */
	struct suspects suspects;
	rd_kafka_conf_t *reader_conf;	/* for the reader, made when first needed */
	struct kafka_reader *reader;
	char *topic;
	int last_err;		/* the last delivery error logged */
};

/*
 * A message's opaque: a struct direct_msg *, or a spool record's number
 * shifted by TAG_SHIFT, with TAG_SPOOL, and TAG_FIRST when it is the
 * record's first send (durability disk) rather than a replay.
 */
#define TAG_SPOOL 1u
#define TAG_FIRST 2u
#define TAG_SHIFT 2

/* kafka.c, under mu */
void qz_kafka__set_state(struct kafka_sink *s, enum kstate st, const char *why);
int qz_kafka__produce(struct kafka_sink *s, const void *key, size_t key_len,
		  const void *data, size_t len, uintptr_t tag);
/* Appends to the spool, counted; -errno (logged: the report is lost). */
int qz_kafka__spool_put(struct kafka_sink *s, const void *key, size_t key_len,
		    const void *data, size_t len);
/* Drops mu for up to ms, or until cond is signalled. */
void qz_kafka__timed_wait(struct kafka_sink *s, int ms);
/* The spool's head (first record kept) and record count. */
struct qz_spool_stats qz_kafka__spool_stats(struct kafka_sink *s);

/* kafka_delivery.c */
/* librdkafka's delivery report callback (it takes mu). */
void qz_kafka__on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque);
/* Under mu, DRAINING: keep a new report in memory behind the failed ones. */
int qz_kafka__hold(struct kafka_sink *s, const char *key, size_t key_len,
		   const char *data, size_t len, void *owner, uint64_t id);
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
/* Commits the window's acked prefix; end: the window is over. */
void qz_kafka__advance_window(struct kafka_sink *s);
void qz_kafka__end_window(struct kafka_sink *s);
/* A window from the spool's head, with nothing in it yet. */
void qz_kafka__open_window(struct kafka_sink *s);
/* The reader of the topic, made when first needed; NULL: none. */
struct kafka_reader *qz_kafka__reader(struct kafka_sink *s);

/* kafka_disk.c, under mu */
int qz_kafka__disk_write(struct kafka_sink *s, const char *key, size_t key_len,
		     const char *data, size_t len, void *owner, uint64_t id);
/* DIRECT: commit what is acked; a failed delivery starts a replay. */
void qz_kafka__disk_step(struct kafka_sink *s);
/* fsync the spool when sync_ms passed since the last; may drop mu. */
void qz_kafka__disk_sync(struct kafka_sink *s);

/* kafka_resume.c, under mu */
/* At open: the last run's note, and whether its records need reading back. */
void qz_kafka__note_load(struct kafka_sink *s);
/* Sets the note for a checkpoint with the head at `head`. */
void qz_kafka__note_save(struct kafka_sink *s, uint64_t head);
/* Before sending records up to `last`: the checkpoint must say so. */
void qz_kafka__note_sent(struct kafka_sink *s, uint64_t last);
/* In REPLAYING, once: read back what the last run may have sent; drops mu. */
void qz_kafka__check_resume(struct kafka_sink *s);
/* A spooled record the last run sent already (found in the topic): 1. */
bool qz_kafka__resumed(struct kafka_sink *s, const struct qz_spool_rec *rec);
/* The head passed the last run's records: done with them. */
void qz_kafka__resume_end(struct kafka_sink *s, uint64_t head);
void qz_kafka__resume_free(struct resume *r);
/* Reads back the suspects' partitions; drops mu while it reads. */
void qz_kafka__check_suspects(struct kafka_sink *s);

#endif
