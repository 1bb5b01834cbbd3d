/* SPDX-License-Identifier: MIT */
/*
 * The perf ring buffer: a struct perf_event_mmap_page followed by 2^n data
 * pages holding records framed by struct perf_event_header.
 *
 * Three layers:
 *  - qz_ring: the ring over contiguous memory, with batched reads and writes;
 *  - qz_storage: the memory under a ring, plain pages or a perf mmap;
 *  - qz_ordered: many rings merged in timestamp order.
 *
 * A ring has one producer and one consumer, which may be different threads
 * (or the kernel and a thread). Each side keeps its own cursors, so the same
 * struct qz_ring may be shared by the two threads.
 */
#ifndef QUAZAR_RING_H
#define QUAZAR_RING_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_ring;

/*
 * Make a ring over `mem`: one meta page followed by `data_pages` pages of
 * `page_size` bytes. Both counts must be powers of two (-QZ_ERR_RING_SIZE).
 * `mem` is borrowed and must outlive the ring. NULL + errno on failure.
 */
QZ_API struct qz_ring *qz_ring__new(void *mem, size_t data_pages,
				    size_t page_size);
QZ_API void qz_ring__free(struct qz_ring *ring);

/* The meta page (borrowed); data_head and data_tail live there. */
QZ_API struct perf_event_mmap_page *qz_ring__meta(struct qz_ring *ring);
/* Size of the data area in bytes. */
QZ_API size_t qz_ring__data_size(const struct qz_ring *ring);

/*
 * Producer side. A batch loads data_tail once and publishes data_head once,
 * with release ordering, in finish.
 */
QZ_API void qz_ring__start_write_batch(struct qz_ring *ring);
/*
 * Append one record: a perf_event_header of `type` followed by `len` bytes
 * of payload, padded to 8 bytes. Returns the record's offset in the data
 * area, -ENOSPC when it does not fit now, -QZ_ERR_RECORD_SIZE when it never
 * can.
 */
QZ_API int64_t qz_ring__write(struct qz_ring *ring, const void *payload,
			      size_t len, uint16_t type);
QZ_API void qz_ring__finish_write_batch(struct qz_ring *ring);

/*
 * Consumer side. A batch loads data_head once with acquire ordering;
 * finish stores data_tail once with release ordering. start returns
 * -QZ_ERR_RING_TAIL when data_tail is ahead of data_head or further behind
 * it than the ring is large, or either is not 8-byte aligned; the caller
 * resets the ring.
 */
QZ_API int qz_ring__start_read_batch(struct qz_ring *ring);
QZ_API void qz_ring__finish_read_batch(struct qz_ring *ring);

/* Bytes published and not yet popped in this batch. */
QZ_API size_t qz_ring__bytes_remaining(const struct qz_ring *ring);
/*
 * Size (header included) of the next record; -ENODATA when the batch is
 * empty, -QZ_ERR_RECORD_SIZE when the header is corrupt.
 */
QZ_API int qz_ring__peek_size(const struct qz_ring *ring);
/* Type of the next record, or a negative error as for peek_size. */
QZ_API int qz_ring__peek_type(const struct qz_ring *ring);
/*
 * Copy `len` bytes of the next record starting `offset` bytes into it
 * (offset 0 is the header). A record wrapping the end of the data area is
 * copied whole. -EINVAL when the range leaves the record.
 */
QZ_API int qz_ring__peek_copy(const struct qz_ring *ring, void *buf,
			      size_t offset, size_t len);
/*
 * The next record as one contiguous block: a pointer into the ring, or into
 * `scratch` (at least 65536 bytes) when the record wraps. Borrowed until the
 * next pop. NULL + errno as for peek_size.
 */
QZ_API const struct perf_event_header *
qz_ring__peek(const struct qz_ring *ring, void *scratch);
/*
 * Copy the next record, header included, into buf and consume it: peek_copy
 * and pop in one step. Returns its size, -EMSGSIZE when len is too small,
 * or an error as for peek_size.
 */
QZ_API int qz_ring__read(struct qz_ring *ring, void *buf, size_t len);
/* Consume the next record. */
QZ_API int qz_ring__pop(struct qz_ring *ring);
/* Drop everything published: used to recover from a corrupt ring. */
QZ_API void qz_ring__reset(struct qz_ring *ring);

/* Largest record a ring can hold: the header's size field is 16 bits. */
#define QZ_RECORD_MAX 65528u

/*
 * Storage: the memory a ring lives in. Both kinds expose the same calls.
 */
struct qz_storage;

/* Plain pages of memory, for tests and for passing records between threads. */
QZ_API struct qz_storage *qz_storage__new_memory(size_t data_pages);

struct qz_mmap_opts {
	size_t sz;
	/* Event to open; NULL means PERF_COUNT_SW_BPF_OUTPUT with TIME. */
	const struct perf_event_attr *attr;
	int cpu;		/* -1 for any */
	pid_t pid;		/* -1 for all (needs cpu >= 0) */
	size_t data_pages;	/* power of two; 0 means 8 */
	/* Wake the reader after this many bytes; 0 wakes on every event. */
	uint32_t watermark_bytes;
	/* Map this already open event instead of opening one; not closed. */
	int fd;
	bool use_fd;
	unsigned long open_flags; /* perf_event_open flags */
};

/*
 * A perf_event_open of `attr` on a CPU and an mmap of 1 + data_pages pages.
 * The event starts enabled unless attr->disabled.
 */
QZ_API struct qz_storage *qz_storage__new_mmap(const struct qz_mmap_opts *opts);
/* Unmap and close; accepts NULL. */
QZ_API void qz_storage__free(struct qz_storage *storage);
/* The ring over this storage (borrowed, lives as long as the storage). */
QZ_API struct qz_ring *qz_storage__ring(struct qz_storage *storage);
/* The perf event fd to poll, or -1 for memory storage. */
QZ_API int qz_storage__fd(const struct qz_storage *storage);
QZ_API void *qz_storage__base(const struct qz_storage *storage);
QZ_API size_t qz_storage__data_pages(const struct qz_storage *storage);
QZ_API size_t qz_storage__page_size(const struct qz_storage *storage);

/*
 * Where a record's timestamp is, from the sample_type and sample_id_all the
 * events were opened with. Returns 0 and sets *time, -ENOENT when the record
 * carries none, -QZ_ERR_RECORD_SHORT when it is too short to hold it.
 */
QZ_API int qz_record__time(const struct perf_event_header *rec,
			   uint64_t sample_type, bool sample_id_all,
			   uint64_t *time);

/*
 * The ordered reader: rings merged through a heap in timestamp order.
 */
struct qz_ordered;

/* Called for each record; ring_id is the id given to add_ring. */
typedef void (*qz_record_fn)(const struct perf_event_header *rec,
			     int ring_id, void *ctx);

struct qz_ordered_opts {
	size_t sz;
	uint64_t sample_type;	/* as the events were opened; TIME needed */
	bool sample_id_all;
	/* Records older than one already emitted; they are not emitted. */
	qz_record_fn late;
	qz_log_fn log;
	void *log_ctx;
};

QZ_API struct qz_ordered *qz_ordered__new(const struct qz_ordered_opts *opts);
QZ_API void qz_ordered__free(struct qz_ordered *ordered);
/* Add a ring (borrowed) under an id, typically its CPU. */
QZ_API int qz_ordered__add_ring(struct qz_ordered *ordered,
				struct qz_ring *ring, int ring_id);

#define QZ_ORDERED_ALL UINT64_MAX
/*
 * Emit every visible record with a timestamp <= cutoff, in timestamp order
 * across rings; records without one are emitted as soon as they are reached.
 * Records newer than cutoff stay in their ring for a later call (this is the
 * reorder window). A malformed record is logged and skipped; a corrupt ring
 * is logged and reset. Returns the number of records emitted.
 */
QZ_API int64_t qz_ordered__read(struct qz_ordered *ordered, uint64_t cutoff,
				qz_record_fn emit, void *ctx);
/*
 * Emit every visible record, ring after ring, each ring in its own order:
 * for consumers whose result does not depend on order (counting, top),
 * which then skip the merge. Corrupt rings are handled as in read.
 */
QZ_API int64_t qz_ordered__drain(struct qz_ordered *ordered, qz_record_fn emit,
				 void *ctx);

struct qz_ordered_stats {
	uint64_t emitted;
	uint64_t late;		/* older than a record already emitted */
	uint64_t malformed;	/* skipped records */
	uint64_t resets;	/* corrupt rings reset */
};
QZ_API void qz_ordered__stats(const struct qz_ordered *ordered,
			      struct qz_ordered_stats *stats);

#ifdef __cplusplus
}
#endif

#endif
