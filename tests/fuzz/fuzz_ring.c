// SPDX-License-Identifier: MIT
/*
 * Arbitrary bytes as ring contents: the meta page cursors, the sample_type
 * and the data pages all come from the input. The reader must never hang,
 * crash or read outside the ring.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <quazar/ring.h>

#define RINGS 2

static void sink(const struct perf_event_header *rec, int ring_id, void *ctx)
{
	uint64_t *sum = ctx;

	/* Touch every byte so ASan sees any overrun. */
	for (size_t i = 0; i < rec->size; i++)
		*sum += ((const uint8_t *)rec)[i] + (uint64_t)ring_id;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static size_t page;
	struct qz_storage *s[RINGS];
	struct qz_ordered *o;
	uint64_t sample_type = 0, sum = 0;
	uint8_t flags = 0;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	if (size >= 2) {
		memcpy(&flags, data, 1);
		sample_type = (uint64_t)data[1] << 1 | PERF_SAMPLE_TIME;
		data += 2;
		size -= 2;
	}
	QZ_OPTS(qz_ordered_opts, opts, .sample_type = sample_type,
		.sample_id_all = flags & 1, .late = sink);
	o = qz_ordered__new(&opts);
	for (int i = 0; i < RINGS; i++) {
		struct perf_event_mmap_page *meta;
		size_t n = 0;

		s[i] = qz_storage__new_memory(1);
		meta = qz_storage__base(s[i]);
		if (size >= 16) {
			/* Cursors near the data so wraps are common. */
			memcpy(&meta->data_head, data, 8);
			memcpy(&meta->data_tail, data + 8, 8);
			meta->data_head %= 3 * page;
			if (flags & 2)
				meta->data_tail %= 3 * page;
			data += 16;
			size -= 16;
		}
		n = size / (RINGS - i) < page ? size / (RINGS - i) : page;
		memcpy((uint8_t *)meta + page, data, n);
		data += n;
		size -= n;
		qz_ordered__add_ring(o, qz_storage__ring(s[i]), i);
	}
	qz_ordered__read(o, (flags & 4) ? QZ_ORDERED_ALL : 1u << 20, sink, &sum);
	qz_ordered__read(o, QZ_ORDERED_ALL, sink, &sum);

	/* The single-ring calls on what is left. */
	for (int i = 0; i < RINGS; i++) {
		struct qz_ring *ring = qz_storage__ring(s[i]);
		uint8_t buf[64];

		if (!qz_ring__start_read_batch(ring) && qz_ring__peek_size(ring) > 0)
			qz_ring__peek_copy(ring, buf, 0, sizeof(buf));
		qz_ring__finish_read_batch(ring);
		qz_storage__free(s[i]);
	}
	qz_ordered__free(o);
	return (int)(sum & 0);
}
