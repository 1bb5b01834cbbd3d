// SPDX-License-Identifier: MIT
/* The ordered reader over memory rings with hand-built records. */
#include <errno.h>
#include <stdint.h>
#include <quazar/ring.h>
#include "../test.h"

#define MAX_SEEN 4096

struct seen {
	int n;
	uint64_t time[MAX_SEEN];
	int ring[MAX_SEEN];
	uint16_t type[MAX_SEEN];
	int late;
};

/* Samples carry PERF_SAMPLE_TIME only: the payload is the u64 time. */
static void put(struct qz_storage *s, uint64_t time)
{
	struct qz_ring *ring = qz_storage__ring(s);

	qz_ring__start_write_batch(ring);
	CHECK(qz_ring__write(ring, &time, 8, PERF_RECORD_SAMPLE) >= 0);
	qz_ring__finish_write_batch(ring);
}

static void put_raw(struct qz_storage *s, const void *payload, size_t len,
		    uint16_t type)
{
	struct qz_ring *ring = qz_storage__ring(s);

	qz_ring__start_write_batch(ring);
	CHECK(qz_ring__write(ring, payload, len, type) >= 0);
	qz_ring__finish_write_batch(ring);
}

static void record(const struct perf_event_header *rec, int ring_id, void *ctx)
{
	struct seen *seen = ctx;
	uint64_t t = 0;

	if (seen->n >= MAX_SEEN)
		return;
	if (rec->type == PERF_RECORD_SAMPLE)
		memcpy(&t, rec + 1, 8);
	seen->time[seen->n] = t;
	seen->ring[seen->n] = ring_id;
	seen->type[seen->n] = rec->type;
	seen->n++;
}

static void record_late(const struct perf_event_header *rec, int ring_id,
			void *ctx)
{
	(void)rec;
	(void)ring_id;
	((struct seen *)ctx)->late++;
}

static struct qz_ordered *ordered_over(struct qz_storage **s, int n)
{
	QZ_OPTS(qz_ordered_opts, opts, .sample_type = PERF_SAMPLE_TIME,
		.late = record_late);
	struct qz_ordered *o = qz_ordered__new(&opts);

	for (int i = 0; i < n; i++) {
		s[i] = qz_storage__new_memory(4);
		CHECK_EQ(qz_ordered__add_ring(o, qz_storage__ring(s[i]), 10 + i), 0);
	}
	return o;
}

static void free_all(struct qz_ordered *o, struct qz_storage **s, int n)
{
	qz_ordered__free(o);
	for (int i = 0; i < n; i++)
		qz_storage__free(s[i]);
}

static void test_merge(void)
{
	struct qz_storage *s[3];
	struct qz_ordered *o = ordered_over(s, 3);
	struct seen seen = { 0 };
	int total = 0;

	/* Three interleaved streams, each in order, with ties across rings. */
	for (uint64_t t = 1; t <= 300; t++) {
		put(s[t % 3], t * 10);
		if (t % 7 == 0)
			put(s[(t + 1) % 3], t * 10);
		total += 1 + (t % 7 == 0);
	}
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), total);
	CHECK_EQ(seen.n, total);
	for (int i = 1; i < seen.n; i++)
		CHECK(seen.time[i - 1] <= seen.time[i]);
	CHECK(seen.ring[0] == 11);
	/* Everything was consumed. */
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), 0);
	free_all(o, s, 3);
}

/*
 * Rings whose records come in runs (as CPUs' rings do), with ties, of
 * varied sizes so they wrap the rings' ends, TIME after IDENTIFIER and TID,
 * read in rounds and with a cutoff inside a run: time order, each ring's
 * own order kept, nothing lost, nothing late.
 */
struct run_seen {
	int n;
	uint64_t last_time, next_seq[4];
	int bad;
};

static void run_record(const struct perf_event_header *rec, int ring_id, void *ctx)
{
	struct run_seen *rs = ctx;
	uint64_t body[3];	/* IDENTIFIER, TID (our sequence number), TIME */
	int r = ring_id - 10;

	memcpy(body, rec + 1, sizeof(body));
	if (body[2] < rs->last_time || r < 0 || r > 3 || body[0] != (uint64_t)r ||
	    body[1] != rs->next_seq[r])
		rs->bad++;
	else
		rs->next_seq[r]++;
	rs->last_time = body[2];
	rs->n++;
}

static void run_late(const struct perf_event_header *rec, int ring_id, void *ctx)
{
	(void)rec;
	(void)ring_id;
	((struct run_seen *)ctx)->bad++;
}

static void test_runs(void)
{
	QZ_OPTS(qz_ordered_opts, opts, .late = run_late,
		.sample_type = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID | PERF_SAMPLE_TIME);
	struct qz_ordered *o = qz_ordered__new(&opts);
	struct qz_storage *s[4];
	struct run_seen rs = { 0 };
	uint64_t seq[4] = { 0 }, time = 1, rnd = 42, written = 0;

	for (int i = 0; i < 4; i++) {
		s[i] = qz_storage__new_memory(4);	/* 16 KiB: wraps every few rounds */
		CHECK_EQ(qz_ordered__add_ring(o, qz_storage__ring(s[i]), 10 + i), 0);
	}
	for (int round = 0; round < 40; round++) {
		uint64_t mid = 0;

		for (int i = 0; i < 4; i++)
			qz_ring__start_write_batch(qz_storage__ring(s[i]));
		for (int k = 0; k < 60; k++) {
			int r, len;

			rnd = rnd * 6364136223846793005ull + 1442695040888963407ull;
			r = (int)(rnd >> 62);
			len = 1 + (int)(rnd >> 40) % 8;	/* a run of 1..8 */
			for (int j = 0; j < len; j++) {
				uint64_t body[8] = { (uint64_t)r, seq[r], time };
				size_t size = 24 + 8 * ((rnd >> (j * 3)) % 6);

				if (qz_ring__write(qz_storage__ring(s[r]), body, size,
						   PERF_RECORD_SAMPLE) < 0)
					break;
				seq[r]++;
				written++;
				time += (rnd >> (20 + j)) & 1;	/* ties */
			}
			if (k == 30)
				mid = time;
		}
		for (int i = 0; i < 4; i++)
			qz_ring__finish_write_batch(qz_storage__ring(s[i]));
		if (round % 2)
			qz_ordered__read(o, mid, run_record, &rs);
		qz_ordered__read(o, QZ_ORDERED_ALL, run_record, &rs);
		CHECK_EQ((uint64_t)rs.n, written);
	}
	CHECK_EQ(rs.bad, 0);
	CHECK(written > 40 * 60);
	free_all(o, s, 4);
}

static void test_cutoff_and_late(void)
{
	struct qz_storage *s[2];
	struct qz_ordered *o = ordered_over(s, 2);
	struct seen seen = { 0 };
	struct qz_ordered_stats st;

	put(s[0], 100);
	put(s[0], 300);
	put(s[1], 200);
	/* Records newer than the cutoff wait in their ring. */
	CHECK_EQ(qz_ordered__read(o, 250, record, &seen), 2);
	CHECK_EQ(seen.time[0], 100);
	CHECK_EQ(seen.time[1], 200);
	put(s[1], 150);		/* older than 200, already emitted: late */
	put(s[1], 400);
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), 2);
	CHECK_EQ(seen.n, 4);
	CHECK_EQ(seen.time[2], 300);
	CHECK_EQ(seen.time[3], 400);
	CHECK_EQ(seen.late, 1);
	qz_ordered__stats(o, &st);
	CHECK_EQ(st.late, 1);
	CHECK_EQ(st.emitted, 4);
	free_all(o, s, 2);
}

static void test_untimed_first(void)
{
	struct qz_storage *s[2];
	struct qz_ordered *o = ordered_over(s, 2);
	struct seen seen = { 0 };
	uint64_t lost[2] = { 1, 5 };	/* id, lost */

	put(s[0], 100);
	put_raw(s[1], lost, sizeof(lost), PERF_RECORD_LOST);
	put(s[1], 50);
	/* LOST carries no time (sample_id_all is off): delivered at once. */
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), 3);
	CHECK_EQ(seen.type[0], PERF_RECORD_LOST);
	CHECK_EQ(seen.time[1], 50);
	CHECK_EQ(seen.time[2], 100);
	free_all(o, s, 2);
}

static void test_malformed_and_corrupt(void)
{
	struct qz_storage *s[2];
	struct qz_ordered *o = ordered_over(s, 2);
	struct seen seen = { 0 };
	struct qz_ordered_stats st;
	struct perf_event_mmap_page *meta;
	uint32_t shorty = 1;

	put(s[0], 10);
	put_raw(s[0], &shorty, 0, PERF_RECORD_SAMPLE);	/* no room for time */
	put(s[0], 30);
	put(s[1], 20);
	/* Ring 1's next record claims a size of zero. */
	meta = qz_storage__base(s[1]);
	put(s[1], 40);
	((struct perf_event_header *)((uint8_t *)meta + meta->data_offset + 16))->size = 0;
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), 3);
	CHECK_EQ(seen.time[0], 10);
	CHECK_EQ(seen.time[1], 20);
	CHECK_EQ(seen.time[2], 30);
	qz_ordered__stats(o, &st);
	CHECK_EQ(st.malformed, 1);
	CHECK_EQ(st.resets, 1);
	/* The reset ring works again. */
	put(s[1], 50);
	CHECK_EQ(qz_ordered__read(o, QZ_ORDERED_ALL, record, &seen), 1);
	CHECK_EQ(seen.time[3], 50);
	free_all(o, s, 2);
}

static void test_drain(void)
{
	struct qz_storage *s[2];
	struct qz_ordered *o = ordered_over(s, 2);
	struct seen seen = { 0 };
	struct qz_ordered_stats st;
	struct perf_event_mmap_page *meta;

	put(s[0], 30);
	put(s[0], 10);
	put(s[1], 20);
	/* Ring after ring, each in its own order: no merge. */
	CHECK_EQ(qz_ordered__drain(o, record, &seen), 3);
	CHECK_EQ(seen.time[0], 30);
	CHECK_EQ(seen.time[1], 10);
	CHECK_EQ(seen.time[2], 20);
	CHECK_EQ(seen.ring[2], 11);
	CHECK_EQ(qz_ordered__drain(o, record, &seen), 0);
	/* A corrupt ring is reset; the other is still read. */
	put(s[0], 40);
	meta = qz_storage__base(s[0]);
	((struct perf_event_header *)((uint8_t *)meta + meta->data_offset + 32))->size = 0;
	put(s[1], 50);
	CHECK_EQ(qz_ordered__drain(o, record, &seen), 1);
	CHECK_EQ(seen.time[3], 50);
	qz_ordered__stats(o, &st);
	CHECK_EQ(st.resets, 1);
	CHECK_EQ(st.emitted, 4);
	free_all(o, s, 2);
}

/* The timestamp sits where sample_type and sample_id_all put it. */
static void test_record_time(void)
{
	struct {
		struct perf_event_header h;
		uint64_t v[6];
	} r = { .h = { .type = PERF_RECORD_SAMPLE, .size = sizeof(r) },
		.v = { 1, 2, 3, 4, 5, 6 } };
	uint64_t t = 0;

	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_TIME, false, &t), 0);
	CHECK_EQ(t, 1);
	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_IP |
				 PERF_SAMPLE_TID | PERF_SAMPLE_TIME, false, &t), 0);
	CHECK_EQ(t, 4);
	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_IP, false, &t), -ENOENT);
	r.h.type = PERF_RECORD_COMM;
	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_TIME, false, &t), -ENOENT);
	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
				 PERF_SAMPLE_IDENTIFIER, true, &t), 0);
	CHECK_EQ(t, 4);
	r.h.size = 16;
	CHECK_EQ(qz_record__time(&r.h, PERF_SAMPLE_TIME | PERF_SAMPLE_CPU, true, &t),
		 -QZ_ERR_RECORD_SHORT);
}

int main(void)
{
	RUN(test_merge);
	RUN(test_runs);
	RUN(test_cutoff_and_late);
	RUN(test_untimed_first);
	RUN(test_malformed_and_corrupt);
	RUN(test_drain);
	RUN(test_record_time);
	return test_result();
}
