// SPDX-License-Identifier: MIT
/*
 * The Kafka sink's delivery reports, and what fails back to the spool: a
 * report that failed is kept until its elders are back, then spooled in
 * write order (with the reports held meanwhile behind it); each tracked
 * report is settled when it is acked or spooled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kafka_sink.h"

static struct held *held_new(const void *key, size_t key_len, const void *data,
			     size_t len, uint64_t wseq, void *owner, uint64_t id)
{
	struct held *h = malloc(sizeof(*h) + key_len + len);

	if (!h)
		return NULL;
	h->next = NULL;
	h->owner = owner;
	h->id = id;
	h->suspect = false;
	h->wseq = wseq;
	h->has_key = key != NULL;
	h->key_len = key_len;
	h->len = len;
	if (key_len)
		memcpy(h->buf, key, key_len);
	memcpy(h->buf + key_len, data, len);
	return h;
}

/* Under mu: keep a failed report until its elders are all back. */
static void keep_failed(struct kafka_sink *s, const rd_kafka_message_t *m,
			const struct direct_msg *d)
{
	struct held *h;

	if (s->failed_n == s->failed_cap) {
		size_t cap = s->failed_cap ? s->failed_cap * 2 : 1024;
		struct held **v = realloc(s->failed, cap * sizeof(*v));

		if (!v)
			goto direct;
		s->failed = v;
		s->failed_cap = cap;
	}
	h = held_new(m->key, m->key_len, m->payload, m->len, d->wseq, d->owner, d->id);
	if (!h)
		goto direct;
	if (rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
		h->suspect = true;
		h->partition = m->partition;
		h->from = qz_suspects__from(&s->suspects, m->partition);
	}
	s->failed[s->failed_n++] = h;
	return;
direct:
	qz_sink_settle(&s->base, d->owner, d->id,
		       qz_kafka__spool_put(s, m->key, m->key_len, m->payload, m->len));
}

static int cmp_wseq(const void *a, const void *b)
{
	const struct held *x = *(struct held *const *)a, *y = *(struct held *const *)b;

	return (x->wseq > y->wseq) - (x->wseq < y->wseq);
}

/* Under mu, with no direct report left in librdkafka. */
void qz_kafka__spool_failed(struct kafka_sink *s)
{
	bool suspects = false;
	int err;

	if (!s->failed_n)
		return;
	qsort(s->failed, s->failed_n, sizeof(*s->failed), cmp_wseq);
	/* The brokers may hold some: a crash must not make the next start
	 * send them blind, so the checkpoint says so before they are spooled. */
	for (size_t i = 0; i < s->failed_n; i++)
		suspects |= s->failed[i]->suspect;
	if (suspects)
		qz_kafka__note_sent(s, qz_kafka__spool_stats(s).tail + s->failed_n - 1);
	for (size_t i = 0; i < s->failed_n; i++) {
		struct held *h = s->failed[i];
		const char *key = h->has_key ? h->buf : NULL, *data = h->buf + h->key_len;
		uint64_t index = qz_kafka__spool_stats(s).tail;	/* the number it gets */

		err = qz_kafka__spool_put(s, key, h->key_len, data, h->len);
		if (!err && h->suspect)
			qz_suspects__add(&s->suspects, index, h->partition, h->from,
				     qz_kafka__report_hash(key, h->key_len, data, h->len));
		qz_sink_settle(&s->base, h->owner, h->id, err);
		free(h);
	}
	s->failed_n = 0;
}

/* A later report is in the topic before an earlier one that failed: the
 * replay puts that one after it. Said once. */
static void note_reorder(struct kafka_sink *s)
{
	if (!s->reordered++)
		qz_log(&s->base.log, QZ_LOG_WARN,
		       "kafka sink: a report was acked after an earlier one failed");
}

/* A record of the spool: replayed, or sent first with durability disk. */
static void spool_delivery(struct kafka_sink *s, const rd_kafka_message_t *m,
			   uintptr_t tag)
{
	uint64_t n = tag >> TAG_SHIFT;

	s->inflight_replay--;
	if (!m->err) {
		if (n >= s->win_base && n - s->win_base < WINDOW_RECORDS) {
			s->win_done[n - s->win_base] = 1;
			s->win_ack[n - s->win_base] = (struct win_ack){ m->partition, m->offset };
		}
		s->replayed += !(tag & TAG_FIRST);
		s->delivered++;
		qz_suspects__acked(&s->suspects, m->partition, m->offset);
		if (tag & TAG_FIRST) {
			if (n > s->first_fail)
				note_reorder(s);
			if (s->first_acked_end < n + 1)
				s->first_acked_end = n + 1;
		}
		return;
	}
	/* Still in the spool: it is tried again later. */
	s->win_failed = true;
	s->errors++;
	if (tag & TAG_FIRST) {
		if (n < s->first_fail)
			s->first_fail = n;
		if (s->first_acked_end > n + 1)
			note_reorder(s);
	}
	if (rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_NOT_PERSISTED)
		qz_suspects__add(&s->suspects, n, m->partition,
			     qz_suspects__from(&s->suspects, m->partition),
			     qz_kafka__report_hash(m->key, m->key_len, m->payload, m->len));
}

static void direct_delivery(struct kafka_sink *s, const rd_kafka_message_t *m,
			    struct direct_msg *d)
{
	if (!m->err) {
		s->delivered++;
		qz_suspects__acked(&s->suspects, m->partition, m->offset);
		if (d->wseq > s->first_fail)
			note_reorder(s);
		qz_sink_settle(&s->base, d->owner, d->id, 0);
	} else {
		s->errors++;
		if (s->state == K_DIRECT)
			s->first_fail = d->wseq;
		keep_failed(s, m, d);
	}
	free(d);
}

void qz_kafka__on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
	struct kafka_sink *s = opaque;
	uintptr_t tag = (uintptr_t)m->_private;

	(void)rk;
	pthread_mutex_lock(&s->mu);
	s->inflight--;
	if (tag & TAG_SPOOL)
		spool_delivery(s, m, tag);
	else
		direct_delivery(s, m, (struct direct_msg *)tag);
	/* One line per kind of failure, not one per report. */
	if (m->err && m->err != s->last_err)
		qz_log(&s->base.log, QZ_LOG_WARN, "kafka sink: delivery failed: %s",
		       rd_kafka_err2str(m->err));
	if (m->err)
		s->last_err = m->err;
	if (m->err && !(tag & TAG_SPOOL) && s->state == K_DIRECT)
		qz_kafka__set_state(s, K_DRAINING, "spooling undelivered reports");
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->mu);
}

int qz_kafka__hold(struct kafka_sink *s, const char *key, size_t key_len,
		   const char *data, size_t len, void *owner, uint64_t id)
{
	struct held *h = held_new(key, key_len, data, len, s->wseq, owner, id);

	if (!h)
		return -ENOMEM;
	*s->held_tail = h;
	s->held_tail = &h->next;
	s->held_n++;
	s->held_bytes += key_len + len;
	return 0;
}

/* Under mu: the held reports follow the failed ones into the spool. */
void qz_kafka__unhold(struct kafka_sink *s)
{
	struct held *h;

	while ((h = s->held)) {
		s->held = h->next;
		qz_sink_settle(&s->base, h->owner, h->id,
			       qz_kafka__spool_put(s, h->has_key ? h->buf : NULL, h->key_len,
						   h->buf + h->key_len, h->len));
		free(h);
	}
	s->held_tail = &s->held;
	s->held_n = s->held_bytes = 0;
}
