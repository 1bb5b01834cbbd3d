// SPDX-License-Identifier: MIT
/*
 * What a crash leaves between the spool and the topic. A run killed with
 * spooled reports in flight (replayed, or sent first with durability disk)
 * leaves them in the spool although the brokers may have stored them; a
 * blind replay would send them twice. So the checkpoint carries a note,
 * written with the head whenever the head is:
 *
 *	sent N P:FROM P:FROM ...
 *
 * Records below N may have been sent (the note says so before they are:
 * N runs SENT_AHEAD past the last one sent, to write it seldom), and
 * every such record not below the head that the brokers hold is at offset
 * FROM or later of its partition P: the first offset after the last ack of
 * P, or of an acked record not yet committed, or where a report that
 * failed after it was sent may be (kafka_suspects.c). Offsets in a
 * partition grow in the order things are stored, so that bound holds for
 * everything sent after the note was written too.
 *
 * The next start reads those partitions from FROM to their end, once the
 * brokers answer, and does not send again the records it finds there.
 * When they cannot be read, the records are sent again and counted as
 * possible duplicates.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "kafka_sink.h"

#define SENT_AHEAD 4096

struct parts {
	struct resume_part *v;
	size_t n, cap;
};

/* The lowest bound wins; -1 (the partition's start) is the lowest. */
static void part_min(struct parts *p, int32_t partition, int64_t from)
{
	struct resume_part *v;

	if (partition < 0)
		return;
	if (from < -1)
		from = -1;
	for (size_t i = 0; i < p->n; i++) {
		if (p->v[i].partition == partition) {
			if (from < p->v[i].from)
				p->v[i].from = from;
			return;
		}
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;

		v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return;	/* the note goes without it: reads less back */
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = (struct resume_part){ partition, from };
}

void qz_kafka__note_save(struct kafka_sink *s, uint64_t head)
{
	struct parts p = { 0 };
	char note[4096];
	size_t n;
	int len;

	for (int32_t i = 0; i < s->suspects.nr_acked; i++)
		if (s->suspects.acked[i] >= 0)
			part_min(&p, i, s->suspects.acked[i] + 1);
	for (size_t i = 0; i < s->suspects.n; i++)
		part_min(&p, s->suspects.v[i].partition, s->suspects.v[i].from);
	for (size_t i = 0; i < s->failed_n; i++)
		if (s->failed[i]->suspect)
			part_min(&p, s->failed[i]->partition, s->failed[i]->from);
	for (uint64_t i = head > s->win_base ? head : s->win_base; i < s->win_end; i++) {
		const struct win_ack *a = &s->win_ack[i - s->win_base];

		if (i - s->win_base < WINDOW_RECORDS && s->win_done[i - s->win_base] &&
		    a->offset >= 0)
			part_min(&p, a->partition, a->offset);
	}
	/* The last run's records not passed yet keep their bounds. */
	if (s->resume.state != RESUME_NONE && head < s->resume.end)
		for (size_t i = 0; i < s->resume.nr_parts; i++)
			part_min(&p, s->resume.parts[i].partition, s->resume.parts[i].from);
	len = snprintf(note, sizeof(note), "sent %" PRIu64, s->sent_end);
	if (s->reached)
		len += snprintf(note + len, sizeof(note) - (size_t)len, " up:%016" PRIx64,
				s->where);
	for (size_t i = 0; i < p.n && len > 0 && (size_t)len < sizeof(note); i++) {
		n = sizeof(note) - (size_t)len;
		len += snprintf(note + len, n, " %" PRId32 ":%" PRId64, p.v[i].partition,
				p.v[i].from);
	}
	free(p.v);
	if (len > 0 && (size_t)len >= sizeof(note)) {
		/* Thousands of partitions: all of it, from the start. */
		snprintf(note, sizeof(note), "sent %" PRIu64 " up:%016" PRIx64 " all",
			 s->sent_end, s->where);
	}
	qz_spool__set_note(s->spool, note);
}

void qz_kafka__note_sent(struct kafka_sink *s, uint64_t last)
{
	int err;

	if (last < s->sent_saved)
		return;
	if (s->sent_end < last + SENT_AHEAD)
		s->sent_end = last + SENT_AHEAD;
	qz_kafka__note_save(s, qz_kafka__spool_stats(s).head);
	err = qz_spool__checkpoint(s->spool);
	if (err)
		qz_log(&s->base.log, QZ_LOG_WARN,
		       "kafka sink: cannot write the spool's checkpoint (%s): after a crash, "
		       "reports in flight may be sent twice", qz_strerror(err));
	s->sent_saved = s->sent_end;	/* tried: once per SENT_AHEAD */
}

/* "sent N [up:WHERE] P:FROM ..."; false when it is not such a note. */
static bool parse_note(const char *note, uint64_t *sent, struct parts *p, bool *all,
		       uint64_t *up)
{
	char *end;

	*all = false;
	*up = 0;
	if (strncmp(note, "sent ", 5))
		return false;
	errno = 0;
	*sent = strtoull(note + 5, &end, 10);
	if (errno || end == note + 5)
		return false;
	while (*end == ' ') {
		const char *at = end + 1;
		long long part, from;

		if (!strcmp(at, "all")) {
			*all = true;
			return true;
		}
		if (!strncmp(at, "up:", 3)) {
			*up = strtoull(at + 3, &end, 16);
			if (end == at + 3 || (*end && *end != ' '))
				return false;
			continue;
		}
		part = strtoll(at, &end, 10);
		if (end == at || *end != ':' || part < 0 || part > INT32_MAX)
			return false;
		at = end + 1;
		from = strtoll(at, &end, 10);
		if (end == at || from < -1 || (*end && *end != ' '))
			return false;
		part_min(p, (int32_t)part, from);
	}
	return !*end;
}

void qz_kafka__note_load(struct kafka_sink *s)
{
	struct qz_spool_stats st = qz_kafka__spool_stats(s);
	const char *note = qz_spool__note(s->spool);
	struct parts p = { 0 };
	uint64_t sent = 0, up;
	bool all;

	if (!*note)
		return;		/* a new spool, or one of an older version */
	if (!parse_note(note, &sent, &p, &all, &up)) {
		qz_log(&s->base.log, QZ_LOG_WARN,
		       "kafka sink: the spool's checkpoint note is not understood: \"%.80s\"",
		       note);
		free(p.v);
		return;
	}
	s->sent_end = s->sent_saved = sent;
	/* The same brokers and topic answered before: not a typo. */
	s->reached = s->reached_before = up && up == s->where;
	/* Later failures read back from no earlier than needed. */
	for (size_t i = 0; i < p.n; i++)
		if (p.v[i].from > 0)
			qz_suspects__acked(&s->suspects, p.v[i].partition, p.v[i].from - 1);
	s->resume.end = sent < st.tail ? sent : st.tail;
	s->resume.parts = p.v;
	s->resume.nr_parts = p.n;
	if (st.head >= s->resume.end) {
		s->resume.state = RESUME_NONE;
		return;
	}
	s->resume.state = p.n && !all ? RESUME_PENDING : RESUME_UNREADABLE;
	qz_log(&s->base.log, QZ_LOG_INFO,
	       "kafka sink: the last run may have sent %" PRIu64 " of the spooled reports "
	       "before it stopped: %s", s->resume.end - st.head,
	       s->resume.state == RESUME_PENDING ?
	       "the topic is read back before they are sent again" :
	       "where is unknown, so they are sent again (possible duplicates)");
}

struct seen {
	uint64_t *v;
	size_t n, cap;
	int err;
};

static void seen_add(uint64_t hash, void *ctx)
{
	struct seen *sn = ctx;

	if (sn->n == sn->cap) {
		size_t cap = sn->cap ? sn->cap * 2 : 1024;
		uint64_t *v = realloc(sn->v, cap * sizeof(*v));

		if (!v) {
			sn->err = -ENOMEM;
			return;
		}
		sn->v = v;
		sn->cap = cap;
	}
	sn->v[sn->n++] = hash;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

void qz_kafka__check_resume(struct kafka_sink *s)
{
	struct resume *r = &s->resume;
	struct kafka_reader *reader;
	struct seen sn = { 0 };
	int err = 0;

	if (r->state != RESUME_PENDING)
		return;
	reader = qz_kafka__reader(s);
	/* Only this thread changes r: its parts stay while mu is dropped. */
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < r->nr_parts && !err; i++)
		err = reader ? qz_kafka_reader__scan(reader, r->parts[i].partition,
						 r->parts[i].from, READ_BACK_MS,
						 seen_add, &sn) : -ENOTCONN;
	pthread_mutex_lock(&s->mu);
	err = err ?: sn.err;
	if (err) {
		free(sn.v);
		r->state = RESUME_UNREADABLE;
		qz_log(&s->base.log, QZ_LOG_WARN,
		       "kafka sink: cannot read the topic back (%s): the reports the last run "
		       "may have sent are sent again (possible duplicates)", qz_strerror(err));
		return;
	}
	if (sn.n)
		qsort(sn.v, sn.n, sizeof(*sn.v), cmp_u64);
	r->seen = sn.v;
	r->nr_seen = sn.n;
	r->state = RESUME_READ;
	qz_log(&s->base.log, QZ_LOG_INFO,
	       "kafka sink: read %zu messages back from %zu partitions", sn.n, r->nr_parts);
}

bool qz_kafka__resumed(struct kafka_sink *s, const struct qz_spool_rec *rec)
{
	struct resume *r = &s->resume;
	uint64_t hash;

	if (r->state == RESUME_NONE || rec->index >= r->end)
		return false;
	if (r->state != RESUME_READ) {
		s->possible_dups++;	/* sent again without knowing */
		return false;
	}
	hash = qz_kafka__report_hash(rec->key, rec->key_len, rec->data, rec->len);
	if (!r->nr_seen || !bsearch(&hash, r->seen, r->nr_seen, sizeof(hash), cmp_u64))
		return false;
	r->found++;
	return true;
}

void qz_kafka__resume_end(struct kafka_sink *s, uint64_t head)
{
	if (s->resume.state == RESUME_NONE || head < s->resume.end)
		return;
	if (s->resume.state == RESUME_READ)
		qz_log(&s->base.log, QZ_LOG_INFO,
		       "kafka sink: %" PRIu64 " spooled reports the last run sent were in "
		       "the topic already: not sent again", s->resume.found);
	qz_kafka__resume_free(&s->resume);
}

void qz_kafka__resume_free(struct resume *r)
{
	free(r->parts);
	free(r->seen);
	memset(r, 0, sizeof(*r));
}
