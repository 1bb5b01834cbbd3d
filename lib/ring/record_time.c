// SPDX-License-Identifier: MIT
/* Where the timestamp sits in a perf record, per the perf_event_open ABI. */
#include <errno.h>
#include <string.h>
#include "ring_internal.h"

static unsigned bit(uint64_t sample_type, uint64_t flag)
{
	return (sample_type & flag) ? 1 : 0;
}

QZ_API int qz_record__time(const struct perf_event_header *rec,
			   uint64_t sample_type, bool sample_id_all,
			   uint64_t *time)
{
	size_t off;

	if (!(sample_type & PERF_SAMPLE_TIME))
		return -ENOENT;
	if (rec->type == PERF_RECORD_SAMPLE) {
		off = sample_time_offset(sample_type);
	} else {
		size_t after;

		if (!sample_id_all || rec->type >= PERF_RECORD_MAX)
			return -ENOENT;
		/* Records past PERF_RECORD_MAX are user-space types without sample_id.
		 * The sample_id trailer ends with ID, STREAM_ID, CPU, IDENTIFIER. */
		after = 8 * (bit(sample_type, PERF_SAMPLE_ID) +
			     bit(sample_type, PERF_SAMPLE_STREAM_ID) +
			     bit(sample_type, PERF_SAMPLE_CPU) +
			     bit(sample_type, PERF_SAMPLE_IDENTIFIER));
		if (rec->size < sizeof(*rec) + after + 8)
			return -QZ_ERR_RECORD_SHORT;
		off = rec->size - after - 8;
	}
	if (off + 8 > rec->size)
		return -QZ_ERR_RECORD_SHORT;
	memcpy(time, (const uint8_t *)rec + off, 8);
	return 0;
}
