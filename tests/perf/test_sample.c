// SPDX-License-Identifier: MIT
/*
 * Sample parsing against hand-built records: every single PERF_SAMPLE_*
 * bit, every pair, thousands of random subsets (fixed seed) and all bits
 * together, each parsed back field by field, then truncated at every
 * length (the record sits in an exact-size heap block, so ASan catches any
 * read past it). Fails when the installed header has a bit we do not know.
 * Sample layouts are checked against the same records: the fields asked
 * for as the general parser gives them, the others left zero, and the
 * same truncations refused.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <quazar/event.h>
#include "../test.h"

#define MAX_WORDS 4096

struct builder {
	uint64_t buf[MAX_WORDS];
	size_t len;		/* bytes */
	uint64_t rng;
};

static uint64_t rnd(struct builder *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

static uint64_t put64(struct builder *b, uint64_t v)
{
	memcpy((uint8_t *)b->buf + b->len, &v, 8);
	b->len += 8;
	return v;
}

static const void *here(struct builder *b)
{
	return (uint8_t *)b->buf + b->len;
}

static void put_bytes(struct builder *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)b->buf)[b->len++] = (uint8_t)rnd(b);
}

/* A random format for the variable parts. */
static struct qz_sample_format random_format(struct builder *b, uint64_t type)
{
	static const uint64_t read_bits[] = {
		PERF_FORMAT_TOTAL_TIME_ENABLED, PERF_FORMAT_TOTAL_TIME_RUNNING,
		PERF_FORMAT_ID, PERF_FORMAT_GROUP, PERF_FORMAT_LOST,
	};
	struct qz_sample_format f = { .sample_type = type };

	for (size_t i = 0; i < ARRAY_SIZE(read_bits); i++)
		if (rnd(b) & 1)
			f.read_format |= read_bits[i];
	if (rnd(b) & 1)
		f.branch_sample_type |= PERF_SAMPLE_BRANCH_HW_INDEX;
	if (rnd(b) & 1)
		f.branch_sample_type |= QZ_SAMPLE_BRANCH_COUNTERS;
	f.sample_regs_user = rnd(b) & 0xffffff;
	f.sample_regs_intr = rnd(b) & 0xffffff;
	return f;
}

static void put_regs(struct builder *b, uint64_t mask, uint64_t *abi,
		     uint32_t *nr, const uint64_t **regs)
{
	*abi = put64(b, rnd(b) % 3);
	if (!*abi)
		return;
	*nr = (uint32_t)__builtin_popcountll(mask);
	*regs = here(b);
	for (uint32_t i = 0; i < *nr; i++)
		put64(b, rnd(b));
}

/* Build a sample into b and what parsing it must give into want. */
static void build(struct builder *b, const struct qz_sample_format *f,
		  struct qz_sample *want)
{
	uint64_t t = f->sample_type, rf = f->read_format;
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE };

	memset(want, 0, sizeof(*want));
	want->sz = sizeof(*want);
	want->type = t;
	b->len = sizeof(hdr);
	if (t & PERF_SAMPLE_IDENTIFIER)
		want->id = put64(b, rnd(b));
	if (t & PERF_SAMPLE_IP)
		want->ip = put64(b, rnd(b));
	if (t & PERF_SAMPLE_TID) {
		uint64_t v = put64(b, rnd(b));

		want->pid = (uint32_t)v;
		want->tid = (uint32_t)(v >> 32);
	}
	if (t & PERF_SAMPLE_TIME)
		want->time = put64(b, rnd(b));
	if (t & PERF_SAMPLE_ADDR)
		want->addr = put64(b, rnd(b));
	if (t & PERF_SAMPLE_ID)
		want->id = put64(b, rnd(b));
	if (t & PERF_SAMPLE_STREAM_ID)
		want->stream_id = put64(b, rnd(b));
	if (t & PERF_SAMPLE_CPU) {
		uint64_t v = put64(b, rnd(b));

		want->cpu = (uint32_t)v;
		want->cpu_res = (uint32_t)(v >> 32);
	}
	if (t & PERF_SAMPLE_PERIOD)
		want->period = put64(b, rnd(b));
	if (t & PERF_SAMPLE_READ) {
		int per = 1 + !!(rf & PERF_FORMAT_ID) + !!(rf & PERF_FORMAT_LOST);

		want->read.format = rf;
		if (rf & PERF_FORMAT_GROUP) {
			want->read.nr = put64(b, rnd(b) % 5);
			if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED)
				want->read.time_enabled = put64(b, rnd(b));
			if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING)
				want->read.time_running = put64(b, rnd(b));
			want->read.values = here(b);
			for (uint64_t i = 0; i < want->read.nr * (uint64_t)per; i++)
				put64(b, rnd(b));
		} else {
			want->read.nr = 1;
			want->read.values = here(b);
			put64(b, rnd(b));
			if (rf & PERF_FORMAT_TOTAL_TIME_ENABLED)
				want->read.time_enabled = put64(b, rnd(b));
			if (rf & PERF_FORMAT_TOTAL_TIME_RUNNING)
				want->read.time_running = put64(b, rnd(b));
			for (int i = 1; i < per; i++)
				put64(b, rnd(b));
		}
	}
	if (t & PERF_SAMPLE_CALLCHAIN) {
		want->callchain_nr = put64(b, rnd(b) % 8);
		want->callchain = here(b);
		for (uint64_t i = 0; i < want->callchain_nr; i++)
			put64(b, rnd(b));
	}
	if (t & PERF_SAMPLE_RAW) {
		/* u32 size + data keeps the record 8-byte aligned. */
		uint32_t size = (uint32_t)(rnd(b) % 6) * 8 + 4;

		want->raw_size = size;
		memcpy((uint8_t *)b->buf + b->len, &size, 4);
		b->len += 4;
		want->raw = here(b);
		put_bytes(b, size);
	}
	if (t & PERF_SAMPLE_BRANCH_STACK) {
		want->branch.nr = put64(b, rnd(b) % 4);
		if (f->branch_sample_type & PERF_SAMPLE_BRANCH_HW_INDEX)
			want->branch.hw_idx = put64(b, rnd(b));
		want->branch.entries = here(b);
		for (uint64_t i = 0; i < want->branch.nr * 3; i++)
			put64(b, rnd(b));
		if (f->branch_sample_type & QZ_SAMPLE_BRANCH_COUNTERS) {
			want->branch.counters = here(b);
			for (uint64_t i = 0; i < want->branch.nr; i++)
				put64(b, rnd(b));
		}
	}
	if (t & PERF_SAMPLE_REGS_USER)
		put_regs(b, f->sample_regs_user, &want->regs_user.abi,
			 &want->regs_user.nr, &want->regs_user.regs);
	if (t & PERF_SAMPLE_STACK_USER) {
		want->stack_user.size = put64(b, (rnd(b) % 3) * 16);
		want->stack_user.data = here(b);
		put_bytes(b, want->stack_user.size);
		if (want->stack_user.size)
			want->stack_user.dyn_size = put64(b, rnd(b));
	}
	if (t & (PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT))
		want->weight = put64(b, rnd(b));
	if (t & PERF_SAMPLE_DATA_SRC)
		want->data_src = put64(b, rnd(b));
	if (t & PERF_SAMPLE_TRANSACTION)
		want->transaction = put64(b, rnd(b));
	if (t & PERF_SAMPLE_REGS_INTR)
		put_regs(b, f->sample_regs_intr, &want->regs_intr.abi,
			 &want->regs_intr.nr, &want->regs_intr.regs);
	if (t & PERF_SAMPLE_PHYS_ADDR)
		want->phys_addr = put64(b, rnd(b));
	if (t & PERF_SAMPLE_CGROUP)
		want->cgroup = put64(b, rnd(b));
	if (t & PERF_SAMPLE_DATA_PAGE_SIZE)
		want->data_page_size = put64(b, rnd(b));
	if (t & PERF_SAMPLE_CODE_PAGE_SIZE)
		want->code_page_size = put64(b, rnd(b));
	if (t & PERF_SAMPLE_AUX) {
		want->aux.size = put64(b, (rnd(b) % 3) * 8);
		want->aux.data = here(b);
		put_bytes(b, want->aux.size);
	}
	hdr.size = (uint16_t)b->len;
	memcpy(b->buf, &hdr, sizeof(hdr));
}

/* Pointers into the built buffer, rebased onto the copy that was parsed. */
static const void *rebase(const void *p, const struct builder *b,
			  const void *copy)
{
	if (!p)
		return NULL;
	return (const uint8_t *)copy + ((const uint8_t *)p - (const uint8_t *)b->buf);
}

static int compare(const struct qz_sample *got, const struct qz_sample *w,
		   const struct builder *b, const void *copy)
{
	int before = test_failures;

	CHECK_EQ(got->type, w->type);
	CHECK_EQ(got->id, w->id);
	CHECK_EQ(got->ip, w->ip);
	CHECK_EQ(got->pid, w->pid);
	CHECK_EQ(got->tid, w->tid);
	CHECK_EQ(got->time, w->time);
	CHECK_EQ(got->addr, w->addr);
	CHECK_EQ(got->stream_id, w->stream_id);
	CHECK_EQ(got->cpu, w->cpu);
	CHECK_EQ(got->cpu_res, w->cpu_res);
	CHECK_EQ(got->period, w->period);
	CHECK_EQ(got->read.format, w->read.format);
	CHECK_EQ(got->read.nr, w->read.nr);
	CHECK_EQ(got->read.time_enabled, w->read.time_enabled);
	CHECK_EQ(got->read.time_running, w->read.time_running);
	CHECK(got->read.values == rebase(w->read.values, b, copy));
	CHECK_EQ(got->callchain_nr, w->callchain_nr);
	CHECK(got->callchain == rebase(w->callchain, b, copy));
	CHECK_EQ(got->raw_size, w->raw_size);
	CHECK(got->raw == rebase(w->raw, b, copy));
	CHECK_EQ(got->branch.nr, w->branch.nr);
	CHECK_EQ(got->branch.hw_idx, w->branch.hw_idx);
	CHECK(got->branch.entries == rebase(w->branch.entries, b, copy));
	CHECK(got->branch.counters == rebase(w->branch.counters, b, copy));
	CHECK_EQ(got->regs_user.abi, w->regs_user.abi);
	CHECK_EQ(got->regs_user.nr, w->regs_user.nr);
	CHECK(got->regs_user.regs == rebase(w->regs_user.regs, b, copy));
	CHECK_EQ(got->stack_user.size, w->stack_user.size);
	CHECK(got->stack_user.data == rebase(w->stack_user.data, b, copy));
	CHECK_EQ(got->stack_user.dyn_size, w->stack_user.dyn_size);
	CHECK_EQ(got->weight, w->weight);
	CHECK_EQ(got->data_src, w->data_src);
	CHECK_EQ(got->transaction, w->transaction);
	CHECK_EQ(got->regs_intr.abi, w->regs_intr.abi);
	CHECK_EQ(got->regs_intr.nr, w->regs_intr.nr);
	CHECK(got->regs_intr.regs == rebase(w->regs_intr.regs, b, copy));
	CHECK_EQ(got->phys_addr, w->phys_addr);
	CHECK_EQ(got->cgroup, w->cgroup);
	CHECK_EQ(got->data_page_size, w->data_page_size);
	CHECK_EQ(got->code_page_size, w->code_page_size);
	CHECK_EQ(got->aux.size, w->aux.size);
	CHECK(got->aux.data == rebase(w->aux.data, b, copy));
	return test_failures != before;
}

static uint64_t combos, layouts;

/* The fields a layout reads itself; past them qz_sample__parse reads all. */
#define LAYOUT_BITS ((uint64_t)(PERF_SAMPLE_RAW * 2 - 1) | PERF_SAMPLE_IDENTIFIER)

/* What a layout decoding type gives: want, with the other fields zero. */
static void keep_fields(struct qz_sample *w, uint64_t type)
{
	w->type = type;
	if (!(type & (PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_ID)))
		w->id = 0;
	if (!(type & PERF_SAMPLE_IP))
		w->ip = 0;
	if (!(type & PERF_SAMPLE_TID))
		w->pid = w->tid = 0;
	if (!(type & PERF_SAMPLE_TIME))
		w->time = 0;
	if (!(type & PERF_SAMPLE_ADDR))
		w->addr = 0;
	if (!(type & PERF_SAMPLE_STREAM_ID))
		w->stream_id = 0;
	if (!(type & PERF_SAMPLE_CPU))
		w->cpu = w->cpu_res = 0;
	if (!(type & PERF_SAMPLE_PERIOD))
		w->period = 0;
	if (!(type & PERF_SAMPLE_READ))
		memset(&w->read, 0, sizeof(w->read));
	if (!(type & PERF_SAMPLE_CALLCHAIN)) {
		w->callchain_nr = 0;
		w->callchain = NULL;
	}
	if (!(type & PERF_SAMPLE_RAW)) {
		w->raw_size = 0;
		w->raw = NULL;
	}
}

/*
 * Layouts for f, for all fields and for a random few: two records parsed
 * into one sample zeroed once give what the general parser gives, less
 * the fields not asked for (zero); then every truncation is refused. The
 * records come from their own builder, so the sample types the test
 * builds stay those it always built.
 */
static void check_layouts(const struct qz_sample_format *f)
{
	static struct builder lb = { .rng = 0x2545f4914f6cdd1dull };
	uint64_t t = f->sample_type;
	uint64_t fields[] = { ~0ull, rnd(&lb) & QZ_SAMPLE_KNOWN_BITS, 0 };

	for (size_t k = 0; k < ARRAY_SIZE(fields); k++) {
		struct qz_sample_layout *l = qz_sample_layout__new(f, fields[k]);
		uint64_t type = (t & ~LAYOUT_BITS) ? t : t & fields[k];
		struct qz_sample got, want, general;
		uint8_t *copy;
		int err;

		CHECK(l != NULL);
		if (!l)
			return;
		CHECK_EQ(qz_sample_layout__type(l), type);
		/* Zeroed once, padding included (compared whole), for both records. */
		memset(&got, 0, sizeof(got));
		got.sz = sizeof(got);
		for (int n = 0; n < 2; n++) {
			build(&lb, f, &want);
			keep_fields(&want, type);
			copy = malloc(lb.len);
			memcpy(copy, lb.buf, lb.len);
			err = qz_sample_layout__parse(l, (const void *)copy, &got);
			CHECK_EQ(err, 0);
			if (!err && compare(&got, &want, &lb, copy))
				fprintf(stderr, "  layout: sample_type 0x%" PRIx64 " fields 0x%" PRIx64
					" read_format 0x%" PRIx64 "\n", t, fields[k], f->read_format);
			/* and the general parser agrees on the fields asked for */
			general.sz = sizeof(general);
			CHECK_EQ(qz_sample__parse((const void *)copy, f, &general), 0);
			keep_fields(&general, type);
			CHECK(!memcmp(&general, &got, sizeof(got)));
			free(copy);
		}
		for (size_t len = sizeof(struct perf_event_header); len < lb.len; len += 4) {
			struct perf_event_header hdr;

			copy = malloc(len);
			memcpy(copy, lb.buf, len);
			memcpy(&hdr, copy, sizeof(hdr));
			hdr.size = (uint16_t)len;
			memcpy(copy, &hdr, sizeof(hdr));
			err = qz_sample_layout__parse(l, (const void *)copy, &got);
			if (err != -QZ_ERR_RECORD_SHORT) {
				fprintf(stderr, "layout: type 0x%" PRIx64 " fields 0x%" PRIx64
					" cut to %zu of %zu: %d\n", t, fields[k], len, lb.len, err);
				test_failures++;
			}
			free(copy);
		}
		qz_sample_layout__free(l);
		layouts++;
	}
}

/* Build, parse, compare; then every truncation must fail cleanly. */
static void check_type(struct builder *b, uint64_t type)
{
	struct qz_sample_format f = random_format(b, type);
	QZ_OPTS(qz_sample, got);
	struct qz_sample want;
	uint8_t *copy;
	int err;

	/* The kernel rejects WEIGHT together with WEIGHT_STRUCT; parse both
	 * anyway: they share one slot. */
	build(b, &f, &want);
	copy = malloc(b->len);
	memcpy(copy, b->buf, b->len);
	err = qz_sample__parse((const void *)copy, &f, &got);
	CHECK_EQ(err, 0);
	if (!err && compare(&got, &want, b, copy))
		fprintf(stderr, "  sample_type 0x%" PRIx64 " read_format 0x%" PRIx64 "\n",
			type, f.read_format);
	free(copy);
	combos++;

	for (size_t len = sizeof(struct perf_event_header); len < b->len; len += 4) {
		struct perf_event_header hdr;

		copy = malloc(len);
		memcpy(copy, b->buf, len);
		memcpy(&hdr, copy, sizeof(hdr));
		hdr.size = (uint16_t)len;
		memcpy(copy, &hdr, sizeof(hdr));
		err = qz_sample__parse((const void *)copy, &f, &got);
		if (err != -QZ_ERR_RECORD_SHORT) {
			fprintf(stderr, "type 0x%" PRIx64 " cut to %zu of %zu: %d\n",
				type, len, b->len, err);
			test_failures++;
		}
		free(copy);
	}
	check_layouts(&f);
}

static void test_known_bits(void)
{
	uint64_t all = (uint64_t)PERF_SAMPLE_MAX - 1;

	if (all & ~QZ_SAMPLE_KNOWN_BITS)
		fprintf(stderr, "unknown PERF_SAMPLE bits 0x%" PRIx64 ": teach sample.c\n",
			all & ~QZ_SAMPLE_KNOWN_BITS);
	CHECK_EQ(all & ~QZ_SAMPLE_KNOWN_BITS, 0);
	CHECK_EQ(QZ_SAMPLE_KNOWN_BITS & ~all, 0);
}

static void test_combinations(void)
{
	static struct builder b = { .rng = 0x9e3779b97f4a7c15ull };
	uint64_t all = QZ_SAMPLE_KNOWN_BITS;
	int nbits = 64 - __builtin_clzll(all);

	combos = 0;
	check_type(&b, 0);
	for (int i = 0; i < nbits; i++)
		check_type(&b, 1ull << i);
	for (int i = 0; i < nbits; i++)
		for (int j = i + 1; j < nbits; j++)
			check_type(&b, (1ull << i) | (1ull << j));
	for (int n = 0; n < 4000; n++)
		check_type(&b, rnd(&b) & all);
	for (int n = 0; n < 50; n++)
		check_type(&b, all);
	fprintf(stderr, "  %" PRIu64 " sample types parsed, %" PRIu64 " layouts\n", combos,
		layouts);
	CHECK(combos > 4000);
	CHECK_EQ(layouts, combos * 3);
}

static void test_read_entries(void)
{
	/* Group: nr=2, ena, run, {v, id, lost} x 2 */
	uint64_t rec[2 + 3 + 6] = { 0 };
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE,
					 .size = sizeof(rec) - 8 };
	struct qz_sample_format f = {
		.sample_type = PERF_SAMPLE_READ,
		.read_format = PERF_FORMAT_GROUP | PERF_FORMAT_ID | PERF_FORMAT_LOST |
			       PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
	};
	uint64_t words[] = { 2, 100, 50, 7, 70, 1, 8, 80, 2 };
	QZ_OPTS(qz_sample, s);
	uint64_t v, id, lost;

	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + 1, words, sizeof(words));
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &s), 0);
	CHECK_EQ(s.read.nr, 2);
	CHECK_EQ(s.read.time_enabled, 100);
	CHECK_EQ(qz_sample__read_entry(&s, 1, &v, &id, &lost), 0);
	CHECK_EQ(v, 8);
	CHECK_EQ(id, 80);
	CHECK_EQ(lost, 2);
	CHECK_EQ(qz_sample__read_entry(&s, 2, &v, &id, &lost), -ENOENT);

	/* Single: value, ena, run, id, lost. */
	f.read_format &= ~(uint64_t)PERF_FORMAT_GROUP;
	uint64_t single[] = { 42, 10, 5, 99, 3 };
	hdr.size = 8 + sizeof(single);
	memcpy(rec, &hdr, sizeof(hdr));
	memcpy(rec + 1, single, sizeof(single));
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &s), 0);
	CHECK_EQ(qz_sample__read_entry(&s, 0, &v, &id, &lost), 0);
	CHECK_EQ(v, 42);
	CHECK_EQ(id, 99);
	CHECK_EQ(lost, 3);
	CHECK_EQ(s.read.time_running, 5);
}

/* sz: too small is refused; a newer caller's tail is zeroed, sz kept. */
static void test_sz(void)
{
	uint64_t rec[4] = { 0 };
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE,
					 .size = 8 + 16 };
	struct qz_sample_format f = {
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TIME,
	};
	struct {
		struct qz_sample s;
		uint64_t later[3];
	} newer;
	QZ_OPTS(qz_sample, s);

	memcpy(rec, &hdr, sizeof(hdr));
	rec[1] = 0x1234;
	rec[2] = 99;
	s.sz = 0;
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &s), -EINVAL);
	s.sz = offsetof(struct qz_sample, aux);
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &s), -EINVAL);

	memset(&newer, 0xa5, sizeof(newer));
	newer.s.sz = sizeof(newer);
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &newer.s), 0);
	CHECK_EQ(newer.s.sz, sizeof(newer));
	CHECK_EQ(newer.s.ip, 0x1234);
	CHECK_EQ(newer.s.time, 99);
	CHECK_EQ(newer.s.tid, 0);
	CHECK(newer.s.raw == NULL);
	CHECK_EQ(newer.later[0] | newer.later[1] | newer.later[2], 0);

	s.sz = sizeof(s);
	CHECK_EQ(qz_sample__parse((void *)rec, &f, &s), 0);
	CHECK_EQ(s.sz, sizeof(s));
	CHECK_EQ(s.ip, 0x1234);
}

/* Layouts: other records are not samples; a newer caller's sz is kept. */
static void test_layout_edges(void)
{
	uint64_t rec[4] = { 0 };
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE, .size = 8 + 16 };
	struct qz_sample_format f = {
		.sample_type = PERF_SAMPLE_IP | PERF_SAMPLE_TIME,
	};
	struct qz_sample_layout *l = qz_sample_layout__new(&f, PERF_SAMPLE_TIME);
	struct {
		struct qz_sample s;
		uint64_t later[3];
	} newer;
	QZ_OPTS(qz_sample, s);

	CHECK(l != NULL);
	if (!l)
		return;
	memcpy(rec, &hdr, sizeof(hdr));
	rec[1] = 0x1234;
	rec[2] = 99;
	CHECK_EQ(qz_sample_layout__parse(l, (void *)rec, &s), 0);
	CHECK_EQ(s.time, 99);
	CHECK_EQ(s.ip, 0);
	CHECK_EQ(s.type, PERF_SAMPLE_TIME);

	memset(&newer, 0xa5, sizeof(newer));
	newer.s.sz = sizeof(newer);
	CHECK_EQ(qz_sample_layout__parse(l, (void *)rec, &newer.s), 0);
	CHECK_EQ(newer.s.sz, sizeof(newer));
	CHECK_EQ(newer.s.time, 99);
	CHECK_EQ(newer.later[0] | newer.later[1] | newer.later[2], 0);
	s.sz = 0;
	CHECK_EQ(qz_sample_layout__parse(l, (void *)rec, &s), -EINVAL);

	s.sz = sizeof(s);
	hdr.type = PERF_RECORD_COMM;
	memcpy(rec, &hdr, sizeof(hdr));
	CHECK_EQ(qz_sample_layout__parse(l, (void *)rec, &s), -ENOTSUP);
	qz_sample_layout__free(l);
	qz_sample_layout__free(NULL);
	CHECK_EQ(qz_sample_layout__type(NULL), 0);
	errno = 0;
	CHECK(qz_sample_layout__new(NULL, ~0ull) == NULL);
	CHECK_EQ(errno, EINVAL);
}

int main(void)
{
	RUN(test_known_bits);
	RUN(test_combinations);
	RUN(test_read_entries);
	RUN(test_sz);
	RUN(test_layout_edges);
	return test_result();
}
