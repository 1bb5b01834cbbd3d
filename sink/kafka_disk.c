// SPDX-License-Identifier: MIT
/*
 * Durability disk: every report is appended to the spool before it is
 * produced, and committed once acked, so a crash of the process (kill -9)
 * loses no report the sink took. The spool is fsynced by the service
 * thread at most every sync_ms: the reports appended meanwhile share one
 * fsync.
 *
 * In DIRECT the replay window stays open: it holds every record from the
 * spool's head to its tail, each in librdkafka or acked and not yet
 * committed. A write appends, produces and extends it; the service thread
 * commits its acked prefix. A failed delivery ends DIRECT as with memory
 * durability, except that nothing needs spooling: the records are there,
 * and the replay sends them again from the first one not acked.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>
#include "kafka_sink.h"

int qz_kafka__disk_write(struct kafka_sink *s, const char *key, size_t key_len,
		     const char *data, size_t len, void *owner, uint64_t id)
{
	uint64_t index;
	int err;

	/* A window's worth unacked: let the brokers catch up. */
	while (s->state == K_DIRECT && s->win_active && !s->closing &&
	       qz_kafka__spool_stats(s).tail - s->win_base >= WINDOW_RECORDS)
		qz_kafka__timed_wait(s, 100);
	index = qz_kafka__spool_stats(s).tail;
	err = qz_kafka__spool_put(s, key, key_len, data, len);
	qz_sink_settle(&s->base, owner, id, err);
	if (err)
		return err;	/* logged and counted as lost */
	s->unsynced = true;
	if (s->state != K_DIRECT || s->closing)
		return 0;	/* the replay sends it */
	if (!s->win_active)
		qz_kafka__open_window(s);
	qz_kafka__note_sent(s, index);
	for (;;) {
		err = qz_kafka__produce(s, key, key_len, data, len,
				    (index << TAG_SHIFT) | TAG_SPOOL | TAG_FIRST);
		if (!err) {
			s->inflight_replay++;
			break;
		}
		if (err == -ENOBUFS && s->state == K_DIRECT && !s->closing) {
			qz_kafka__timed_wait(s, 100);
			continue;
		}
		/* It stays in the spool, for the replay to send. */
		if (err != -ENOBUFS && err != -ENOTRECOVERABLE) {
			s->errors++;
			qz_log(&s->base.log, QZ_LOG_ERROR, "kafka sink: produce: %s; "
			       "the report stays in the spool", qz_strerror(err));
		}
		if (err != -ENOBUFS)
			s->win_failed = true;
		break;
	}
	if (s->win_end < index + 1)
		s->win_end = index + 1;
	return 0;
}

void qz_kafka__disk_step(struct kafka_sink *s)
{
	if (s->win_failed) {
		qz_kafka__set_state(s, K_DRAINING,
				"replaying the spool from the first report not acked");
		return;
	}
	if (s->win_active)
		qz_kafka__advance_window(s);
}

void qz_kafka__disk_sync(struct kafka_sink *s)
{
	long long now = qz_sink_now_ms();
	int fd;

	if (!s->unsynced || now - s->last_sync < s->sync_ms)
		return;
	s->unsynced = false;
	s->last_sync = now;
	fd = qz_spool__dup_fd(s->spool);
	if (fd < 0)
		return;		/* no segment: nothing appended since */
	/* Writers append meanwhile; a rotation fsyncs the segment it leaves. */
	pthread_mutex_unlock(&s->mu);
	if (fsync(fd)) {
		int err = -errno;

		pthread_mutex_lock(&s->mu);
		s->errors++;
		qz_log(&s->base.log, QZ_LOG_ERROR,
		       "kafka sink: spool fsync: %s; a power loss may lose reports",
		       qz_strerror(err));
		pthread_mutex_unlock(&s->mu);
	}
	close(fd);
	pthread_mutex_lock(&s->mu);
}
