// SPDX-License-Identifier: MIT
/*
 * The Kafka sink: an idempotent librdkafka producer in front of the spool.
 * Its states are described in kafka_sink.h; delivery reports are in
 * kafka_delivery.c, replaying the spool in kafka_replay.c, durability disk
 * in kafka_disk.c and what a crash leaves in kafka_resume.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka_sink.h"

#define HELD_MAX_BYTES (64u << 20)
#define POLL_MS 50

static const char *const state_name[] = { "direct", "draining", "spooling",
					  "replaying" };

void qz_kafka__set_state(struct kafka_sink *s, enum kstate st, const char *why)
{
	qz_log(&s->base.log, st == K_DIRECT ? QZ_LOG_INFO : QZ_LOG_WARN,
	       "kafka sink: %s -> %s: %s", state_name[s->state], state_name[st],
	       why);
	s->state = st;
	pthread_cond_broadcast(&s->cond);
}

/* Under mu. A report librdkafka could not deliver, one held back, or any
 * report with durability disk. */
int qz_kafka__spool_put(struct kafka_sink *s, const void *key, size_t key_len,
		    const void *data, size_t len)
{
	int err = qz_spool__append(s->spool, key, key_len, data, len);

	if (!err) {
		s->spooled++;
		return 0;
	}
	s->lost++;
	s->errors++;
	qz_log(&s->base.log, QZ_LOG_ERROR,
	       "kafka sink: report lost: cannot spool it: %s (%" PRIu64 " lost)",
	       qz_strerror(err), s->lost);
	return err;
}

struct qz_spool_stats qz_kafka__spool_stats(struct kafka_sink *s)
{
	struct qz_spool_stats st = { .sz = sizeof(st) };

	qz_spool__stats(s->spool, &st);
	return st;
}

int qz_kafka__produce(struct kafka_sink *s, const void *key, size_t key_len,
		   const void *data, size_t len, uintptr_t tag)
{
	rd_kafka_resp_err_t err;

	err = rd_kafka_producev(s->rk, RD_KAFKA_V_RKT(s->rkt),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_KEY(key, key_len),
				RD_KAFKA_V_VALUE((void *)data, len),
				RD_KAFKA_V_OPAQUE((void *)tag), RD_KAFKA_V_END);
	if (!err) {
		s->inflight++;
		return 0;
	}
	switch (err) {
	case RD_KAFKA_RESP_ERR__QUEUE_FULL: return -ENOBUFS;
	case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE: return -EMSGSIZE;
	case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC: return -ENOENT;
	case RD_KAFKA_RESP_ERR__FATAL:
		qz_kafka__note_fatal(s);
		return -ENOTRECOVERABLE;
	default: return -EIO;
	}
}

void qz_kafka__timed_wait(struct kafka_sink *s, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += (long)ms * 1000000;
	ts.tv_sec += ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	pthread_cond_timedwait(&s->cond, &s->mu, &ts);
}

static int kafka_write_tracked(struct qz_sink *sink, const char *line, size_t len,
			       const char *key, void *owner, uint64_t id)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	struct direct_msg *d = NULL;
	bool taken = false;	/* settled by whoever has it now */
	size_t key_len;
	int err;

	if (len && line[len - 1] == '\n')
		len--;
	key = key ? key : s->key;
	key_len = key ? strlen(key) : 0;
	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		qz_sink_settle(sink, owner, id, -ESHUTDOWN);
		pthread_mutex_unlock(&s->mu);
		return -ESHUTDOWN;
	}
	s->written++;
	s->wseq++;
	if (s->disk) {
		/* Settled, and its errors counted and logged, there. */
		err = qz_kafka__disk_write(s, key, key_len, line, len, owner, id);
		pthread_mutex_unlock(&s->mu);
		return err;
	}
	for (;;) {
		if (s->closing) {
			err = -ESHUTDOWN;	/* closed while we waited */
			break;
		}
		switch (s->state) {
		case K_DIRECT:
			if (!d && !(d = malloc(sizeof(*d)))) {
				err = -ENOMEM;
				break;
			}
			*d = (struct direct_msg){ .wseq = s->wseq, .owner = owner, .id = id };
			err = qz_kafka__produce(s, key, key_len, line, len, (uintptr_t)d);
			if (!err) {
				d = NULL;	/* librdkafka's until its delivery report */
				taken = true;
				break;
			}
			if (err == -ENOTRECOVERABLE)
				continue;	/* now DRAINING: held for the spool */
			if (err != -ENOBUFS)
				break;
			/* Queue full: wait for acks, or for the state to move. */
			qz_kafka__timed_wait(s, 100);
			continue;
		case K_DRAINING:
			if (s->held_bytes > HELD_MAX_BYTES) {
				qz_kafka__timed_wait(s, 100);
				continue;
			}
			err = qz_kafka__hold(s, key, key_len, line, len, owner, id);
			taken = !err;	/* settled when it is spooled */
			break;
		default:
			/* A spool error is logged and counted as lost there. */
			qz_sink_settle(sink, owner, id,
				       qz_kafka__spool_put(s, key, key_len, line, len));
			taken = true;
			err = 0;
			break;
		}
		break;
	}
	free(d);
	if (err) {
		s->errors++;
		qz_log(&sink->log, QZ_LOG_ERROR, "kafka sink: produce: %s",
		       qz_strerror(err));
	}
	if (!taken)
		qz_sink_settle(sink, owner, id, err);
	pthread_mutex_unlock(&s->mu);
	return err;
}

static int kafka_write(struct qz_sink *sink, const char *line, size_t len,
		       const char *key)
{
	return kafka_write_tracked(sink, line, len, key, NULL, 0);
}

/* The newest report of the spool: a copy. */
static char *kafka_last_spooled(struct qz_sink *sink, size_t *len)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	struct qz_spool_stats st;
	struct qz_spool_rec rec;
	char *copy = NULL;
	int err;

	pthread_mutex_lock(&s->mu);
	st = qz_kafka__spool_stats(s);
	err = st.tail > st.head ? 0 : -ENOENT;
	if (!err)
		qz_spool__rewind(s->spool, st.tail - 1);
	if (!err && qz_spool__read(s->spool, &rec) != 1)
		err = -ENOENT;
	if (!err && !(copy = malloc(rec.len + 1)))
		err = -ENOMEM;
	if (!err) {
		memcpy(copy, rec.data, rec.len);
		copy[rec.len] = 0;
		*len = rec.len;
	}
	qz_spool__rewind(s->spool, s->win_base);
	pthread_mutex_unlock(&s->mu);
	errno = -err;
	return copy;
}

/* Asks a broker for the topic's metadata: are we connected again? */
static bool brokers_up(struct kafka_sink *s, int timeout_ms)
{
	const struct rd_kafka_metadata *md;
	bool up = false;

	if (rd_kafka_metadata(s->rk, 0, s->rkt, &md, timeout_ms))
		return false;
	if (md->topic_cnt == 1 && !md->topics[0].err) {
		up = md->topics[0].partition_cnt > 0;
		for (int i = 0; i < md->topics[0].partition_cnt; i++)
			if (md->topics[0].partitions[i].leader < 0)
				up = false;
	}
	rd_kafka_metadata_destroy(md);
	return up;
}

/* Under mu: one turn of the state machine. May drop mu to talk to brokers. */
static void step(struct kafka_sink *s)
{
	long long now = qz_sink_now_ms();
	int timeout;
	bool up;

	if (s->fatal) {
		qz_kafka__recover(s);
		return;
	}
	switch (s->state) {
	case K_DIRECT:
		if (s->disk)
			qz_kafka__disk_step(s);
		break;
	case K_DRAINING:
		if (s->inflight) {
			/* Retries put messages back in the queue: purge again. */
			if (now - s->last_purge >= PURGE_EVERY_MS) {
				s->last_purge = now;
				pthread_mutex_unlock(&s->mu);
				rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE);
				pthread_mutex_lock(&s->mu);
			}
			break;
		}
		qz_kafka__spool_failed(s);
		qz_kafka__unhold(s);
		if (s->win_active)	/* durability disk: commit what was acked */
			qz_kafka__end_window(s);
		s->next_probe = now + s->retry_ms;
		qz_kafka__set_state(s, K_SPOOLING, "queue drained");
		break;
	case K_SPOOLING:
		if (!qz_kafka__spool_stats(s).records) {
			s->first_fail = UINT64_MAX;
			s->first_acked_end = 0;
			s->last_err = 0;
			qz_kafka__set_state(s, K_DIRECT, "spool empty");
			break;
		}
		if (now < s->next_probe)
			break;
		timeout = (int)s->retry_ms;
		if (s->deadline >= 0 && s->deadline - now < timeout)
			timeout = (int)(s->deadline - now);
		pthread_mutex_unlock(&s->mu);
		up = timeout > 0 && brokers_up(s, timeout);
		pthread_mutex_lock(&s->mu);
		s->reached |= up;
		s->next_probe = qz_sink_now_ms() + s->retry_ms;
		if (up && s->state == K_SPOOLING)
			qz_kafka__set_state(s, K_REPLAYING, "brokers answer: replaying the spool");
		break;
	case K_REPLAYING:
		if (s->win_active && s->inflight_replay)
			break;
		if (s->win_active) {
			bool failed = s->win_failed;

			qz_kafka__end_window(s);
			if (failed) {
				s->next_probe = now + s->retry_ms;
				qz_kafka__set_state(s, K_SPOOLING, "replay failed");
				break;
			}
		}
		if (!qz_kafka__spool_stats(s).records) {
			s->first_fail = UINT64_MAX;
			s->first_acked_end = 0;
			s->last_err = 0;
			qz_kafka__set_state(s, K_DIRECT, "spool replayed");
			break;
		}
		qz_kafka__check_resume(s);
		qz_kafka__check_suspects(s);
		qz_kafka__start_window(s);
		/* Durability disk: caught up, the window stays open for writes. */
		if (s->disk && s->state == K_REPLAYING && s->win_active && !s->win_failed &&
		    s->win_end == qz_kafka__spool_stats(s).tail) {
			s->first_fail = UINT64_MAX;
			s->first_acked_end = 0;
			qz_kafka__set_state(s, K_DIRECT, "spool replayed");
		}
		break;
	}
}

static bool settled(struct kafka_sink *s)
{
	return s->state == K_DIRECT && !s->inflight && !s->held_n;
}

static void *service(void *arg)
{
	struct kafka_sink *s = arg;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		pthread_mutex_unlock(&s->mu);
		rd_kafka_poll(s->rk, POLL_MS);
		pthread_mutex_lock(&s->mu);
		if (!s->fatal && rd_kafka_fatal_error(s->rk, NULL, 0))
			qz_kafka__note_fatal(s);
		step(s);
		if (s->disk)
			qz_kafka__disk_sync(s);
		if (s->closing && (settled(s) || (s->deadline >= 0 &&
						 qz_sink_now_ms() >= s->deadline)))
			break;
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static int kafka_flush(struct qz_sink *sink, int deadline_ms)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	long long end = qz_sink_now_ms() + deadline_ms;
	int err = 0;

	pthread_mutex_lock(&s->mu);
	/* Flushed: every write so far is acked or spooled. */
	while (s->inflight != s->inflight_replay || s->held_n) {
		long long left = end - qz_sink_now_ms();

		if (s->closed || (deadline_ms >= 0 && left <= 0)) {
			err = s->closed ? 0 : -ETIMEDOUT;
			break;
		}
		qz_kafka__timed_wait(s, deadline_ms < 0 || left > 100 ? 100 : (int)left);
	}
	pthread_mutex_unlock(&s->mu);
	return err;
}

static int kafka_close(struct qz_sink *sink, int deadline_ms)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	uint64_t lost_before, undone = 0;
	size_t suspected;
	long long stop_at;
	int err;

	pthread_mutex_lock(&s->mu);
	if (s->closing) {
		pthread_mutex_unlock(&s->mu);
		return 0;
	}
	lost_before = s->lost;
	s->closing = true;
	s->deadline = deadline_ms < 0 ? -1 : qz_sink_now_ms() + deadline_ms;
	pthread_mutex_unlock(&s->mu);
	/* Deliver until the deadline: the service thread keeps going. */
	if (s->thread_started)
		pthread_join(s->thread, NULL);
	s->thread_started = false;

	/*
	 * Then whatever is left goes to the spool: first what was never sent;
	 * requests in flight get a second to be answered, as purging them
	 * means spooling reports the broker may already have (duplicates).
	 */
	pthread_mutex_lock(&s->mu);
	for (int pass = 0; pass < 2; pass++) {
		int flags = RD_KAFKA_PURGE_F_QUEUE |
			    (pass ? RD_KAFKA_PURGE_F_INFLIGHT : 0);

		stop_at = qz_sink_now_ms() + (pass ? 10000 : 1000);
		while (s->inflight && qz_sink_now_ms() < stop_at) {
			pthread_mutex_unlock(&s->mu);
			rd_kafka_purge(s->rk, flags);
			rd_kafka_poll(s->rk, 10);
			pthread_mutex_lock(&s->mu);
		}
	}
	if (s->inflight)
		qz_log(&sink->log, QZ_LOG_ERROR,
		       "kafka sink: %" PRIu64 " reports still in librdkafka after purge",
		       s->inflight);
	qz_kafka__spool_failed(s);
	qz_kafka__unhold(s);
	if (s->win_active) {
		for (uint64_t i = s->win_base; i < s->win_end; i++)
			undone += !s->win_done[i - s->win_base];
		qz_kafka__end_window(s);
		if (qz_kafka__spool_stats(s).head < s->win_end &&
		    s->win_end - qz_kafka__spool_stats(s).head > undone)
			qz_log(&sink->log, QZ_LOG_INFO,
			       "kafka sink: %" PRIu64 " reports acked but not committed: "
			       "the next start reads them back rather than sending them again",
			       s->win_end - qz_kafka__spool_stats(s).head - undone);
	}
	qz_suspects__prune(&s->suspects, qz_kafka__spool_stats(s).head);
	suspected = s->suspects.n - qz_suspects__count(&s->suspects, SUSPECT_ABSENT);
	if (suspected)
		qz_log(&sink->log, QZ_LOG_INFO,
		       "kafka sink: %zu spooled reports the brokers may hold already: "
		       "the next start reads the topic back before sending them", suspected);
	qz_kafka__note_save(s, qz_kafka__spool_stats(s).head);
	err = qz_spool__sync(s->spool);
	if (err)
		qz_log(&sink->log, QZ_LOG_ERROR, "kafka sink: spool sync: %s",
		       qz_strerror(err));
	if (qz_kafka__spool_stats(s).records)
		qz_log(&sink->log, QZ_LOG_INFO,
		       "kafka sink: closed with %" PRIu64 " reports spooled",
		       qz_kafka__spool_stats(s).records);
	s->closed = true;
	pthread_cond_broadcast(&s->cond);
	err = err ? err : (int)(s->lost - lost_before);
	pthread_mutex_unlock(&s->mu);
	return err;
}

static void kafka_stats(struct qz_sink *sink, struct qz_sink_stats *st)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	struct qz_spool_stats sp = { .sz = sizeof(sp) };

	pthread_mutex_lock(&s->mu);
	qz_spool__stats(s->spool, &sp);
	st->written = s->written;
	st->delivered = s->delivered;
	st->queued = s->inflight;
	st->held = s->held_n;
	st->spooled = s->spooled;
	st->replayed = s->replayed;
	st->spool_records = sp.records;
	st->spool_bytes = sp.bytes;
	st->spool_dropped = sp.dropped;
	st->errors = s->errors;
	st->reordered = s->reordered;
	st->possible_dups = s->possible_dups;
	st->spool_corrupt = sp.corrupt;
	st->spool_max_bytes = sp.max_bytes;
	st->fatal_errors = s->fatal_errors;
	st->fatal = s->fatal;
	st->reached_before = s->reached_before;
	pthread_mutex_unlock(&s->mu);
}

static void kafka_free(struct qz_sink *sink)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;

	if (s->thread_started)
		kafka_close(sink, 0);
	if (s->rkt)
		rd_kafka_topic_destroy(s->rkt);
	if (s->rk)
		rd_kafka_destroy(s->rk);
	if (s->conf)
		rd_kafka_conf_destroy(s->conf);
	/* Nothing is held after close; free in any case. */
	qz_kafka__spool_failed(s);
	qz_kafka__unhold(s);
	free(s->failed);
	qz_kafka_reader__free(s->reader);
	if (s->reader_conf)
		rd_kafka_conf_destroy(s->reader_conf);
	qz_suspects__free(&s->suspects);
	qz_kafka__resume_free(&s->resume);
	free(s->topic);
	qz_spool__free(s->spool);
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->mu);
	free(s->win_done);
	free(s->win_ack);
	free(s->key);
	free(s);
}

static int kafka_probe(struct qz_sink *base, int timeout_ms)
{
	struct kafka_sink *s = (struct kafka_sink *)base;
	bool up;

	/* Not the service thread: keep rk from being recreated meanwhile. */
	pthread_mutex_lock(&s->mu);
	s->rk_users++;
	pthread_mutex_unlock(&s->mu);
	up = brokers_up(s, timeout_ms);
	pthread_mutex_lock(&s->mu);
	s->rk_users--;
	/* Say so in the checkpoint at once: a start after a crash during an
	 * outage then knows the brokers were right. */
	if (up && !s->reached) {
		s->reached = true;
		qz_kafka__note_save(s, qz_kafka__spool_stats(s).head);
		qz_spool__checkpoint(s->spool);
	}
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
	return up ? 0 : -EHOSTUNREACH;
}

static const struct qz_sink_ops kafka_ops = {
	.probe = kafka_probe,
	.type = "kafka",
	.write = kafka_write,
	.write_tracked = kafka_write_tracked,
	.last_spooled = kafka_last_spooled,
	.flush = kafka_flush,
	.close = kafka_close,
	.stats = kafka_stats,
	.free = kafka_free,
};

struct qz_sink *qz_sink__new_kafka(const struct qz_sink_kafka_opts *opts)
{
	const char *key = QZ_OPT(opts, key, NULL);
	struct kafka_sink *s;
	rd_kafka_conf_t *conf;
	char errstr[512];
	int err = -EINVAL;

	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->base.ops = &kafka_ops;
	s->base.log.fn = QZ_OPT(opts, log_fn, NULL);
	s->base.log.ctx = QZ_OPT(opts, log_ctx, NULL);
	s->retry_ms = QZ_OPT(opts, retry_ms, 0) ?: 1000;
	s->disk = QZ_OPT(opts, durability_disk, false);
	s->sync_ms = QZ_OPT(opts, sync_ms, 0) ?: SYNC_MS;
	s->first_fail = UINT64_MAX;
	s->first_acked_end = 0;
	s->deadline = -1;
	s->held_tail = &s->held;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cond, NULL);
	if (!opts || !QZ_OPT(opts, brokers, NULL) || !QZ_OPT(opts, topic, NULL) ||
	    !QZ_OPT(opts, spool_dir, NULL)) {
		qz_log(&s->base.log, QZ_LOG_ERROR,
		       "kafka sink: brokers, topic and spool_dir are required");
		goto err;
	}
	err = -ENOMEM;
	s->win_done = calloc(1, WINDOW_RECORDS);
	s->win_ack = calloc(WINDOW_RECORDS, sizeof(*s->win_ack));
	s->key = key ? strdup(key) : NULL;
	if (!s->win_done || !s->win_ack || (key && !s->key))
		goto err;
	QZ_OPTS(qz_spool_opts, so, .log_fn = s->base.log.fn,
		.log_ctx = s->base.log.ctx,
		.max_bytes = QZ_OPT(opts, spool_max_bytes, 0));
	s->spool = qz_spool__open(opts->spool_dir, &so);
	if (!s->spool) {
		err = -errno;
		goto err;
	}
	err = -EINVAL;
	conf = qz_kafka_conf(&s->base, opts, qz_kafka__on_delivery);
	if (!conf)
		goto err;
	/* rd_kafka_new takes conf: keep a copy to recreate the producer. */
	s->conf = rd_kafka_conf_dup(conf);
	if (!s->conf) {
		rd_kafka_conf_destroy(conf);
		err = -ENOMEM;
		goto err;
	}
	s->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!s->rk) {
		qz_log(&s->base.log, QZ_LOG_ERROR, "kafka sink: %s", errstr);
		rd_kafka_conf_destroy(conf);
		goto err;
	}
	s->rkt = rd_kafka_topic_new(s->rk, opts->topic, NULL);
	if (!s->rkt) {
		err = -errno;
		goto err;
	}
	/* For reading the topic back; the consumer is made when first needed. */
	s->topic = strdup(opts->topic);
	s->reader_conf = qz_kafka_reader_conf(&s->base, opts);
	if (!s->topic || !s->reader_conf) {
		err = -ENOMEM;
		goto err;
	}
	/* A spool left by the last run goes out before any new report. */
	if (qz_kafka__spool_stats(s).records)
		s->state = K_SPOOLING;
	s->win_base = qz_kafka__spool_stats(s).head;
	s->where = qz_kafka__report_hash(opts->brokers, strlen(opts->brokers), opts->topic,
				     strlen(opts->topic)) | 1;
	qz_kafka__note_load(s);
	err = -pthread_create(&s->thread, NULL, service, s);
	if (err)
		goto err;
	s->thread_started = true;
	return &s->base;
err:
	kafka_free(&s->base);
	errno = -err;
	return NULL;
}
