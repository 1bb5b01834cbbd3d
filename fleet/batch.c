// SPDX-License-Identifier: MIT
/*
 * The batch's buffers, and TabSeparated values written the way ClickHouse
 * reads them: backslash escapes for the characters that would end a field,
 * a row or a quoted array item.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"

#define ENV "host, collector, seq, interval_start, interval_end, "

/* Keep in step with deploy/clickhouse/schema.sql (the e2e test inserts all). */
const struct qz_fleet_table_def qz_fleet_tables[QZ_FT_NR] = {
	[QZ_FT_REPORTS] = { "reports", ENV "type, ts, label_keys, label_values, "
			    "bytes, kafka_partition, kafka_offset" },
	[QZ_FT_STAT] = { "stat", ENV "event, per_cpu, cpu, value, scaled, running_pct" },
	[QZ_FT_TOP] = { "top", ENV "rank, key_name, key, comm, count, field_names, "
			"field_values" },
	[QZ_FT_MULTI_TRACE] = { "multi_trace", ENV "pair_start, pair_end, key_name, "
				"instance, other, comm, calls, total, min, p50, p95, p99, max" },
	[QZ_FT_TASK_STATE] = { "task_state", ENV "tid, comm, state, calls, total, "
			       "min, p50, p95, p99, max" },
	[QZ_FT_KMEMLEAK] = { "kmemleak", ENV "final, allocs, frees, alloc_bytes, "
			     "free_bytes, unmatched_frees, leaked_objects, leaked_bytes, "
			     "pending, evicted, evicted_bytes, lost, late" },
	[QZ_FT_KMEMLEAK_LEAKS] = { "kmemleak_leaks", ENV "rank, bytes, objects, stack" },
	[QZ_FT_VM] = { "vm", ENV "ts, event, pid, comm, vms, vcpus, age_ns" },
	[QZ_FT_VMS] = { "vms", ENV "alive, created, destroyed, vm_pid, vm_comm, "
			"vm_name, vm_vcpus, vm_age_ns, vm_exits, vm_user_exits, vm_guest_ns" },
	[QZ_FT_PROFILE] = { "profile", ENV "period_ns, samples, cpu, cpu_samples, "
			    "cpu_idle, cpu_busy_pct" },
	[QZ_FT_PROFILE_FUNCTIONS] = { "profile_functions", ENV "rank, sym, module, "
				      "samples, pct" },
	[QZ_FT_PROFILE_STACKS] = { "profile_stacks", ENV "rank, stack, samples" },
	[QZ_FT_EVENTS] = { "events", ENV "ts, event, cpu, pid, tid, comm, fields, "
			   "period, stack" },
	[QZ_FT_LOST] = { "lost", ENV "cpu, lost" },
	[QZ_FT_RAW] = { "raw", ENV "type, reason, message, msg_id, kafka_topic, "
			"kafka_partition, kafka_offset" },
};

const char *const qz_fleet_raw_kind_names[QZ_RAW_KINDS] = {
	[QZ_RAW_UNKNOWN_TYPE] = "unknown_type",
	[QZ_RAW_NOT_REPORT] = "not_a_report",
	[QZ_RAW_NO_ENVELOPE] = "bad_envelope",
	[QZ_RAW_BAD_PAYLOAD] = "bad_payload",
};

void qz_fleet_batch__init(struct qz_fleet_batch *b)
{
	memset(b, 0, sizeof(*b));
}

void qz_fleet_batch__reset(struct qz_fleet_batch *b)
{
	for (int t = 0; t < QZ_FT_NR; t++) {
		b->rows[t].len = 0;
		b->rows[t].err = 0;
		b->nrows[t] = 0;
		b->sent[t] = 0;
	}
	b->reports = b->messages = b->rows_total = b->first_ms = 0;
	memset(b->raw, 0, sizeof(b->raw));
}

void qz_fleet_batch__release(struct qz_fleet_batch *b)
{
	for (int t = 0; t < QZ_FT_NR; t++)
		free(b->rows[t].data);
	free(b->scratch.data);
	qz_fleet_batch__init(b);
}

size_t qz_fleet_batch__bytes(const struct qz_fleet_batch *b)
{
	size_t n = 0;

	for (int t = 0; t < QZ_FT_NR; t++)
		n += b->rows[t].len;
	return n;
}

static bool grow(struct qz_buf *b, size_t n)
{
	size_t cap;
	char *d;

	if (b->err)
		return false;
	if (b->len + n <= b->cap)
		return true;
	cap = b->cap ? b->cap : 4096;
	while (cap < b->len + n)
		cap *= 2;
	d = realloc(b->data, cap);
	if (!d) {
		b->err = -ENOMEM;
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

void qz_buf__put(struct qz_buf *b, const char *s, size_t n)
{
	if (!n || !grow(b, n))
		return;
	memcpy(b->data + b->len, s, n);
	b->len += n;
}

void qz_buf__str(struct qz_buf *b, const char *s, size_t n)
{
	char *o;

	/* At most two bytes out for one in. */
	if (!n || !grow(b, 2 * n))
		return;
	o = b->data + b->len;
	for (size_t i = 0; i < n; i++) {
		char c = s[i], e = 0;

		switch (c) {
		case '\\': e = '\\'; break;
		case '\t': e = 't'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\0': e = '0'; break;
		case '\'': e = '\''; break;
		case '\b': e = 'b'; break;
		case '\f': e = 'f'; break;
		}
		if (e) {
			*o++ = '\\';
			*o++ = e;
		} else {
			*o++ = c;
		}
	}
	b->len = (size_t)(o - b->data);
}

void qz_buf__u64(struct qz_buf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	qz_buf__put(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

void qz_buf__i64(struct qz_buf *b, int64_t v)
{
	if (v < 0) {
		qz_buf__put(b, "-", 1);
		qz_buf__u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		qz_buf__u64(b, (uint64_t)v);
	}
}

void qz_buf__f64(struct qz_buf *b, double v)
{
	char tmp[32];
	int n;

	if (isnan(v)) {
		qz_buf__put(b, "nan", 3);
		return;
	}
	if (isinf(v)) {
		qz_buf__put(b, v < 0 ? "-inf" : "inf", v < 0 ? 4 : 3);
		return;
	}
	n = snprintf(tmp, sizeof(tmp), "%.17g", v);
	qz_buf__put(b, tmp, (size_t)n);
}

void qz_buf__truncate(struct qz_buf *b, size_t len)
{
	if (len < b->len)
		b->len = len;
}
