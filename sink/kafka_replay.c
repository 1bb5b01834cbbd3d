// SPDX-License-Identifier: MIT
/*
 * Replaying the Kafka sink's spool: one window of records at a time, each
 * committed when all of it is acked. Reports that may be in the topic
 * already (kafka_suspects.c) are read back first and sent again only if
 * absent.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "kafka_sink.h"

/* Shifts the window so it starts at base (the spool's head). */
static void win_rebase(struct kafka_sink *s, uint64_t base)
{
	uint64_t shift = base - s->win_base;

	if (base < s->win_base)
		return;
	if (shift >= WINDOW_RECORDS) {
		memset(s->win_done, 0, WINDOW_RECORDS);
	} else {
		memmove(s->win_done, s->win_done + shift, WINDOW_RECORDS - shift);
		memset(s->win_done + WINDOW_RECORDS - shift, 0, shift);
		memmove(s->win_ack, s->win_ack + shift,
			(WINDOW_RECORDS - shift) * sizeof(*s->win_ack));
	}
	s->win_base = base;
}

void qz_kafka__open_window(struct kafka_sink *s)
{
	win_rebase(s, qz_kafka__spool_stats(s).head);
	s->win_end = s->win_base;
	s->win_failed = false;
	s->win_active = true;
}

/* Under mu: produce the next window of spooled reports. */
void qz_kafka__start_window(struct kafka_sink *s)
{
	struct suspect *sp;
	struct qz_spool_rec rec;
	uint64_t bytes = 0;
	int err;

	win_rebase(s, qz_kafka__spool_stats(s).head);
	qz_spool__rewind(s->spool, s->win_base);
	s->win_end = s->win_base;
	s->win_failed = false;
	while (s->win_end - s->win_base < WINDOW_RECORDS && bytes < WINDOW_BYTES) {
		err = qz_spool__read(s->spool, &rec);
		if (err <= 0) {
			if (err)
				qz_log(&s->base.log, QZ_LOG_ERROR,
				       "kafka sink: spool read: %s", qz_strerror(err));
			break;
		}
		if (rec.index - s->win_base >= WINDOW_RECORDS) {
			if (s->win_end > s->win_base)
				break;
			/* Only numbers no record holds before it: consumed. */
			qz_kafka__note_save(s, rec.index);
			qz_spool__commit(s->spool, rec.index);
			win_rebase(s, qz_kafka__spool_stats(s).head);
			qz_spool__rewind(s->spool, s->win_base);
			s->win_end = s->win_base;
			continue;
		}
		/* Numbers skipped (damaged records, or none held them): done, so
		 * the commit passes them. */
		for (uint64_t i = s->win_end; i < rec.index; i++) {
			s->win_done[i - s->win_base] = 1;
			s->win_ack[i - s->win_base] = (struct win_ack){ -1, -1 };
		}
		sp = qz_suspects__find(&s->suspects, rec.index);
		if (!s->win_done[rec.index - s->win_base] && qz_kafka__resumed(s, &rec)) {
			/* The last run sent it before it stopped: it is there. */
			s->win_done[rec.index - s->win_base] = 1;
			s->win_ack[rec.index - s->win_base] = (struct win_ack){ -1, -1 };
			s->found_in_topic++;
			s->delivered++;
		}
		if (sp && sp->state == SUSPECT_IN_TOPIC &&
		    !s->win_done[rec.index - s->win_base]) {
			/* Read back: the brokers have it. Delivered, not sent again. */
			s->win_done[rec.index - s->win_base] = 1;
			s->win_ack[rec.index - s->win_base] = (struct win_ack){ -1, -1 };
			s->found_in_topic++;
			s->delivered++;
		}
		if (!s->win_done[rec.index - s->win_base]) {
			if (sp && sp->state != SUSPECT_ABSENT)
				s->possible_dups++;	/* could not read it back */
			/* The checkpoint says it may be sent before it is (a crash). */
			qz_kafka__note_sent(s, rec.index);
			err = qz_kafka__produce(s, rec.key, rec.key_len, rec.data, rec.len,
				      (rec.index << TAG_SHIFT) | TAG_SPOOL);
			if (err == -ENOBUFS)
				break;	/* the window ends here */
			if (err) {
				if (err != -ENOTRECOVERABLE)	/* logged as fatal */
					qz_log(&s->base.log, QZ_LOG_ERROR,
					       "kafka sink: replay: %s", qz_strerror(err));
				s->win_failed = true;
				break;
			}
			s->inflight_replay++;
		}
		s->win_end = rec.index + 1;
		bytes += rec.len;
	}
	s->win_active = s->win_end > s->win_base;
	if (!s->win_active && s->win_failed) {
		s->next_probe = qz_sink_now_ms() + s->retry_ms;
		qz_kafka__set_state(s, K_SPOOLING, "replay cannot produce");
	}
}

void qz_kafka__advance_window(struct kafka_sink *s)
{
	uint64_t done = s->win_base;

	while (done < s->win_end && s->win_done[done - s->win_base])
		done++;
	if (done > qz_kafka__spool_stats(s).head) {
		/* The checkpoint written with this head must hold its note. */
		qz_kafka__note_save(s, done);
		qz_spool__commit(s->spool, done);
	}
	win_rebase(s, qz_kafka__spool_stats(s).head);
	qz_suspects__prune(&s->suspects, qz_kafka__spool_stats(s).head);
	qz_kafka__resume_end(s, qz_kafka__spool_stats(s).head);
}

/* Under mu, when the window's reports are all acked or failed. */
void qz_kafka__end_window(struct kafka_sink *s)
{
	qz_kafka__advance_window(s);
	s->win_active = false;
}

struct kafka_reader *qz_kafka__reader(struct kafka_sink *s)
{
	if (!s->reader && s->reader_conf) {
		s->reader = qz_kafka_reader__new(&s->base, s->reader_conf, s->topic);
		s->reader_conf = NULL;
	}
	return s->reader;
}

/* The hashes of one partition's reports, read back from an offset on. */
struct scan {
	int32_t partition;
	int64_t from;
	uint64_t *seen;
	size_t n, cap;
	int err;
};

static void scan_seen(uint64_t hash, void *ctx)
{
	struct scan *sc = ctx;

	if (sc->n == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 1024;
		uint64_t *v = realloc(sc->seen, cap * sizeof(*v));

		if (!v) {
			sc->err = -ENOMEM;
			return;
		}
		sc->seen = v;
		sc->cap = cap;
	}
	sc->seen[sc->n++] = hash;
}

static struct scan *scan_of(struct scan *scans, size_t nr, int32_t partition)
{
	for (size_t j = 0; j < nr; j++)
		if (scans[j].partition == partition)
			return &scans[j];
	return NULL;
}

static bool scan_saw(const struct scan *sc, uint64_t hash)
{
	for (size_t i = 0; i < sc->n; i++)
		if (sc->seen[i] == hash)
			return true;
	return false;
}

/*
 * Under mu, before a replay window: read back the partitions of suspects
 * not checked yet (mu is dropped while reading; only this thread serves
 * delivery reports, so the suspects do not change meanwhile).
 */
void qz_kafka__check_suspects(struct kafka_sink *s)
{
	size_t nr = 0, n_before = s->suspects.n, unreadable = 0;
	struct scan *scans = calloc(n_before + 1, sizeof(*scans)), *sc;

	if (!scans)
		return;
	for (size_t i = 0; i < n_before; i++) {
		struct suspect *sp = &s->suspects.v[i];

		if (sp->state != SUSPECT_UNKNOWN)
			continue;
		sc = scan_of(scans, nr, sp->partition);
		if (!sc) {
			scans[nr++] = (struct scan){ .partition = sp->partition, .from = sp->from };
		} else if (sp->from < 0 || (sc->from >= 0 && sp->from < sc->from)) {
			sc->from = sp->from;
		}
	}
	if (nr)
		qz_kafka__reader(s);
	pthread_mutex_unlock(&s->mu);
	for (size_t j = 0; j < nr; j++) {
		int err = s->reader ? qz_kafka_reader__scan(s->reader, scans[j].partition,
							scans[j].from, READ_BACK_MS,
							scan_seen, &scans[j]) : -ENOTCONN;

		if (!scans[j].err)	/* scan_seen's own (out of memory) stays */
			scans[j].err = err;
	}
	pthread_mutex_lock(&s->mu);
	for (size_t i = 0; i < n_before; i++) {
		struct suspect *sp = &s->suspects.v[i];

		sc = scan_of(scans, nr, sp->partition);
		if (sp->state != SUSPECT_UNKNOWN || !sc)
			continue;
		if (sc->err) {
			sp->state = SUSPECT_UNREADABLE;
			unreadable++;
		} else {
			sp->state = scan_saw(sc, sp->hash) ? SUSPECT_IN_TOPIC : SUSPECT_ABSENT;
		}
	}
	if (unreadable)
		qz_log(&s->base.log, QZ_LOG_WARN,
		       "kafka sink: cannot read the topic back: %zu reports the brokers may "
		       "hold are sent again (possible duplicates)", unreadable);
	for (size_t j = 0; j < nr; j++)
		free(scans[j].seen);
	free(scans);
}

