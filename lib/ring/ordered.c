// SPDX-License-Identifier: MIT
/*
 * The ordered reader. Each ring is already in time order, so a min-heap of
 * the rings' next records merges them. Records stay in their ring until
 * they are emitted: nothing is copied unless it wraps the ring's end.
 *
 * Per record it costs a peek, a load and a compare: the offset of TIME in
 * a sample is worked out once, and a ring's records go out in a run, with
 * the heap untouched, while they are no newer than every other ring's next
 * one (CPUs' rings interleave in runs, not record by record).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ring_internal.h"

struct ring_slot {
	struct qz_ring *ring;
	int id;
	uint16_t size;				/* of rec, as validated */
	uint64_t time;				/* of rec */
	const struct perf_event_header *rec;	/* next record, in ring or scratch */
	uint8_t *scratch;			/* QZ_RECORD_MAX bytes */
};

struct qz_ordered {
	uint64_t sample_type;
	bool sample_id_all;
	size_t sample_time;			/* TIME's offset in a sample; 0: none */
	qz_record_fn late;
	struct qz_logger log;
	struct ring_slot *slots;
	size_t nr_slots;
	struct ring_slot **heap;
	size_t heap_len;
	uint64_t last_time;
	struct qz_ordered_stats stats;
};

QZ_API struct qz_ordered *qz_ordered__new(const struct qz_ordered_opts *opts)
{
	struct qz_ordered *o;

	QZ_OPTS_CHECK_OR_NULL(opts);
	o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->sample_type = QZ_OPT(opts, sample_type, PERF_SAMPLE_TIME);
	o->sample_id_all = QZ_OPT(opts, sample_id_all, false);
	if (o->sample_type & PERF_SAMPLE_TIME)
		o->sample_time = sample_time_offset(o->sample_type);
	o->late = QZ_OPT(opts, late, NULL);
	o->log.fn = QZ_OPT(opts, log, NULL);
	o->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	return o;
}

QZ_API void qz_ordered__free(struct qz_ordered *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->nr_slots; i++)
		free(o->slots[i].scratch);
	free(o->slots);
	free(o->heap);
	free(o);
}

QZ_API int qz_ordered__add_ring(struct qz_ordered *o, struct qz_ring *ring,
				int ring_id)
{
	struct ring_slot *slots;
	struct ring_slot **heap;
	uint8_t *scratch;

	scratch = malloc(QZ_RECORD_MAX + 8);
	slots = realloc(o->slots, (o->nr_slots + 1) * sizeof(*slots));
	if (slots)
		o->slots = slots;
	heap = realloc(o->heap, (o->nr_slots + 1) * sizeof(*heap));
	if (heap)
		o->heap = heap;
	if (!scratch || !slots || !heap) {
		free(scratch);
		return -ENOMEM;
	}
	o->slots[o->nr_slots++] = (struct ring_slot){
		.ring = ring, .id = ring_id, .scratch = scratch,
	};
	return 0;
}

static void heap_sift_down(struct qz_ordered *o, size_t i)
{
	struct ring_slot **h = o->heap;
	struct ring_slot *moving = h[i];

	for (;;) {
		size_t child = 2 * i + 1;

		if (child >= o->heap_len)
			break;
		if (child + 1 < o->heap_len && h[child + 1]->time < h[child]->time)
			child++;
		if (moving->time <= h[child]->time)
			break;
		h[i] = h[child];
		i = child;
	}
	h[i] = moving;
}

static void heap_push(struct qz_ordered *o, struct ring_slot *slot)
{
	size_t i = o->heap_len++;

	while (i) {
		size_t parent = (i - 1) / 2;

		if (o->heap[parent]->time <= slot->time)
			break;
		o->heap[i] = o->heap[parent];
		i = parent;
	}
	o->heap[i] = slot;
}

static void reset_ring(struct qz_ordered *o, struct ring_slot *slot, int err)
{
	qz_log(&o->log, QZ_LOG_ERROR,
	       "ring %d is corrupt (%s); dropping its %zu unread bytes",
	       slot->id, qz_strerror(err), qz_ring__bytes_remaining(slot->ring));
	qz_ring__reset(slot->ring);
	o->stats.resets++;
}

/*
 * Find the slot's next timestamped record. Records without a timestamp on
 * the way are emitted at once; malformed ones are skipped. Returns true
 * when slot->rec holds a record due before `cutoff`.
 */
static __attribute__((noinline)) bool
slot_advance_slow(struct qz_ordered *o, struct ring_slot *slot, uint64_t cutoff,
		  qz_record_fn emit, void *ctx)
{
	for (;;) {
		const struct perf_event_header *rec;
		int err;

		rec = qz_ring__peek(slot->ring, slot->scratch);
		if (!rec) {
			if (errno != ENODATA)
				reset_ring(o, slot, -errno);
			return false;
		}
		slot->size = rec->size;
		err = qz_record__time(rec, o->sample_type, o->sample_id_all, &slot->time);
		if (!err) {
			slot->rec = rec;
			return slot->time <= cutoff;
		}
		if (err == -ENOENT) {
			emit(rec, slot->id, ctx);
			o->stats.emitted++;
		} else {
			qz_log(&o->log, QZ_LOG_WARN,
			       "ring %d: skipping malformed record (type %u, size %u): %s",
			       slot->id, rec->type, rec->size, qz_strerror(err));
			o->stats.malformed++;
		}
		ring_skip(slot->ring, slot->size);
	}
}

/* The common case inline: a whole sample in the ring, TIME at its offset. */
static inline bool slot_advance(struct qz_ordered *o, struct ring_slot *slot,
				uint64_t cutoff, qz_record_fn emit, void *ctx)
{
	const struct perf_event_header *rec = ring_peek_inplace(slot->ring);

	if (__builtin_expect(!rec || rec->type != PERF_RECORD_SAMPLE || !o->sample_time ||
			     rec->size < o->sample_time + 8, 0))
		return slot_advance_slow(o, slot, cutoff, emit, ctx);
	slot->rec = rec;
	slot->size = rec->size;
	memcpy(&slot->time, (const uint8_t *)rec + o->sample_time, 8);
	return slot->time <= cutoff;
}

/* The time of the oldest record among the rings below the top of the heap. */
static uint64_t next_oldest(const struct qz_ordered *o)
{
	uint64_t t = UINT64_MAX;

	if (o->heap_len > 1)
		t = o->heap[1]->time;
	if (o->heap_len > 2 && o->heap[2]->time < t)
		t = o->heap[2]->time;
	return t;
}

QZ_API int64_t qz_ordered__read(struct qz_ordered *o, uint64_t cutoff,
				qz_record_fn emit, void *ctx)
{
	uint64_t before = o->stats.emitted;

	o->heap_len = 0;
	for (size_t i = 0; i < o->nr_slots; i++) {
		struct ring_slot *slot = &o->slots[i];
		int err = qz_ring__start_read_batch(slot->ring);

		if (err) {
			reset_ring(o, slot, err);
			continue;
		}
		if (slot_advance(o, slot, cutoff, emit, ctx))
			heap_push(o, slot);
	}

	while (o->heap_len) {
		struct ring_slot *slot = o->heap[0];
		uint64_t until = next_oldest(o);
		bool more;

		/* The top ring's run: its records no newer than any other's. */
		do {
			if (slot->time < o->last_time) {
				o->stats.late++;
				if (o->late)
					o->late(slot->rec, slot->id, ctx);
			} else {
				o->last_time = slot->time;
				emit(slot->rec, slot->id, ctx);
				o->stats.emitted++;
			}
			ring_skip(slot->ring, slot->size);
			more = slot_advance(o, slot, cutoff, emit, ctx);
		} while (more && slot->time <= until);
		if (!more)
			o->heap[0] = o->heap[--o->heap_len];
		if (o->heap_len)
			heap_sift_down(o, 0);
	}

	for (size_t i = 0; i < o->nr_slots; i++)
		qz_ring__finish_read_batch(o->slots[i].ring);
	return (int64_t)(o->stats.emitted - before);
}

QZ_API int64_t qz_ordered__drain(struct qz_ordered *o, qz_record_fn emit,
				 void *ctx)
{
	uint64_t before = o->stats.emitted;

	for (size_t i = 0; i < o->nr_slots; i++) {
		struct ring_slot *slot = &o->slots[i];
		const struct perf_event_header *rec;
		int err = qz_ring__start_read_batch(slot->ring);

		if (err) {
			reset_ring(o, slot, err);
			continue;
		}
		while ((rec = ring_peek_inplace(slot->ring)) ||
		       (rec = qz_ring__peek(slot->ring, slot->scratch))) {
			uint16_t size = rec->size;

			emit(rec, slot->id, ctx);
			o->stats.emitted++;
			ring_skip(slot->ring, size);
		}
		if (errno != ENODATA)
			reset_ring(o, slot, -errno);
		qz_ring__finish_read_batch(slot->ring);
	}
	return (int64_t)(o->stats.emitted - before);
}

QZ_API void qz_ordered__stats(const struct qz_ordered *o,
			      struct qz_ordered_stats *stats)
{
	*stats = o->stats;
}
