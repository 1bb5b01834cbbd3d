// SPDX-License-Identifier: MIT
/* multi-trace --detail: option parsing and the event timeline. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profiler.h"
#include <quazar/session.h>
#include "detail.h"

int qz_mt_detail__parse(const char *text, struct mt_detail_opts *o, char *err,
		     size_t len)
{
	char *copy, *tok, *save = NULL;
	int ret = 0;

	memset(o, 0, sizeof(*o));
	if (!text || !*text)
		return 0;
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !ret;
	     tok = strtok_r(NULL, ",", &save)) {
		if (tok[0] == '-' || tok[0] == '+') {
			uint64_t *dst = tok[0] == '-' ? &o->before : &o->after;

			if (qz_parse_time(tok + 1, dst))
				ret = -EINVAL;
		} else if (!strncmp(tok, "hide<", 5)) {
			if (qz_parse_time(tok + 5, &o->hide))
				ret = -EINVAL;
		} else if (!strcmp(tok, "1")) {
			o->only1 = true;
		} else if (!strcmp(tok, "2")) {
			o->only2 = true;
		} else if (!strcmp(tok, "samecpu")) {
			o->same_cpu = true;
		} else if (!strcmp(tok, "samepid")) {
			o->same_pid = true;
		} else if (!strcmp(tok, "sametid")) {
			o->same_tid = true;
		} else if (!strcmp(tok, "samekey")) {
			o->same_key = true;
		} else if (qz_parse_time(tok, &o->after)) {
			/* perf-prof reads a time without a sign as +N. */
			ret = -EINVAL;
		}
		if (ret)
			snprintf(err, len,
				 "--detail='%s': bad part '%s'; use -N, +N (times such as 10ms), 1, 2, hide<N, samecpu, samepid, sametid, samekey",
				 text, tok);
	}
	free(copy);
	return ret;
}

int qz_mt_timeline__init(struct mt_timeline *t, size_t max_bytes, uint64_t before)
{
	memset(t, 0, sizeof(*t));
	t->mask = 4095;
	t->ring = calloc(t->mask + 1, sizeof(*t->ring));
	t->max_bytes = max_bytes;
	t->before = before;
	return t->ring ? 0 : -ENOMEM;
}

void qz_mt_timeline__free(struct mt_timeline *t)
{
	if (!t->ring)
		return;
	for (uint64_t s = t->head; s < t->tail; s++)
		free(t->ring[s & t->mask]);
	free(t->ring);
	t->ring = NULL;
}

static size_t rec_bytes(const struct mt_rec *r)
{
	return sizeof(*r) + r->callchain_nr * sizeof(uint64_t) + r->raw_size;
}

static int grow(struct mt_timeline *t)
{
	uint64_t ncap = (t->mask + 1) * 2;
	struct mt_rec **n = calloc(ncap, sizeof(*n));

	if (!n)
		return -ENOMEM;
	for (uint64_t s = t->head; s < t->tail; s++)
		n[s & (ncap - 1)] = t->ring[s & t->mask];
	free(t->ring);
	t->ring = n;
	t->mask = ncap - 1;
	return 0;
}

static void drop_front(struct mt_timeline *t)
{
	struct mt_rec *r = t->ring[t->head & t->mask];

	t->bytes -= rec_bytes(r);
	free(r);
	t->ring[t->head & t->mask] = NULL;
	t->head++;
	if (t->first_pinned < t->head)
		t->first_pinned = t->head;
}

struct mt_rec *qz_mt_timeline__get(struct mt_timeline *t, uint64_t seq)
{
	if (seq < t->head || seq >= t->tail)
		return NULL;
	return t->ring[seq & t->mask];
}

void qz_mt_timeline__pin(struct mt_timeline *t, uint64_t seq)
{
	struct mt_rec *r = qz_mt_timeline__get(t, seq);

	if (r)
		r->pins++;
}

void qz_mt_timeline__unpin(struct mt_timeline *t, uint64_t seq)
{
	struct mt_rec *r = qz_mt_timeline__get(t, seq);

	if (r && r->pins)
		r->pins--;
}

void qz_mt_timeline__trim(struct mt_timeline *t)
{
	uint64_t limit;

	/* The first pinned node only moves forward: nodes are pinned new. */
	while (t->first_pinned < t->tail && !t->ring[t->first_pinned & t->mask]->pins)
		t->first_pinned++;
	limit = t->first_pinned < t->tail ? t->ring[t->first_pinned & t->mask]->time :
					    t->newest;
	while (t->head < t->tail) {
		struct mt_rec *r = t->ring[t->head & t->mask];

		if (t->bytes > t->max_bytes) {
			t->dropped++;
		} else if (r->pins || r->time + t->before >= limit) {
			break;
		}
		drop_front(t);
	}
}

struct mt_rec *qz_mt_timeline__append(struct mt_timeline *t,
				   const struct qz_event *ev, uint64_t key,
				   bool pin)
{
	struct mt_rec *r;

	if (t->tail - t->head > t->mask && grow(t))
		return NULL;
	r = qz_mt_rec__new(ev, key);
	if (!r)
		return NULL;
	r->seq = t->tail;
	r->pins = pin;
	t->ring[t->tail & t->mask] = r;
	t->tail++;
	t->bytes += rec_bytes(r);
	t->newest = r->time;
	return r;
}
