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

/* Consume a record whose header the caller has already validated. */
static inline void ring_skip(struct qz_ring *ring, uint16_t size)
{
	ring->rd.tail += size;
}

#endif
