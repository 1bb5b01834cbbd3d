/* SPDX-License-Identifier: MIT */
#ifndef QUAZAR_RING_INTERNAL_H
#define QUAZAR_RING_INTERNAL_H

#include <quazar/ring.h>
#include "../internal.h"

/* One side's private view of the ring; kept apart to avoid false sharing. */
struct qz_ring_cursor {
	uint64_t head;
	uint64_t tail;
} __attribute__((aligned(64)));

struct qz_ring {
	struct perf_event_mmap_page *meta;
	uint8_t *data;
	uint64_t size;
	uint64_t mask;
	struct qz_ring_cursor wr; /* producer: head written, tail last seen */
	struct qz_ring_cursor rd; /* consumer: tail read, head last seen */
};

/*
 * The next record where it lies in the ring: the reader's common case,
 * inlined. NULL when the batch is empty, the header is not sane or the
 * record wraps the end; qz_ring__peek then copies it or says why.
 * Headers never wrap: the start of a batch checked that tail is 8-aligned.
 */
static inline const struct perf_event_header *ring_peek_inplace(const struct qz_ring *ring)
{
	uint64_t left = ring->rd.head - ring->rd.tail;
	size_t off = ring->rd.tail & ring->mask;
	const struct perf_event_header *h = (const void *)(ring->data + off);

	if (__builtin_expect(left < sizeof(*h), 0))
		return NULL;
	if (__builtin_expect(h->size < sizeof(*h) || (h->size & 7) || h->size > left ||
			     off + h->size > ring->size, 0))
		return NULL;
	return h;
}

/* Where TIME sits in a PERF_RECORD_SAMPLE of sample_type (which has it). */
static inline size_t sample_time_offset(uint64_t sample_type)
{
	/* IDENTIFIER, IP and TID (pid+tid) precede TIME. */
	return sizeof(struct perf_event_header) +
	       8 * (!!(sample_type & PERF_SAMPLE_IDENTIFIER) + !!(sample_type & PERF_SAMPLE_IP) +
		    !!(sample_type & PERF_SAMPLE_TID));
}

/* Consume a record whose header the caller has already validated. */
static inline void ring_skip(struct qz_ring *ring, uint16_t size)
{
	ring->rd.tail += size;
}

#endif
