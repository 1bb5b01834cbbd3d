// SPDX-License-Identifier: MIT
/*
 * PERF_RECORD_SAMPLE and the other kernel records, parsed in the order
 * <linux/perf_event.h> documents. Every read is checked against the
 * record's size first; fields are copied with memcpy so a record at any
 * alignment is safe to parse.
 */
#include <errno.h>
#include <string.h>
#include "perf_internal.h"

struct cursor {
	const uint8_t *p, *end;
};

static bool need(const struct cursor *c, uint64_t len)
{
	return (uint64_t)(c->end - c->p) >= len;
}

static int u64(struct cursor *c, uint64_t *v)
{
	if (!need(c, 8))
		return -QZ_ERR_RECORD_SHORT;
	memcpy(v, c->p, 8);
	c->p += 8;
	return 0;
}

static int u32x2(struct cursor *c, uint32_t *a, uint32_t *b)
{
	if (!need(c, 8))
		return -QZ_ERR_RECORD_SHORT;
	memcpy(a, c->p, 4);
	memcpy(b, c->p + 4, 4);
	c->p += 8;
	return 0;
}

/* Take len bytes (len counted in units of size) and return where they are. */
static int take(struct cursor *c, uint64_t nr, uint64_t size, const void **at)
{
	if (size && nr > UINT64_MAX / size)
		return -QZ_ERR_RECORD_SHORT;
	if (!need(c, nr * size))
		return -QZ_ERR_RECORD_SHORT;
	*at = c->p;
	c->p += nr * size;
	return 0;
}

#define TRY(expr)                  \
	do {                       \
		int _e = (expr);   \
		if (_e)            \
			return _e; \
	} while (0)

QZ_API struct qz_sample_format
qz_sample_format__from_attr(const struct perf_event_attr *attr)
{
	return (struct qz_sample_format){
		.sample_type = attr->sample_type,
		.read_format = attr->read_format,
		.branch_sample_type = attr->branch_sample_type,
		.sample_regs_user = attr->sample_regs_user,
		.sample_regs_intr = attr->sample_regs_intr,
		.sample_id_all = attr->sample_id_all,
	};
}

static int parse_read(struct cursor *c, uint64_t fmt, struct qz_sample *s)
{
	uint64_t per =
		1 + !!(fmt & PERF_FORMAT_ID) + !!(fmt & PERF_FORMAT_LOST);
	const void *at;

	s->read.format = fmt;
	if (fmt & PERF_FORMAT_GROUP) {
		TRY(u64(c, &s->read.nr));
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			TRY(u64(c, &s->read.time_enabled));
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			TRY(u64(c, &s->read.time_running));
		if (s->read.nr > (uint64_t)(c->end - c->p) / 8)
			return -QZ_ERR_RECORD_SHORT;
		TRY(take(c, s->read.nr, per * 8, &at));
		s->read.values = at;
		return 0;
	}
	/* value, [enabled], [running], [id], [lost]: values points at value
	 * only when id/lost follow it directly, so copy them apart. */
	s->read.nr = 1;
	TRY(take(c, 1, 8, &at));
	s->read.values = at;
	if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
		TRY(u64(c, &s->read.time_enabled));
	if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
		TRY(u64(c, &s->read.time_running));
	TRY(take(c, per - 1, 8, &at));
	return 0;
}

int qz__sample_parse_read(const uint8_t **p, const uint8_t *end,
			  uint64_t read_format, struct qz_sample *s)
{
	struct cursor c = { *p, end };
	int err = parse_read(&c, read_format, s);

	*p = c.p;
	return err;
}

QZ_API int qz_sample__read_entry(const struct qz_sample *s, uint64_t i,
				 uint64_t *value, uint64_t *id, uint64_t *lost)
{
	uint64_t fmt = s->read.format;
	const uint8_t *p = (const void *)s->read.values;
	uint64_t v[3] = {0};
	int n = 1 + !!(fmt & PERF_FORMAT_ID) + !!(fmt & PERF_FORMAT_LOST);

	if (!p || i >= s->read.nr)
		return -ENOENT;
	if (fmt & PERF_FORMAT_GROUP) {
		memcpy(v, p + i * (uint64_t)n * 8, (size_t)n * 8);
	} else {
		/* value, then skip enabled/running to reach id and lost. */
		int skip = !!(fmt & PERF_FORMAT_TOTAL_TIME_ENABLED) +
			   !!(fmt & PERF_FORMAT_TOTAL_TIME_RUNNING);

		memcpy(&v[0], p, 8);
		if (n > 1)
			memcpy(&v[1], p + 8 + skip * 8, (size_t)(n - 1) * 8);
	}
	if (value)
		*value = v[0];
	if (id)
		*id = (fmt & PERF_FORMAT_ID) ? v[1] : 0;
	if (lost)
		*lost = (fmt & PERF_FORMAT_LOST)
				? v[(fmt & PERF_FORMAT_ID) ? 2 : 1]
				: 0;
	return 0;
}

static int parse_regs(struct cursor *c, uint64_t mask, uint64_t *abi,
		      uint32_t *nr, const uint64_t **regs)
{
	const void *at;

	TRY(u64(c, abi));
	if (!*abi)
		return 0;
	*nr = (uint32_t)__builtin_popcountll(mask);
	TRY(take(c, *nr, 8, &at));
	*regs = at;
	return 0;
}

static int parse_sample(struct cursor *c, const struct qz_sample_format *f,
			struct qz_sample *s)
{
	uint64_t t = f->sample_type;
	const void *at;

	if (t & PERF_SAMPLE_IDENTIFIER)
		TRY(u64(c, &s->id));
	if (t & PERF_SAMPLE_IP)
		TRY(u64(c, &s->ip));
	if (t & PERF_SAMPLE_TID)
		TRY(u32x2(c, &s->pid, &s->tid));
	if (t & PERF_SAMPLE_TIME)
		TRY(u64(c, &s->time));
	if (t & PERF_SAMPLE_ADDR)
		TRY(u64(c, &s->addr));
	if (t & PERF_SAMPLE_ID)
		TRY(u64(c, &s->id));
	if (t & PERF_SAMPLE_STREAM_ID)
		TRY(u64(c, &s->stream_id));
	if (t & PERF_SAMPLE_CPU)
		TRY(u32x2(c, &s->cpu, &s->cpu_res));
	if (t & PERF_SAMPLE_PERIOD)
		TRY(u64(c, &s->period));
	if (t & PERF_SAMPLE_READ)
		TRY(parse_read(c, f->read_format, s));
	if (t & PERF_SAMPLE_CALLCHAIN) {
		TRY(u64(c, &s->callchain_nr));
		TRY(take(c, s->callchain_nr, 8, &at));
		s->callchain = at;
	}
	if (t & PERF_SAMPLE_RAW) {
		if (!need(c, 4))
			return -QZ_ERR_RECORD_SHORT;
		memcpy(&s->raw_size, c->p, 4);
		c->p += 4;
		TRY(take(c, s->raw_size, 1, &at));
		s->raw = at;
	}
	/* Most samples end here: skip testing the rarer bits one by one. */
	if (!(t & ~((PERF_SAMPLE_RAW * 2 - 1) | PERF_SAMPLE_IDENTIFIER)))
		return 0;
	if (t & PERF_SAMPLE_BRANCH_STACK) {
		TRY(u64(c, &s->branch.nr));
		if (f->branch_sample_type & PERF_SAMPLE_BRANCH_HW_INDEX)
			TRY(u64(c, &s->branch.hw_idx));
		TRY(take(c, s->branch.nr, sizeof(struct perf_branch_entry),
			 &at));
		s->branch.entries = at;
		if (f->branch_sample_type & QZ_SAMPLE_BRANCH_COUNTERS) {
			TRY(take(c, s->branch.nr, 8, &at));
			s->branch.counters = at;
		}
	}
	if (t & PERF_SAMPLE_REGS_USER)
		TRY(parse_regs(c, f->sample_regs_user, &s->regs_user.abi,
			       &s->regs_user.nr, &s->regs_user.regs));
	if (t & PERF_SAMPLE_STACK_USER) {
		TRY(u64(c, &s->stack_user.size));
		TRY(take(c, s->stack_user.size, 1, &at));
		s->stack_user.data = at;
		if (s->stack_user.size)
			TRY(u64(c, &s->stack_user.dyn_size));
	}
	if (t & (PERF_SAMPLE_WEIGHT | PERF_SAMPLE_WEIGHT_STRUCT))
		TRY(u64(c, &s->weight));
	if (t & PERF_SAMPLE_DATA_SRC)
		TRY(u64(c, &s->data_src));
	if (t & PERF_SAMPLE_TRANSACTION)
		TRY(u64(c, &s->transaction));
	if (t & PERF_SAMPLE_REGS_INTR)
		TRY(parse_regs(c, f->sample_regs_intr, &s->regs_intr.abi,
			       &s->regs_intr.nr, &s->regs_intr.regs));
	if (t & PERF_SAMPLE_PHYS_ADDR)
		TRY(u64(c, &s->phys_addr));
	if (t & PERF_SAMPLE_CGROUP)
		TRY(u64(c, &s->cgroup));
	if (t & PERF_SAMPLE_DATA_PAGE_SIZE)
		TRY(u64(c, &s->data_page_size));
	if (t & PERF_SAMPLE_CODE_PAGE_SIZE)
		TRY(u64(c, &s->code_page_size));
	if (t & PERF_SAMPLE_AUX) {
		TRY(u64(c, &s->aux.size));
		TRY(take(c, s->aux.size, 1, &at));
		s->aux.data = at;
	}
	return 0;
}

/* The sample_id trailer: TID, TIME, ID, STREAM_ID, CPU, IDENTIFIER. */
static size_t id_trailer_size(uint64_t t)
{
	return 8 *
	       (size_t)(!!(t & PERF_SAMPLE_TID) + !!(t & PERF_SAMPLE_TIME) +
			!!(t & PERF_SAMPLE_ID) + !!(t & PERF_SAMPLE_STREAM_ID) +
			!!(t & PERF_SAMPLE_CPU) +
			!!(t & PERF_SAMPLE_IDENTIFIER));
}

static int parse_id_trailer(const struct perf_event_header *rec,
			    const struct qz_sample_format *f,
			    struct qz_sample *s, size_t body)
{
	uint64_t t = f->sample_type;
	size_t len = id_trailer_size(t);
	struct cursor c;

	if (!f->sample_id_all || rec->type >= PERF_RECORD_MAX)
		return 0;
	if (rec->size < sizeof(*rec) + body + len)
		return -QZ_ERR_RECORD_SHORT;
	c.p = (const uint8_t *)rec + rec->size - len;
	c.end = (const uint8_t *)rec + rec->size;
	if (t & PERF_SAMPLE_TID)
		TRY(u32x2(&c, &s->pid, &s->tid));
	if (t & PERF_SAMPLE_TIME)
		TRY(u64(&c, &s->time));
	if (t & PERF_SAMPLE_ID)
		TRY(u64(&c, &s->id));
	if (t & PERF_SAMPLE_STREAM_ID)
		TRY(u64(&c, &s->stream_id));
	if (t & PERF_SAMPLE_CPU)
		TRY(u32x2(&c, &s->cpu, &s->cpu_res));
	if (t & PERF_SAMPLE_IDENTIFIER)
		TRY(u64(&c, &s->id));
	return 0;
}

/*
 * Zero in 64-byte pieces: for the whole struct gcc emits `rep stos`, whose
 * start-up cost is a sixth of parsing a typical sample. sz included, for
 * aligned stores: the caller puts it back.
 */
static void zero_sample(struct qz_sample *sample)
{
	char *p = (char *)sample;
	size_t n = sizeof(*sample);

	for (; n >= 64; p += 64, n -= 64)
		memset(p, 0, 64);
	memset(p, 0, n);
}

/* The first struct qz_sample and struct qz_record callers can have. */
#define SAMPLE_SZ_V1 QZ_OFFSETOFEND(struct qz_sample, aux)
#define RECORD_SZ_V1 QZ_OFFSETOFEND(struct qz_record, id)

/*
 * A caller built against another struct qz_sample: parse into ours and
 * copy out what its sz covers. Cold, or gcc splits qz_sample__parse in two
 * around the test, which costs more than the test.
 */
static __attribute__((noinline, cold)) int
parse_sample_sized(const struct perf_event_header *rec,
		   const struct qz_sample_format *fmt, struct qz_sample *sample)
{
	struct qz_sample own = { .sz = sizeof(own) };
	int err;

	if (sample->sz < SAMPLE_SZ_V1)
		return -EINVAL;
	err = qz_sample__parse(rec, fmt, &own);
	qz__copy_sized(sample, &own, sizeof(own));
	return err;
}

QZ_API int qz_sample__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_sample *sample)
{
	struct cursor c;

	/* The one test sz costs per sample: callers built with this header. */
	if (sample->sz != sizeof(*sample))
		return parse_sample_sized(rec, fmt, sample);
	zero_sample(sample);
	sample->sz = sizeof(*sample);
	if (rec->size < sizeof(*rec))
		return -QZ_ERR_RECORD_SHORT;
	if (rec->type != PERF_RECORD_SAMPLE) {
		sample->type =
			fmt->sample_id_all
				? fmt->sample_type &
					  (PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
					   PERF_SAMPLE_ID |
					   PERF_SAMPLE_STREAM_ID |
					   PERF_SAMPLE_CPU |
					   PERF_SAMPLE_IDENTIFIER)
				: 0;
		return parse_id_trailer(rec, fmt, sample, 0);
	}
	sample->type = fmt->sample_type;
	c.p = (const uint8_t *)(rec + 1);
	c.end = (const uint8_t *)rec + rec->size;
	return parse_sample(&c, fmt, sample);
}

/* A NUL-terminated string within [p, end), or NULL. */
static const char *str_in(const uint8_t *p, const uint8_t *end)
{
	return p < end && memchr(p, '\0', (size_t)(end - p)) ? (const char *)p
							     : NULL;
}

/* As parse_sample_sized, for struct qz_record. */
static int parse_record_sized(const struct perf_event_header *rec,
			      const struct qz_sample_format *fmt,
			      struct qz_record *out)
{
	struct qz_record own = { .sz = sizeof(own) };
	int err;

	if (out->sz < RECORD_SZ_V1)
		return -EINVAL;
	err = qz_record__parse(rec, fmt, &own);
	qz__copy_sized(out, &own, sizeof(own));
	return err;
}

QZ_API int qz_record__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_record *out)
{
	const uint8_t *body = (const uint8_t *)(rec + 1);
	size_t trailer, len;
	struct cursor c;
	int err;

	if (out->sz != sizeof(*out))
		return parse_record_sized(rec, fmt, out);
	memset(out, 0, sizeof(*out));
	out->sz = sizeof(*out);
	out->id.sz = sizeof(out->id);
	if (rec->size < sizeof(*rec))
		return -QZ_ERR_RECORD_SHORT;
	out->type = rec->type;
	out->misc = rec->misc;
	trailer = fmt->sample_id_all ? id_trailer_size(fmt->sample_type) : 0;
	if (rec->size < sizeof(*rec) + trailer)
		return -QZ_ERR_RECORD_SHORT;
	len = rec->size - sizeof(*rec) - trailer;
	c.p = body;
	c.end = body + len;

	switch (rec->type) {
	case PERF_RECORD_LOST:
		TRY(u64(&c, &out->lost.id));
		TRY(u64(&c, &out->lost.lost));
		break;
	case PERF_RECORD_LOST_SAMPLES:
		TRY(u64(&c, &out->lost_samples.lost));
		break;
	case PERF_RECORD_THROTTLE:
	case PERF_RECORD_UNTHROTTLE:
		TRY(u64(&c, &out->throttle.time));
		TRY(u64(&c, &out->throttle.id));
		TRY(u64(&c, &out->throttle.stream_id));
		break;
	case PERF_RECORD_COMM:
		TRY(u32x2(&c, &out->comm.pid, &out->comm.tid));
		out->comm.comm = str_in(c.p, c.end);
		if (!out->comm.comm)
			return -QZ_ERR_RECORD_SHORT;
		out->comm.exec = rec->misc & PERF_RECORD_MISC_COMM_EXEC;
		break;
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		TRY(u32x2(&c, &out->task.pid, &out->task.ppid));
		TRY(u32x2(&c, &out->task.tid, &out->task.ptid));
		TRY(u64(&c, &out->task.time));
		break;
	case PERF_RECORD_MMAP2:
		TRY(u32x2(&c, &out->mmap2.pid, &out->mmap2.tid));
		TRY(u64(&c, &out->mmap2.addr));
		TRY(u64(&c, &out->mmap2.len));
		TRY(u64(&c, &out->mmap2.pgoff));
		if (rec->misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
			/* u8 size, u8 reserved[3], u8 build_id[20] */
			if (!need(&c, 24))
				return -QZ_ERR_RECORD_SHORT;
			out->mmap2.has_build_id = true;
			out->mmap2.build_id_size = c.p[0] > 20 ? 20 : c.p[0];
			out->mmap2.build_id = c.p + 4;
			c.p += 24;
		} else {
			TRY(u32x2(&c, &out->mmap2.maj, &out->mmap2.min));
			TRY(u64(&c, &out->mmap2.ino));
			TRY(u64(&c, &out->mmap2.ino_generation));
		}
		TRY(u32x2(&c, &out->mmap2.prot, &out->mmap2.flags));
		out->mmap2.filename = str_in(c.p, c.end);
		if (!out->mmap2.filename)
			return -QZ_ERR_RECORD_SHORT;
		break;
	default:
		return -ENOTSUP;
	}
	err = parse_id_trailer(rec, fmt, &out->id, 0);
	if (!err)
		out->id.type =
			fmt->sample_id_all
				? fmt->sample_type &
					  (PERF_SAMPLE_TID | PERF_SAMPLE_TIME |
					   PERF_SAMPLE_ID |
					   PERF_SAMPLE_STREAM_ID |
					   PERF_SAMPLE_CPU |
					   PERF_SAMPLE_IDENTIFIER)
				: 0;
	return err;
}
