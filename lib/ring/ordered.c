// SPDX-License-Identifier: MIT
/*
 * The ordered reader. Each ring is already in time order, so a min-heap of
 * the rings' next records merges them. Records stay in their ring until
 * they are emitted: nothing is copied unless it wraps the ring's end.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ring_internal.h"

struct ring_slot {
	struct qz_ring *ring;
	int id;
	uint64_t time;				/* of rec */
	const struct perf_event_header *rec;	/* next record, in ring or scratch */
	uint8_t *scratch;			/* QZ_RECORD_MAX bytes */
};

struct qz_ordered {
	uint64_t sample_type;
	bool sample_id_all;
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
static bool slot_advance(struct qz_ordered *o, struct ring_slot *slot,
			 uint64_t cutoff, qz_record_fn emit, void *ctx)
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
		err = qz_record__time(rec, o->sample_type, o->sample_id_all,
				      &slot->time);
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
		ring_skip(slot->ring, rec->size);
	}
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

		if (slot->time < o->last_time) {
			o->stats.late++;
			if (o->late)
				o->late(slot->rec, slot->id, ctx);
		} else {
			o->last_time = slot->time;
			emit(slot->rec, slot->id, ctx);
			o->stats.emitted++;
		}
		ring_skip(slot->ring, (uint16_t)slot->rec->size);
		if (!slot_advance(o, slot, cutoff, emit, ctx))
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
		while ((rec = qz_ring__peek(slot->ring, slot->scratch))) {
			emit(rec, slot->id, ctx);
			o->stats.emitted++;
			ring_skip(slot->ring, rec->size);
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
