/* SPDX-License-Identifier: MIT */
/*
 * Records from the rings, parsed: PERF_RECORD_SAMPLE (struct qz_sample,
 * laid out as a struct qz_sample_format says) and the other kernel
 * records (struct qz_record).
 */
#ifndef QUAZAR_EVENT_H
#define QUAZAR_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How records were laid out: as the event's attr asked. */
struct qz_sample_format {
	uint64_t sample_type;
	uint64_t read_format;
	uint64_t branch_sample_type;
	uint64_t sample_regs_user;
	uint64_t sample_regs_intr;
	bool sample_id_all;
};

QZ_API struct qz_sample_format qz_sample_format__from_attr(
	const struct perf_event_attr *attr);

/*
 * A parsed PERF_RECORD_SAMPLE (or the sample_id trailer of another record).
 * Fields whose bit is not in `type` are zero. Pointers are borrowed from
 * the record and are 8-byte aligned when the record is. The caller sets
 * sz (see QZ_OPTS); the parsers keep it.
 */
struct qz_sample {
	size_t sz;		/* the caller's sizeof (QZ_OPTS) */
	uint64_t type;		/* the sample_type it was parsed with */
	uint64_t id;		/* IDENTIFIER, else ID */
	uint64_t ip;
	uint32_t pid, tid;
	uint64_t time;
	uint64_t addr;
	uint64_t stream_id;
	uint32_t cpu, cpu_res;
	uint64_t period;
	struct {
		uint64_t format;	/* read_format */
		uint64_t time_enabled, time_running;
		uint64_t nr;		/* entries in values */
		const uint64_t *values;	/* nr x {value, [id], [lost]} */
	} read;
	uint64_t callchain_nr;
	const uint64_t *callchain;
	uint32_t raw_size;
	const void *raw;
	struct {
		uint64_t nr;
		uint64_t hw_idx;	/* with PERF_SAMPLE_BRANCH_HW_INDEX */
		const struct perf_branch_entry *entries;
		const uint64_t *counters; /* QZ_SAMPLE_BRANCH_COUNTERS */
	} branch;
	struct {
		uint64_t abi;		/* 0: no regs */
		uint32_t nr;
		const uint64_t *regs;	/* nr, in mask bit order */
	} regs_user, regs_intr;
	struct {
		uint64_t size;
		const void *data;
		uint64_t dyn_size;
	} stack_user;
	uint64_t weight;	/* WEIGHT, or WEIGHT_STRUCT's whole u64 */
	uint64_t data_src;
	uint64_t transaction;
	uint64_t phys_addr;
	uint64_t cgroup;
	uint64_t data_page_size;
	uint64_t code_page_size;
	struct {
		uint64_t size;
		const void *data;
	} aux;
};

/* Every PERF_SAMPLE_* bit qz_sample__parse knows. */
/*
 * perf_event_attr.branch_sample_type's PERF_SAMPLE_BRANCH_COUNTERS (Linux
 * 6.8): one u64 of counters per branch entry follows the entries. It is an
 * enum constant, so older headers cannot be tested for it with #ifdef: the
 * ABI value is spelled out here.
 */
#define QZ_SAMPLE_BRANCH_COUNTERS (1ull << 19)

#define QZ_SAMPLE_KNOWN_BITS                                                   \
	((uint64_t)(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |      \
		    PERF_SAMPLE_ADDR | PERF_SAMPLE_READ |                      \
		    PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_ID | PERF_SAMPLE_CPU | \
		    PERF_SAMPLE_PERIOD | PERF_SAMPLE_STREAM_ID |               \
		    PERF_SAMPLE_RAW | PERF_SAMPLE_BRANCH_STACK |               \
		    PERF_SAMPLE_REGS_USER | PERF_SAMPLE_STACK_USER |           \
		    PERF_SAMPLE_WEIGHT | PERF_SAMPLE_DATA_SRC |                \
		    PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TRANSACTION |         \
		    PERF_SAMPLE_REGS_INTR | PERF_SAMPLE_PHYS_ADDR |            \
		    PERF_SAMPLE_AUX | PERF_SAMPLE_CGROUP |                     \
		    PERF_SAMPLE_DATA_PAGE_SIZE | PERF_SAMPLE_CODE_PAGE_SIZE |  \
		    PERF_SAMPLE_WEIGHT_STRUCT))

/*
 * Parse a PERF_RECORD_SAMPLE, or the sample_id trailer of any other kernel
 * record (when fmt->sample_id_all). -QZ_ERR_RECORD_SHORT when the record
 * ends before its fields do: nothing past rec->size is ever read. -EINVAL
 * when sample->sz is too small.
 */
QZ_API int qz_sample__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_sample *sample);
/* Read entry i of sample->read: value, and id/lost when the format has them. */
QZ_API int qz_sample__read_entry(const struct qz_sample *sample, uint64_t i,
				 uint64_t *value, uint64_t *id, uint64_t *lost);

/*
 * A sample layout: where the fields of one event's samples sit, worked out
 * once from its format (when the event is opened) for the fields a reader
 * wants. Parsing a sample through it is one size check and one 8-byte copy
 * per wanted field at a fixed offset, with no walk over sample_type and no
 * clearing of struct qz_sample; READ, CALLCHAIN and RAW, whose sizes vary,
 * are stepped over with every read bounded, as qz_sample__parse does.
 * Formats with fields past RAW (branch stack, registers, user stack, ...)
 * are read by qz_sample__parse. Opaque; owned by the caller.
 */
struct qz_sample_layout;

/*
 * A layout for records of fmt, decoding the fields (PERF_SAMPLE_* bits) the
 * reader wants: ~0ull for all of them. NULL + errno.
 */
QZ_API struct qz_sample_layout *
qz_sample_layout__new(const struct qz_sample_format *fmt, uint64_t fields);
QZ_API void qz_sample_layout__free(struct qz_sample_layout *layout);
/*
 * The bits a parse puts in sample->type and fills: fmt's sample_type and
 * fields, or all of fmt's when qz_sample__parse reads the records.
 */
QZ_API uint64_t qz_sample_layout__type(const struct qz_sample_layout *layout);
/*
 * Parse a PERF_RECORD_SAMPLE through its event's layout. Only the fields of
 * qz_sample_layout__type() and sample->type are written; the others are
 * left as they were, so a sample zeroed once (QZ_OPTS) and parsed through
 * one layout only keeps them zero. The same records are refused as by
 * qz_sample__parse, whichever fields are wanted: -QZ_ERR_RECORD_SHORT when
 * the record ends before its fields do (nothing past rec->size is read);
 * -ENOTSUP for a record that is not a sample.
 */
QZ_API int qz_sample_layout__parse(const struct qz_sample_layout *layout,
				   const struct perf_event_header *rec,
				   struct qz_sample *sample);

/*
 * The other kernel records, parsed. Strings are borrowed from the record.
 * The caller sets sz, as for struct qz_sample; the parser sets id's.
 */
struct qz_record {
	size_t sz;		/* the caller's sizeof (QZ_OPTS) */
	uint32_t type;		/* PERF_RECORD_* */
	uint16_t misc;
	union {
		struct { uint64_t id, lost; } lost;		/* LOST */
		struct { uint64_t lost; } lost_samples;	/* LOST_SAMPLES */
		struct { uint64_t time, id, stream_id; } throttle; /* (UN)THROTTLE */
		struct {
			uint32_t pid, tid;
			const char *comm;
			bool exec;
		} comm;
		struct { uint32_t pid, ppid, tid, ptid; uint64_t time; } task; /* FORK, EXIT */
		struct {
			uint32_t pid, tid;
			uint64_t addr, len, pgoff;
			bool has_build_id;
			uint32_t maj, min;
			uint64_t ino, ino_generation;
			uint8_t build_id_size;
			const uint8_t *build_id;
			uint32_t prot, flags;
			const char *filename;
		} mmap2;
	};
	struct qz_sample id;	/* the sample_id trailer */
};

/*
 * Parse LOST, LOST_SAMPLES, THROTTLE, UNTHROTTLE, COMM, FORK, EXIT and
 * MMAP2 (with their sample_id trailer). -ENOTSUP for other types,
 * -QZ_ERR_RECORD_SHORT for a truncated one, -EINVAL when out->sz is too
 * small.
 */
QZ_API int qz_record__parse(const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt,
			    struct qz_record *out);

#ifdef __cplusplus
}
#endif

#endif
