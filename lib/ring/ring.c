// SPDX-License-Identifier: MIT
/*
 * The ring over contiguous memory. The producer and the consumer each keep
 * private cursors on their own cache line and meet only at data_head and
 * data_tail in the meta page, exactly as the kernel and perf tools do.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ring_internal.h"

static bool is_pow2(size_t n)
{
	return n && !(n & (n - 1));
}

QZ_API struct qz_ring *qz_ring__new(void *mem, size_t data_pages,
				    size_t page_size)
{
	struct qz_ring *ring;

	if (!mem) {
		errno = EINVAL;
		return NULL;
	}
	if (!is_pow2(data_pages) || !is_pow2(page_size) ||
	    page_size < sizeof(struct perf_event_mmap_page)) {
		errno = QZ_ERR_RING_SIZE;
		return NULL;
	}
	if (posix_memalign((void **)&ring, 64, sizeof(*ring))) {
		errno = ENOMEM;
		return NULL;
	}
	memset(ring, 0, sizeof(*ring));
	ring->meta = mem;
	ring->data = (uint8_t *)mem + page_size;
	ring->size = data_pages * page_size;
	ring->mask = ring->size - 1;
	/* The kernel fills these in for a perf mmap; do it for plain memory. */
	if (!ring->meta->data_size) {
		ring->meta->data_offset = page_size;
		ring->meta->data_size = ring->size;
	}
	ring->wr.head = __atomic_load_n(&ring->meta->data_head, __ATOMIC_RELAXED);
	ring->rd.tail = __atomic_load_n(&ring->meta->data_tail, __ATOMIC_RELAXED);
	ring->rd.head = ring->rd.tail;
	return ring;
}

QZ_API void qz_ring__free(struct qz_ring *ring)
{
	free(ring);
}

QZ_API struct perf_event_mmap_page *qz_ring__meta(struct qz_ring *ring)
{
	return ring->meta;
}

QZ_API size_t qz_ring__data_size(const struct qz_ring *ring)
{
	return ring->size;
}

/* Copy out of the data area starting at absolute position pos, wrapping. */
static void copy_out(const struct qz_ring *ring, uint64_t pos, void *buf,
		     size_t len)
{
	size_t off = pos & ring->mask;
	size_t first = ring->size - off;

	if (first >= len) {
		memcpy(buf, ring->data + off, len);
		return;
	}
	memcpy(buf, ring->data + off, first);
	memcpy((uint8_t *)buf + first, ring->data, len - first);
}

static void copy_in(struct qz_ring *ring, uint64_t pos, const void *buf,
		    size_t len)
{
	size_t off = pos & ring->mask;
	size_t first = ring->size - off;

	if (first >= len) {
		memcpy(ring->data + off, buf, len);
		return;
	}
	memcpy(ring->data + off, buf, first);
	memcpy(ring->data, (const uint8_t *)buf + first, len - first);
}

QZ_API void qz_ring__start_write_batch(struct qz_ring *ring)
{
	ring->wr.tail = __atomic_load_n(&ring->meta->data_tail, __ATOMIC_ACQUIRE);
}

QZ_API int64_t qz_ring__write(struct qz_ring *ring, const void *payload,
			      size_t len, uint16_t type)
{
	size_t total = (sizeof(struct perf_event_header) + len + 7) & ~(size_t)7;
	struct perf_event_header hdr = { .type = type, .size = (uint16_t)total };
	uint64_t head = ring->wr.head;
	size_t pad;

	if (total > QZ_RECORD_MAX || total > ring->size)
		return -QZ_ERR_RECORD_SIZE;
	if (head + total - ring->wr.tail > ring->size) {
		/* The consumer may have moved since the batch started. */
		ring->wr.tail = __atomic_load_n(&ring->meta->data_tail,
						__ATOMIC_ACQUIRE);
		if (head + total - ring->wr.tail > ring->size)
			return -ENOSPC;
	}
	copy_in(ring, head, &hdr, sizeof(hdr));
	copy_in(ring, head + sizeof(hdr), payload, len);
	pad = total - sizeof(hdr) - len;
	if (pad) {
		static const uint8_t zeros[8];

		copy_in(ring, head + sizeof(hdr) + len, zeros, pad);
	}
	ring->wr.head = head + total;
	return (int64_t)(head & ring->mask);
}

QZ_API void qz_ring__finish_write_batch(struct qz_ring *ring)
{
	__atomic_store_n(&ring->meta->data_head, ring->wr.head, __ATOMIC_RELEASE);
}

QZ_API int qz_ring__start_read_batch(struct qz_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->meta->data_head, __ATOMIC_ACQUIRE);
	uint64_t tail = ring->meta->data_tail;

	ring->rd.tail = tail;
	/* Covers tail > head too: the difference wraps to huge. */
	if (head - tail > ring->size || ((head | tail) & 7)) {
		ring->rd.head = tail;
		return -QZ_ERR_RING_TAIL;
	}
	ring->rd.head = head;
	return 0;
}

QZ_API void qz_ring__finish_read_batch(struct qz_ring *ring)
{
	__atomic_store_n(&ring->meta->data_tail, ring->rd.tail, __ATOMIC_RELEASE);
}

QZ_API size_t qz_ring__bytes_remaining(const struct qz_ring *ring)
{
	return ring->rd.head - ring->rd.tail;
}

/* The next record's header, validated against what remains. */
static int peek_header(const struct qz_ring *ring, struct perf_event_header *hdr)
{
	size_t remaining = ring->rd.head - ring->rd.tail;
	size_t off = ring->rd.tail & ring->mask;

	if (__builtin_expect(!remaining, 0))
		return -ENODATA;
	if (__builtin_expect(remaining < sizeof(*hdr), 0))
		return -QZ_ERR_RECORD_SIZE;
	/* Headers are 8-byte aligned so they never wrap. */
	if (off + sizeof(*hdr) <= ring->size)
		memcpy(hdr, ring->data + off, sizeof(*hdr));
	else
		copy_out(ring, ring->rd.tail, hdr, sizeof(*hdr));
	if (hdr->size < sizeof(*hdr) || (hdr->size & 7) || hdr->size > remaining)
		return -QZ_ERR_RECORD_SIZE;
	return 0;
}

QZ_API int qz_ring__peek_size(const struct qz_ring *ring)
{
	struct perf_event_header hdr;
	int err = peek_header(ring, &hdr);

	return err ? err : hdr.size;
}

QZ_API int qz_ring__peek_type(const struct qz_ring *ring)
{
	struct perf_event_header hdr;
	int err = peek_header(ring, &hdr);

	return err ? err : (int)hdr.type;
}

QZ_API int qz_ring__peek_copy(const struct qz_ring *ring, void *buf,
			      size_t offset, size_t len)
{
	struct perf_event_header hdr;
	int err = peek_header(ring, &hdr);

	if (err)
		return err;
	if (offset > hdr.size || len > hdr.size - offset)
		return -EINVAL;
	copy_out(ring, ring->rd.tail + offset, buf, len);
	return 0;
}

QZ_API const struct perf_event_header *
qz_ring__peek(const struct qz_ring *ring, void *scratch)
{
	size_t off = ring->rd.tail & ring->mask;
	struct perf_event_header hdr;
	int err = peek_header(ring, &hdr);

	if (err) {
		errno = -err;
		return NULL;
	}
	if (off + hdr.size <= ring->size)
		return (const struct perf_event_header *)(ring->data + off);
	copy_out(ring, ring->rd.tail, scratch, hdr.size);
	return scratch;
}

/* Small records: fixed-size moves beat a call to memcpy. */
static void copy_record(uint8_t *dst, const uint8_t *src, size_t size)
{
	size_t i = 0;

	if (size > 256) {
		memcpy(dst, src, size);
		return;
	}
	for (; i + 16 <= size; i += 16)
		memcpy(dst + i, src + i, 16);
	if (i < size) /* sizes are multiples of 8 */
		memcpy(dst + i, src + i, 8);
}

QZ_API int qz_ring__read(struct qz_ring *ring, void *buf, size_t len)
{
	uint64_t tail = ring->rd.tail;
	size_t off = tail & ring->mask;
	struct perf_event_header hdr;
	int err;

	/* The common case: a sane header and a record that does not wrap. */
	if (__builtin_expect(ring->rd.head - tail >= sizeof(hdr) &&
			     off + sizeof(hdr) <= ring->size, 1)) {
		memcpy(&hdr, ring->data + off, sizeof(hdr));
		if (__builtin_expect(hdr.size >= sizeof(hdr) && !(hdr.size & 7) &&
				     hdr.size <= ring->rd.head - tail &&
				     off + hdr.size <= ring->size && hdr.size <= len, 1)) {
			copy_record(buf, ring->data + off, hdr.size);
			ring->rd.tail = tail + hdr.size;
			return hdr.size;
		}
	}
	err = peek_header(ring, &hdr);
	if (err)
		return err;
	if (hdr.size > len)
		return -EMSGSIZE;
	copy_out(ring, tail, buf, hdr.size);
	ring->rd.tail = tail + hdr.size;
	return hdr.size;
}

QZ_API int qz_ring__pop(struct qz_ring *ring)
{
	int size = qz_ring__peek_size(ring);

	if (size < 0)
		return size;
	ring->rd.tail += size;
	return 0;
}

QZ_API void qz_ring__reset(struct qz_ring *ring)
{
	uint64_t head = __atomic_load_n(&ring->meta->data_head, __ATOMIC_ACQUIRE);

	ring->rd.head = head;
	ring->rd.tail = head;
	__atomic_store_n(&ring->meta->data_tail, head, __ATOMIC_RELEASE);
}
