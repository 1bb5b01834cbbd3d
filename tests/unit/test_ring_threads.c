// SPDX-License-Identifier: MIT
/*
 * A producer thread and a consumer thread exchange 10^7 sequence-numbered
 * records over one memory ring: none lost, none duplicated, none reordered.
 * usage: test-ring-threads [RECORDS]  (fewer under ThreadSanitizer)
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <quazar/ring.h>
#include "../test.h"

#define RECORDS 10000000ull

static uint64_t records = RECORDS;

static void *produce(void *arg)
{
	struct qz_ring *ring = arg;
	uint64_t payload[3];

	for (uint64_t seq = 0; seq < records;) {
		qz_ring__start_write_batch(ring);
		/* Vary the size so records wrap at many offsets. */
		for (int i = 0; i < 64 && seq < records; i++) {
			size_t len = 8 * (1 + seq % 3);

			payload[0] = payload[1] = payload[2] = seq;
			if (qz_ring__write(ring, payload, len, 1) < 0)
				break;
			seq++;
		}
		qz_ring__finish_write_batch(ring);
		sched_yield();
	}
	return NULL;
}

int main(int argc, char **argv)
{
	struct qz_storage *s = qz_storage__new_memory(2);
	struct qz_ring *ring = qz_storage__ring(s);
	uint64_t expect = 0, bad = 0;
	uint64_t rec[4];
	pthread_t producer;

	if (argc > 1 && !(records = strtoull(argv[1], NULL, 10))) {
		fprintf(stderr, "usage: %s [RECORDS]\n", argv[0]);
		return 1;
	}
	pthread_create(&producer, NULL, produce, ring);
	while (expect < records && !bad) {
		int size;

		qz_ring__start_read_batch(ring);
		while ((size = qz_ring__peek_size(ring)) > 0) {
			size_t words = (size_t)(size - 8) / 8;

			qz_ring__peek_copy(ring, rec, 0, (size_t)size);
			for (size_t w = 0; w < words; w++)
				bad += rec[1 + w] != expect;
			bad += words != 1 + expect % 3;
			expect++;
			qz_ring__pop(ring);
		}
		bad += size != -ENODATA;
		qz_ring__finish_read_batch(ring);
	}
	pthread_join(producer, NULL);
	qz_ring__start_read_batch(ring);
	CHECK_EQ(bad, 0);
	CHECK_EQ(expect, records);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);
	qz_storage__free(s);
	printf("%llu records exchanged\n", (unsigned long long)expect);
	return test_result();
}
