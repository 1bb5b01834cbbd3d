// SPDX-License-Identifier: MIT
/*
 * Ring throughput over memory storage, against memcpy of the same bytes,
 * and the ordered merge of two rings against one. Each figure is the median
 * of several runs; the last line is one JSON object.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/ring.h>
#include "bench.h"

#define RING_PAGES 64		/* 256 KiB: stays in cache like a live ring */
#define REPS 9

static uint8_t out[QZ_RECORD_MAX];
static volatile uint64_t sink_sum;

struct rates {
	double write_rps;	/* records written per second */
	double read_rps;	/* records read (copied out) and popped per second */
};

/* Fill the ring, then drain it with read (copy out + pop); repeat. */
static struct rates ring_rates(size_t record_size, uint64_t records)
{
	struct qz_storage *s = qz_storage__new_memory(RING_PAGES);
	struct qz_ring *ring = qz_storage__ring(s);
	uint8_t payload[256] = { 1 };
	size_t len = record_size - sizeof(struct perf_event_header);
	uint64_t done = 0;
	double wt = 0, rt = 0;

	while (done < records) {
		uint64_t n = 0;
		double t0 = bench_now();
		int size;

		qz_ring__start_write_batch(ring);
		while (qz_ring__write(ring, payload, len, PERF_RECORD_SAMPLE) >= 0)
			n++;
		qz_ring__finish_write_batch(ring);
		wt += bench_now() - t0;

		t0 = bench_now();
		qz_ring__start_read_batch(ring);
		while ((size = qz_ring__read(ring, out, sizeof(out))) > 0)
			;
		qz_ring__finish_read_batch(ring);
		rt += bench_now() - t0;
		sink_sum += out[9];
		done += n;
	}
	qz_storage__free(s);
	return (struct rates){ done / wt, done / rt };
}

/* memcpy of a ring's worth of bytes, the same bytes the ring moves. */
static double memcpy_bytes_per_sec(uint64_t bytes)
{
	size_t chunk = RING_PAGES * 4096;
	uint8_t *src = malloc(chunk), *dst = malloc(chunk);
	double t0;
	uint64_t done = 0;

	memset(src, 1, chunk);
	t0 = bench_now();
	while (done < bytes) {
		memcpy(dst, src, chunk);
		__asm__ volatile("" : : "r"(dst) : "memory");
		done += chunk;
	}
	t0 = bench_now() - t0;
	sink_sum += dst[7];
	free(src);
	free(dst);
	return done / t0;
}

static void count(const struct perf_event_header *rec, int ring_id, void *ctx)
{
	(void)ring_id;
	(*(uint64_t *)ctx) += rec->size;
}

/* Records per second through the ordered reader, spread over n rings. */
static double merge_rate(int nrings, uint64_t records)
{
	struct qz_storage *s[2];
	struct qz_ordered *o = qz_ordered__new(NULL);
	uint64_t payload[7] = { 0 }, time = 0, done = 0, bytes = 0;
	double t = 0;

	for (int i = 0; i < nrings; i++) {
		s[i] = qz_storage__new_memory(RING_PAGES);
		qz_ordered__add_ring(o, qz_storage__ring(s[i]), i);
	}
	while (done < records) {
		double t0;

		for (int i = 0; i < nrings; i++)
			qz_ring__start_write_batch(qz_storage__ring(s[i]));
		/* Interleave times across the rings, as per-CPU rings are. */
		for (;;) {
			payload[0] = ++time;
			if (qz_ring__write(qz_storage__ring(s[time % nrings]), payload,
					   sizeof(payload), PERF_RECORD_SAMPLE) < 0)
				break;
		}
		for (int i = 0; i < nrings; i++)
			qz_ring__finish_write_batch(qz_storage__ring(s[i]));
		t0 = bench_now();
		done += (uint64_t)qz_ordered__read(o, QZ_ORDERED_ALL, count, &bytes);
		t += bench_now() - t0;
	}
	for (int i = 0; i < nrings; i++)
		qz_storage__free(s[i]);
	qz_ordered__free(o);
	sink_sum += bytes;
	return done / t;
}

int main(void)
{
	static const size_t sizes[] = { 16, 64, 256 };
	double write_rps[3], read_rps[3], memcpy_bps[3], merge1, merge2;
	uint64_t bytes = 256ull << 20;

	for (int i = 0; i < 3; i++) {
		double w[REPS], r[REPS], m[REPS];

		for (int rep = 0; rep < REPS; rep++) {
			struct rates rates = ring_rates(sizes[i], bytes / sizes[i]);

			w[rep] = rates.write_rps;
			r[rep] = rates.read_rps;
			m[rep] = memcpy_bytes_per_sec(bytes);
		}
		write_rps[i] = bench_median(w, REPS);
		read_rps[i] = bench_median(r, REPS);
		memcpy_bps[i] = bench_median(m, REPS);
		printf("%4zu B records: write %6.1f M/s, read+pop %6.1f M/s = %6.2f GB/s; memcpy %6.2f GB/s; ratio %.2f\n",
		       sizes[i], write_rps[i] / 1e6, read_rps[i] / 1e6,
		       read_rps[i] * sizes[i] / 1e9, memcpy_bps[i] / 1e9,
		       read_rps[i] * sizes[i] / memcpy_bps[i]);
	}
	{
		double one[REPS], two[REPS];

		for (int rep = 0; rep < REPS; rep++) {
			one[rep] = merge_rate(1, 4000000);
			two[rep] = merge_rate(2, 4000000);
		}
		merge1 = bench_median(one, REPS);
		merge2 = bench_median(two, REPS);
	}
	printf("ordered reader, 64 B samples: 1 ring %.1f M/s, 2 rings merged %.1f M/s; ratio %.2f\n",
	       merge1 / 1e6, merge2 / 1e6, merge2 / merge1);
	printf("{\"bench\":\"ring\",\"reps\":%d", REPS);
	for (int i = 0; i < 3; i++)
		printf(",\"write_rps_%zu\":%.0f,\"read_rps_%zu\":%.0f,\"memcpy_ratio_%zu\":%.3f",
		       sizes[i], write_rps[i], sizes[i], read_rps[i], sizes[i],
		       read_rps[i] * sizes[i] / memcpy_bps[i]);
	printf(",\"memcpy_bytes_per_sec\":%.0f,\"merge_1ring_rps\":%.0f,\"merge_2ring_rps\":%.0f,\"merge_ratio\":%.3f}\n",
	       memcpy_bps[1], merge1, merge2, merge2 / merge1);
	return 0;
}
