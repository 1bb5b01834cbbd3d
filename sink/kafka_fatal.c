// SPDX-License-Identifier: MIT
/*
 * A fatal error of the idempotent producer (librdkafka's ERR__FATAL: a
 * broken sequence, a fenced producer id). librdkafka's answer is that the
 * producer cannot go on and must be recreated. We purge what is left in it
 * into the spool, recreate it from a copy of its conf, and go on spooling:
 * the spool is then replayed on the new producer as after an outage.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include "kafka_sink.h"

void qz_kafka__note_fatal(struct kafka_sink *s)
{
	char why[512] = "";

	if (s->fatal)
		return;
	s->fatal = true;
	s->fatal_errors++;
	s->next_recreate = 0;
	rd_kafka_fatal_error(s->rk, why, sizeof(why));
	qz_log(&s->base.log, QZ_LOG_ERROR,
	       "kafka sink: fatal producer error (%s): recreating the producer; "
	       "reports go to the spool meanwhile (%" PRIu64 " fatal errors)",
	       why[0] ? why : "unknown", s->fatal_errors);
	if (s->state == K_DIRECT)
		qz_kafka__set_state(s, K_DRAINING, "fatal producer error");
}

/* A new producer for the old one, which is destroyed; 0 or -errno. */
static int recreate(struct kafka_sink *s)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_dup(s->conf);
	rd_kafka_topic_t *rkt, *old_rkt = s->rkt;
	rd_kafka_t *rk, *old = s->rk;
	char errstr[512];

	if (!conf)
		return -ENOMEM;
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		rd_kafka_conf_destroy(conf);
		qz_log(&s->base.log, QZ_LOG_ERROR,
		       "kafka sink: cannot recreate the producer: %s", errstr);
		return -EIO;
	}
	rkt = rd_kafka_topic_new(rk, s->topic, NULL);
	if (!rkt) {
		rd_kafka_destroy(rk);
		return -ENOMEM;
	}
	/* A probe on another thread may still use the old one. */
	while (s->rk_users)
		pthread_cond_wait(&s->cond, &s->mu);
	s->rk = rk;
	s->rkt = rkt;
	pthread_mutex_unlock(&s->mu);
	rd_kafka_topic_destroy(old_rkt);
	rd_kafka_destroy(old);
	pthread_mutex_lock(&s->mu);
	return 0;
}

void qz_kafka__recover(struct kafka_sink *s)
{
	long long now = qz_sink_now_ms();

	if (s->inflight) {
		/* Whatever it still holds fails back to us, to be spooled. */
		if (now - s->last_purge >= PURGE_EVERY_MS) {
			s->last_purge = now;
			pthread_mutex_unlock(&s->mu);
			rd_kafka_purge(s->rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
			pthread_mutex_lock(&s->mu);
		}
		return;
	}
	qz_kafka__spool_failed(s);
	qz_kafka__unhold(s);
	if (s->win_active)
		qz_kafka__end_window(s);
	if (s->state != K_SPOOLING)
		qz_kafka__set_state(s, K_SPOOLING, "fatal producer error: spooling");
	if (now < s->next_recreate)
		return;
	if (recreate(s)) {
		s->next_recreate = now + s->retry_ms;
		return;
	}
	s->fatal = false;
	s->next_probe = 0;	/* ask the brokers at once */
	qz_log(&s->base.log, QZ_LOG_INFO, "kafka sink: producer recreated");
}
