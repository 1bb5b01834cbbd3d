// SPDX-License-Identifier: MIT
/*
 * Sample layouts: an event's sample_type is fixed once it is open, so the
 * offset of each field before the first variable-size one is known then.
 * A layout lists, for the fields a reader wants, where each sits in the
 * record and where it lands in struct qz_sample; parsing is a size check
 * and those copies. READ, CALLCHAIN and RAW follow the fixed words and are
 * walked as sample.c walks them, every read bounded, so a layout refuses
 * exactly the records qz_sample__parse refuses.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "perf_internal.h"

/* The fields before READ: one u64 each, at offsets fixed by sample_type. */
#define NR_WORDS 9

/* Up to RAW: the fields a layout reads itself (sample.c's common case). */
#define LAYOUT_BITS ((uint64_t)(PERF_SAMPLE_RAW * 2 - 1) | PERF_SAMPLE_IDENTIFIER)
#define WALK_BITS ((uint64_t)(PERF_SAMPLE_READ | PERF_SAMPLE_CALLCHAIN))
#define ID_BITS ((uint64_t)(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_ID))

/* How the part after the fixed words is read. */
enum layout_mode {
	LAYOUT_WORDS,		/* nothing follows them */
	LAYOUT_RAW,		/* RAW alone: its size word is at a fixed offset too */
	LAYOUT_WALK,		/* READ or CALLCHAIN: walked with a bounded cursor */
	LAYOUT_GENERAL,		/* fields past RAW: qz_sample__parse reads it */
};

struct qz_sample_layout {
	struct qz_sample_format fmt;
	uint64_t type;		/* what a parse fills */
	enum layout_mode mode;
	uint16_t fixed;		/* bytes at fixed offsets after the header */
	bool want_raw;
	uint8_t nr_words;
	struct {
		uint8_t from;	/* offset in the record body */
		uint8_t to;	/* offset in struct qz_sample */
	} words[NR_WORDS];
};

/* TID and CPU are two u32 each, copied as one word into adjacent fields. */
_Static_assert(offsetof(struct qz_sample, tid) == offsetof(struct qz_sample, pid) + 4,
	       "pid, tid adjacent");
_Static_assert(offsetof(struct qz_sample, cpu_res) == offsetof(struct qz_sample, cpu) + 4,
	       "cpu, cpu_res adjacent");
_Static_assert(offsetof(struct qz_sample, period) + 8 <= 255, "word targets fit a u8");

/* In the order of <linux/perf_event.h>: the record's order. */
static const struct {
	uint64_t bit;
	uint8_t to;
} word_fields[NR_WORDS] = {
	{ PERF_SAMPLE_IDENTIFIER, offsetof(struct qz_sample, id) },
	{ PERF_SAMPLE_IP, offsetof(struct qz_sample, ip) },
	{ PERF_SAMPLE_TID, offsetof(struct qz_sample, pid) },
	{ PERF_SAMPLE_TIME, offsetof(struct qz_sample, time) },
	{ PERF_SAMPLE_ADDR, offsetof(struct qz_sample, addr) },
	{ PERF_SAMPLE_ID, offsetof(struct qz_sample, id) },
	{ PERF_SAMPLE_STREAM_ID, offsetof(struct qz_sample, stream_id) },
	{ PERF_SAMPLE_CPU, offsetof(struct qz_sample, cpu) },
	{ PERF_SAMPLE_PERIOD, offsetof(struct qz_sample, period) },
};

QZ_API struct qz_sample_layout *qz_sample_layout__new(const struct qz_sample_format *fmt,
						      uint64_t fields)
{
	struct qz_sample_layout *l;
	uint64_t t;
	int id_word = -1;

	if (!fmt) {
		errno = EINVAL;
		return NULL;
	}
	l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	t = fmt->sample_type;
	l->fmt = *fmt;
	if (t & ~LAYOUT_BITS) {
		l->mode = LAYOUT_GENERAL;
		l->type = t;
		return l;
	}
	l->type = t & fields;
	for (int i = 0; i < NR_WORDS; i++) {
		if (!(t & word_fields[i].bit))
			continue;
		if (word_fields[i].bit & ID_BITS) {
			/* One id: ID's word when there is one, as sample.c keeps. */
			if (l->type & ID_BITS) {
				if (id_word < 0)
					id_word = l->nr_words++;
				l->words[id_word].from = (uint8_t)l->fixed;
				l->words[id_word].to = word_fields[i].to;
			}
		} else if (l->type & word_fields[i].bit) {
			l->words[l->nr_words].from = (uint8_t)l->fixed;
			l->words[l->nr_words++].to = word_fields[i].to;
		}
		l->fixed += 8;
	}
	l->want_raw = l->type & PERF_SAMPLE_RAW;
	if (t & WALK_BITS) {
		l->mode = LAYOUT_WALK;
	} else if (t & PERF_SAMPLE_RAW) {
		l->mode = LAYOUT_RAW;
		l->fixed += 4;
	}
	return l;
}

QZ_API void qz_sample_layout__free(struct qz_sample_layout *l)
{
	free(l);
}

QZ_API uint64_t qz_sample_layout__type(const struct qz_sample_layout *l)
{
	return l ? l->type : 0;
}

/* READ, CALLCHAIN and RAW from p on, in that order, each read bounded. */
static __attribute__((noinline)) int
parse_walk(const struct qz_sample_layout *l, const uint8_t *p, const uint8_t *end,
	   struct qz_sample *s)
{
	uint64_t t = l->fmt.sample_type, nr;
	uint32_t size;

	if (t & PERF_SAMPLE_READ) {
		struct qz_sample unwanted;	/* only its read part is written */
		int err = qz__sample_parse_read(&p, end, l->fmt.read_format,
						(l->type & PERF_SAMPLE_READ) ? s : &unwanted);

		if (err)
			return err;
	}
	if (t & PERF_SAMPLE_CALLCHAIN) {
		if (end - p < 8)
			return -QZ_ERR_RECORD_SHORT;
		memcpy(&nr, p, 8);
		p += 8;
		if (nr > (uint64_t)(end - p) / 8)
			return -QZ_ERR_RECORD_SHORT;
		if (l->type & PERF_SAMPLE_CALLCHAIN) {
			s->callchain_nr = nr;
			s->callchain = (const void *)p;
		}
		p += nr * 8;
	}
	if (t & PERF_SAMPLE_RAW) {
		if (end - p < 4)
			return -QZ_ERR_RECORD_SHORT;
		memcpy(&size, p, 4);
		p += 4;
		if (size > (uint64_t)(end - p))
			return -QZ_ERR_RECORD_SHORT;
		if (l->want_raw) {
			s->raw_size = size;
			s->raw = p;
		}
	}
	return 0;
}

QZ_API int qz_sample_layout__parse(const struct qz_sample_layout *l,
				   const struct perf_event_header *rec,
				   struct qz_sample *s)
{
	const uint8_t *body = (const uint8_t *)(rec + 1);
	uint32_t size;

	if (rec->type != PERF_RECORD_SAMPLE)
		return -ENOTSUP;
	/* Formats past RAW, and callers built against another qz_sample. */
	if (__builtin_expect(l->mode == LAYOUT_GENERAL || s->sz != sizeof(*s), 0))
		return qz_sample__parse(rec, &l->fmt, s);
	if (rec->size < sizeof(*rec) + l->fixed)
		return -QZ_ERR_RECORD_SHORT;
	/* Unrolled, the last word first (each lands in its own field). */
	switch (l->nr_words) {
#define WORD(i)                                                                \
	case i + 1:                                                            \
		memcpy((uint8_t *)s + l->words[i].to, body + l->words[i].from, 8); \
		__attribute__((fallthrough))
	WORD(8); WORD(7); WORD(6); WORD(5); WORD(4); WORD(3); WORD(2); WORD(1); WORD(0);
#undef WORD
	default:
		break;
	}
	s->type = l->type;
	switch (l->mode) {
	case LAYOUT_RAW:
		/* Checked whether wanted or not: the same records are refused. */
		memcpy(&size, body + l->fixed - 4, 4);
		if (size > rec->size - sizeof(*rec) - l->fixed)
			return -QZ_ERR_RECORD_SHORT;
		if (l->want_raw) {
			s->raw_size = size;
			s->raw = body + l->fixed;
		}
		return 0;
	case LAYOUT_WALK:
		return parse_walk(l, body + l->fixed, (const uint8_t *)rec + rec->size, s);
	default:
		return 0;
	}
}
