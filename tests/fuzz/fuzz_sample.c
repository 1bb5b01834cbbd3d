// SPDX-License-Identifier: MIT
/*
 * Arbitrary bytes as a PERF_RECORD_SAMPLE: the first 12 pick its format
 * (sample_type, read_format, branch and register masks) and the fields a
 * sample layout is asked for; the rest is the record, in an exact-size
 * block, its header's size set to it. The general parser and the layout
 * must stay inside it, refuse the same records, and agree on every field
 * the layout reads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/event.h>

/* The general parser's sample, less the fields the layout does not read. */
static void keep_fields(struct qz_sample *w, uint64_t type)
{
	static const struct {
		uint64_t bits;
		size_t off, len;
	} fields[] = {
#define F(bits, a, b) { bits, offsetof(struct qz_sample, a), \
			offsetof(struct qz_sample, b) + sizeof(((struct qz_sample *)0)->b) - \
			offsetof(struct qz_sample, a) }
		F(PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_ID, id, id),
		F(PERF_SAMPLE_IP, ip, ip),
		F(PERF_SAMPLE_TID, pid, tid),
		F(PERF_SAMPLE_TIME, time, time),
		F(PERF_SAMPLE_ADDR, addr, addr),
		F(PERF_SAMPLE_STREAM_ID, stream_id, stream_id),
		F(PERF_SAMPLE_CPU, cpu, cpu_res),
		F(PERF_SAMPLE_PERIOD, period, period),
		F(PERF_SAMPLE_READ, read, read),
		F(PERF_SAMPLE_CALLCHAIN, callchain_nr, callchain),
		F(PERF_SAMPLE_RAW, raw_size, raw),
#undef F
	};

	w->type = type;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!(type & fields[i].bits))
			memset((char *)w + fields[i].off, 0, fields[i].len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct perf_event_header hdr = { .type = PERF_RECORD_SAMPLE };
	struct qz_sample_format f = { 0 };
	struct qz_sample_layout *l;
	struct qz_sample general, got;
	uint32_t t, fields;
	uint8_t *rec;
	int ge, le;

	if (size < 12 + sizeof(hdr))
		return 0;
	memcpy(&t, data, 4);
	f.sample_type = t & QZ_SAMPLE_KNOWN_BITS;
	f.read_format = data[4] & 0x1f;
	f.branch_sample_type = (data[5] & 1) ? PERF_SAMPLE_BRANCH_HW_INDEX : 0;
	f.sample_regs_user = data[6];
	f.sample_regs_intr = data[7];
	memcpy(&fields, data + 8, 4);
	data += 12;
	size -= 12;
	if (size > UINT16_MAX)
		size = UINT16_MAX;
	l = qz_sample_layout__new(&f, (fields & 1) ? ~0ull : fields);
	rec = malloc(size);
	if (!l || !rec)
		abort();
	memcpy(rec, data, size);
	hdr.size = (uint16_t)size;
	memcpy(rec, &hdr, sizeof(hdr));

	memset(&general, 0, sizeof(general));
	general.sz = sizeof(general);
	memset(&got, 0, sizeof(got));
	got.sz = sizeof(got);
	ge = qz_sample__parse((const void *)rec, &f, &general);
	le = qz_sample_layout__parse(l, (const void *)rec, &got);
	if (ge != le)
		abort();
	if (!ge) {
		keep_fields(&general, qz_sample_layout__type(l));
		if (memcmp(&general, &got, sizeof(got)))
			abort();
	}
	qz_sample_layout__free(l);
	free(rec);
	return 0;
}
