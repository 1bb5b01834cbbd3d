// SPDX-License-Identifier: MIT
/* The ring over memory: framing, wrap-around, batches and bad input. */
#include <errno.h>
#include <stdint.h>
#include <quazar/ring.h>
#include "../test.h"

static size_t page;

/* A one-meta-page + `pages` ring whose cursors both start at `pos`. */
static struct qz_ring *ring_at(uint8_t **mem, size_t pages, uint64_t pos)
{
	struct perf_event_mmap_page *meta;

	*mem = aligned_alloc(page, (1 + pages) * page);
	memset(*mem, 0, (1 + pages) * page);
	meta = (struct perf_event_mmap_page *)*mem;
	meta->data_head = pos;
	meta->data_tail = pos;
	return qz_ring__new(*mem, pages, page);
}

static void fill(uint8_t *buf, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(seed * 31 + i);
}

static void write_one(struct qz_ring *ring, const void *buf, size_t len,
		      uint16_t type)
{
	qz_ring__start_write_batch(ring);
	CHECK(qz_ring__write(ring, buf, len, type) >= 0);
	qz_ring__finish_write_batch(ring);
}

/* Records of several sizes written and read from every 8-byte offset. */
static void test_wrap_every_offset(void)
{
	static const size_t lens[] = { 0, 1, 8, 13, 56, 200, 1000 };
	uint8_t in[1000], out[1008], scratch[QZ_RECORD_MAX];

	for (uint64_t start = 0; start < 2 * page && !test_failures; start += 8) {
		uint8_t *mem;
		struct qz_ring *ring = ring_at(&mem, 1, start);

		for (size_t i = 0; i < ARRAY_SIZE(lens); i++) {
			size_t len = lens[i];
			size_t total = (8 + len + 7) & ~7ul;
			const struct perf_event_header *rec;

			fill(in, len, (unsigned)(start + i));
			write_one(ring, in, len, 42);

			CHECK_EQ(qz_ring__start_read_batch(ring), 0);
			CHECK_EQ(qz_ring__bytes_remaining(ring), total);
			CHECK_EQ(qz_ring__peek_size(ring), total);
			CHECK_EQ(qz_ring__peek_type(ring), 42);
			CHECK_EQ(qz_ring__peek_copy(ring, out, 0, total), 0);
			CHECK(!memcmp(out + 8, in, len));
			if (len > 4) {
				/* A copy from inside the record, across the wrap. */
				CHECK_EQ(qz_ring__peek_copy(ring, out, 12, len - 4), 0);
				CHECK(!memcmp(out, in + 4, len - 4));
			}
			rec = qz_ring__peek(ring, scratch);
			CHECK(rec && rec->size == total && rec->type == 42);
			CHECK(rec && !memcmp(rec + 1, in, len));
			CHECK_EQ(qz_ring__pop(ring), 0);
			CHECK_EQ(qz_ring__bytes_remaining(ring), 0);
			CHECK_EQ(qz_ring__peek_size(ring), -ENODATA);
			qz_ring__finish_read_batch(ring);
		}
		qz_ring__free(ring);
		free(mem);
	}
}

/* Nothing crosses between the sides until a batch is finished. */
static void test_batches(void)
{
	uint8_t *mem;
	struct qz_ring *ring = ring_at(&mem, 1, 0);
	struct perf_event_mmap_page *meta = qz_ring__meta(ring);
	uint64_t v = 7;

	qz_ring__start_write_batch(ring);
	CHECK_EQ(qz_ring__write(ring, &v, 8, 1), 0);
	CHECK_EQ(qz_ring__write(ring, &v, 8, 2), 16);
	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);	/* not published yet */
	qz_ring__finish_write_batch(ring);
	CHECK_EQ(meta->data_head, 32);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);	/* batch loaded head once */
	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 32);
	CHECK_EQ(qz_ring__peek_type(ring), 1);
	CHECK_EQ(qz_ring__pop(ring), 0);
	CHECK_EQ(qz_ring__peek_type(ring), 2);
	CHECK_EQ(meta->data_tail, 0);			/* not stored until finish */
	qz_ring__finish_read_batch(ring);
	CHECK_EQ(meta->data_tail, 16);
	qz_ring__free(ring);
	free(mem);
}

/* A full ring refuses writes until the consumer finishes its batch. */
static void test_full(void)
{
	uint8_t *mem;
	struct qz_ring *ring = ring_at(&mem, 1, 0);
	uint8_t buf[248] = { 0 };
	int n = 0;

	qz_ring__start_write_batch(ring);
	while (qz_ring__write(ring, buf, sizeof(buf), 3) >= 0)
		n++;
	CHECK_EQ(n, page / 256);
	CHECK_EQ(qz_ring__write(ring, buf, sizeof(buf), 3), -ENOSPC);
	qz_ring__finish_write_batch(ring);

	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__pop(ring), 0);
	qz_ring__start_write_batch(ring);
	CHECK_EQ(qz_ring__write(ring, buf, sizeof(buf), 3), -ENOSPC);
	qz_ring__finish_read_batch(ring);
	CHECK(qz_ring__write(ring, buf, sizeof(buf), 3) >= 0);
	qz_ring__finish_write_batch(ring);
	/* A record larger than the whole ring can never fit. */
	CHECK_EQ(qz_ring__write(ring, mem, page, 3), -QZ_ERR_RECORD_SIZE);
	qz_ring__free(ring);
	free(mem);
}

static void test_bad_sizes(void)
{
	uint8_t *mem = aligned_alloc(page, 8 * page);

	errno = 0;
	CHECK(!qz_ring__new(mem, 3, page));
	CHECK_EQ(errno, QZ_ERR_RING_SIZE);
	CHECK(!qz_ring__new(mem, 2, 3000));
	CHECK_EQ(errno, QZ_ERR_RING_SIZE);
	CHECK(!qz_ring__new(mem, 0, page));
	CHECK(!qz_storage__new_memory(6));
	CHECK_EQ(errno, QZ_ERR_RING_SIZE);
	CHECK(strstr(qz_strerror(-QZ_ERR_RING_SIZE), "power-of-two"));
	CHECK(strstr(qz_strerror(QZ_ERR_RING_SIZE), "power-of-two"));
	CHECK_STR(qz_strerror(-ENOSPC), strerror(ENOSPC));
	free(mem);
}

/* Hand-corrupt a header and check the reader refuses it. */
static void check_corrupt_size(uint16_t size, uint64_t published)
{
	uint8_t *mem;
	struct qz_ring *ring = ring_at(&mem, 1, 0);
	struct perf_event_header *hdr = (void *)(mem + page);
	uint8_t scratch[QZ_RECORD_MAX];

	hdr->type = PERF_RECORD_SAMPLE;
	hdr->size = size;
	qz_ring__meta(ring)->data_head = published;
	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__peek_size(ring), -QZ_ERR_RECORD_SIZE);
	CHECK_EQ(qz_ring__peek_type(ring), -QZ_ERR_RECORD_SIZE);
	CHECK_EQ(qz_ring__pop(ring), -QZ_ERR_RECORD_SIZE);
	errno = 0;
	CHECK(!qz_ring__peek(ring, scratch));
	CHECK_EQ(errno, QZ_ERR_RECORD_SIZE);
	qz_ring__reset(ring);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);
	CHECK_EQ(qz_ring__meta(ring)->data_tail, published);
	qz_ring__free(ring);
	free(mem);
}

static void test_bad_records(void)
{
	check_corrupt_size(0, 64);		/* size zero */
	check_corrupt_size(4, 64);		/* smaller than its header */
	check_corrupt_size(128, 64);		/* beyond what was published */
	check_corrupt_size(0xfff8, page);	/* larger than the ring */
	check_corrupt_size(12, 64);		/* not a multiple of 8 */
}

static void test_tail_ahead(void)
{
	uint8_t *mem;
	struct qz_ring *ring = ring_at(&mem, 1, 64);
	uint64_t v = 1;

	qz_ring__meta(ring)->data_tail = 128;
	CHECK_EQ(qz_ring__start_read_batch(ring), -QZ_ERR_RING_TAIL);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);
	CHECK_EQ(qz_ring__peek_size(ring), -ENODATA);
	/* Further behind than the ring is large is just as impossible. */
	qz_ring__meta(ring)->data_tail = 0;
	qz_ring__meta(ring)->data_head = 2 * page;
	CHECK_EQ(qz_ring__start_read_batch(ring), -QZ_ERR_RING_TAIL);
	/* Cursors are always 8-byte aligned; 4 bytes is not even a header. */
	qz_ring__meta(ring)->data_tail = 0;
	qz_ring__meta(ring)->data_head = 4;
	CHECK_EQ(qz_ring__start_read_batch(ring), -QZ_ERR_RING_TAIL);
	qz_ring__meta(ring)->data_head = 64;
	qz_ring__reset(ring);
	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__bytes_remaining(ring), 0);
	qz_ring__free(ring);
	free(mem);

	/* A copy that leaves the record is refused. */
	ring = ring_at(&mem, 1, 0);
	write_one(ring, &v, 8, 1);
	CHECK_EQ(qz_ring__start_read_batch(ring), 0);
	CHECK_EQ(qz_ring__peek_copy(ring, &v, 8, 16), -EINVAL);
	CHECK_EQ(qz_ring__peek_copy(ring, &v, 24, 0), -EINVAL);
	qz_ring__free(ring);
	free(mem);
}

static void test_memory_storage(void)
{
	struct qz_storage *s = qz_storage__new_memory(4);
	struct qz_ring *ring = qz_storage__ring(s);

	CHECK(s && ring);
	CHECK_EQ(qz_storage__fd(s), -1);
	CHECK_EQ(qz_storage__data_pages(s), 4);
	CHECK_EQ(qz_storage__page_size(s), page);
	CHECK_EQ(qz_ring__data_size(ring), 4 * page);
	CHECK(qz_ring__meta(ring) == qz_storage__base(s));
	qz_storage__free(s);
	qz_storage__free(NULL);
}

int main(void)
{
	page = (size_t)sysconf(_SC_PAGESIZE);
	RUN(test_wrap_every_offset);
	RUN(test_batches);
	RUN(test_full);
	RUN(test_bad_sizes);
	RUN(test_bad_records);
	RUN(test_tail_ahead);
	RUN(test_memory_storage);
	return test_result();
}
