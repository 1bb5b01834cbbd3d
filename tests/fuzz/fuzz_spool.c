// SPDX-License-Identifier: MIT
/*
 * The spool's recovery and reader on a directory built from the input:
 * segments of well-formed records (named with gaps or not), then damaged
 * (bytes flipped, cut, garbage added), and a checkpoint that may be
 * garbage. Nothing may crash, and what reads back must be consistent:
 * numbers increasing, each payload intact (it carries its own CRC and the
 * number it was written with, so only whole records, in written order,
 * can pass), appends after it numbered after it, and once all is
 * committed a reopened spool is empty.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <zlib.h>
#include "sink.h"

#define MAX_SEGS 4
#define SEG_BYTES (64u << 10)

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct in *in)
{
	uint8_t b = 0;

	if (in->n) {
		b = *in->p++;
		in->n--;
	}
	return b;
}

static char dir[64];

static void rm_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char path[512];

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/* A payload: its write order (4 bytes), data, then a CRC of key and both. */
static size_t payload(uint8_t *buf, uint32_t order, const uint8_t *key, size_t key_len,
		      struct in *in, size_t len)
{
	uLong crc;

	memcpy(buf, &order, 4);
	for (size_t i = 0; i < len; i++)
		buf[4 + i] = next(in);
	crc = crc32(crc32(0, key, (uInt)key_len), buf, (uInt)(4 + len));
	memcpy(buf + 4 + len, &(uint32_t){ (uint32_t)crc }, 4);
	return 4 + len + 4;
}

static int intact(const struct qz_spool_rec *r, uint32_t *order)
{
	uint32_t crc;

	if (r->len < 8)
		return 0;
	memcpy(&crc, r->data + r->len - 4, 4);
	memcpy(order, r->data, 4);
	return crc == (uint32_t)crc32(crc32(0, (const Bytef *)r->key, (uInt)r->key_len),
				      (const Bytef *)r->data, (uInt)(r->len - 4));
}

/* One record in the spool's format: header, key, payload. */
static void write_rec(FILE *f, const uint8_t *key, uint32_t key_len, const uint8_t *data,
		      uint32_t len)
{
	uint32_t h[4] = { 0x52535a51u, len, key_len, 0 };
	uLong crc = crc32(0, (const Bytef *)&h[1], 8);

	if (key_len != UINT32_MAX)
		crc = crc32(crc, key, key_len);
	h[3] = (uint32_t)crc32(crc, data, len);
	fwrite(h, sizeof(h), 1, f);
	if (key_len != UINT32_MAX)
		fwrite(key, 1, key_len, f);
	fwrite(data, 1, len, f);
}

static void build(struct in *in, uint32_t *written)
{
	uint64_t first = next(in) % 3;
	int nsegs = 1 + next(in) % MAX_SEGS, flags = next(in);
	uint8_t data[128], key[8];
	char path[MAX_SEGS][128];
	uint32_t order = 0;
	FILE *f;

	for (int s = 0; s < nsegs; s++) {
		int nrec = next(in) % 12;

		snprintf(path[s], sizeof(path[s]), "%s/%016" PRIx64 ".seg", dir, first);
		f = fopen(path[s], "w");
		if (!f)
			abort();
		for (int r = 0; r < nrec; r++) {
			uint8_t kb = next(in);
			uint32_t key_len = (kb >> 1) % 8, len;

			for (uint32_t i = 0; i < key_len; i++)
				key[i] = next(in);
			len = (uint32_t)payload(data, order++, key, kb & 1 ? key_len : 0, in,
						next(in) % 64);
			write_rec(f, key, kb & 1 ? key_len : UINT32_MAX, data, len);
		}
		fclose(f);
		/* The next segment's name: right after this one, or past a gap. */
		first += (uint64_t)nrec + (next(in) % 4 == 0 ? next(in) % 5 : 0);
	}
	*written = order;
	/* Damage: flip, cut, or add garbage. */
	for (int m = next(in) % 4; m > 0; m--) {
		int op = next(in) % 3;
		long off;
		int fd;

		fd = open(path[next(in) % nsegs], O_RDWR);
		if (fd < 0)
			continue;
		off = lseek(fd, 0, SEEK_END);
		off = off ? (long)((next(in) | next(in) << 8) % off) : 0;
		if (op == 0) {
			uint8_t b;

			if (pread(fd, &b, 1, off) == 1) {
				b ^= next(in) | 1;	/* always a change */
				if (pwrite(fd, &b, 1, off) != 1)
					abort();
			}
		} else if (op == 1) {
			if (ftruncate(fd, off))
				abort();
		} else {
			uint8_t junk[8];
			int n = next(in) % 8;

			for (int i = 0; i < n; i++)
				junk[i] = next(in);
			if (pwrite(fd, junk, (size_t)n, lseek(fd, 0, SEEK_END)) < 0)
				abort();
		}
		close(fd);
	}
	if (flags & 1) {
		snprintf(path[0], sizeof(path[0]), "%s/checkpoint", dir);
		f = fopen(path[0], "w");
		if (!f)
			abort();
		if (flags & 2)
			fprintf(f, "QZSPOOL1 %u\n", next(in) % 40);
		else
			fprintf(f, "%c%c garbage\n", next(in), next(in));
		fclose(f);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	QZ_OPTS(qz_spool_opts, o, .max_bytes = 16 * SEG_BYTES, .segment_bytes = SEG_BYTES);
	struct qz_spool_stats st = { .sz = sizeof(st) };
	struct in in = { data, size };
	struct qz_spool_rec r;
	struct qz_spool *sp;
	uint64_t last = 0, tail;
	uint32_t written, order, last_order = 0;
	int got = 0, err;

	if (!dir[0])
		snprintf(dir, sizeof(dir), "%s/qz-fuzz-spool-%d",
			 access("/dev/shm", W_OK) ? "/tmp" : "/dev/shm", (int)getpid());
	rm_dir();
	if (mkdir(dir, 0700))
		abort();
	build(&in, &written);
	sp = qz_spool__open(dir, &o);
	if (!sp)
		abort();	/* damage is recovered from, never a failed open */
	while ((err = qz_spool__read(sp, &r)) == 1) {
		if (!intact(&r, &order) || order >= written ||
		    (got && (r.index <= last || order <= last_order)))
			abort();
		last = r.index;
		last_order = order;
		got++;
		if (got > 200)
			abort();
	}
	if (err)
		abort();
	/* New records come after whatever was there. */
	qz_spool__stats(sp, &st);
	tail = st.tail;
	if (got && tail <= last)
		abort();
	for (uint32_t i = 0; i < 3; i++) {
		uint8_t buf[80];
		size_t len = payload(buf, written + i, NULL, 0, &in, 8);

		if (qz_spool__append(sp, NULL, 0, buf, len))
			abort();
	}
	for (uint32_t i = 0; i < 3; i++) {
		if (qz_spool__read(sp, &r) != 1 || !intact(&r, &order) ||
		    order != written + i || r.index != tail + i)
			abort();
	}
	if (qz_spool__read(sp, &r) != 0)
		abort();
	/* All consumed: a reopened spool holds nothing. */
	qz_spool__commit(sp, tail + 3);
	qz_spool__free(sp);
	sp = qz_spool__open(dir, &o);
	if (!sp)
		abort();
	qz_spool__stats(sp, &st);
	if (st.records || qz_spool__read(sp, &r) != 0)
		abort();
	qz_spool__free(sp);
	rm_dir();
	return 0;
}
