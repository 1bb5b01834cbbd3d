// SPDX-License-Identifier: MIT
/* Counter values: read() formats and scaling for multiplexing. */
#include <errno.h>
#include <string.h>
#include "perf_internal.h"

QZ_API int qz_counts__scale(struct qz_counts *c)
{
	if (c->sz < COUNTS_SZ_V1)
		return -EINVAL;
	c->not_counted = c->run == 0;
	if (c->not_counted) {
		c->scaled = 0;
		c->running_pct = 0;
		return 0;
	}
	if (c->ena == 0 || c->run >= c->ena) {
		/* Never multiplexed (or no times asked for): exact. */
		c->scaled = (double)c->val;
		c->running_pct = 100.0;
		return 0;
	}
	c->scaled = (double)c->val * (double)c->ena / (double)c->run;
	c->running_pct = 100.0 * (double)c->run / (double)c->ena;
	return 0;
}

QZ_API int qz_counts__add(struct qz_counts *sum, const struct qz_counts *c)
{
	if (sum->sz < COUNTS_SZ_V1 || c->sz < COUNTS_SZ_V1)
		return -EINVAL;
	sum->val += c->val;
	sum->ena += c->ena;
	sum->run += c->run;
	sum->lost += c->lost;
	return qz_counts__scale(sum);
}

QZ_API int qz_counts__parse(const void *buf, size_t len, uint64_t fmt,
			    struct qz_counts *counts, int max)
{
	const uint8_t *p = buf;
	size_t off = 0, stride;
	uint64_t nr = 1, ena = 0, run = 0;
	int n;

#define NEXT(dst)                                    \
	do {                                         \
		if (off + 8 > len)                   \
			return -QZ_ERR_RECORD_SHORT; \
		memcpy(&(dst), p + off, 8);          \
		off += 8;                            \
	} while (0)

	/* Entries are as large as the caller's struct says. */
	if (max >= 1 && counts->sz < COUNTS_SZ_V1)
		return -EINVAL;
	stride = max >= 1 ? counts->sz : 0;
	if (fmt & PERF_FORMAT_GROUP) {
		NEXT(nr);
		if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
			NEXT(ena);
		if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
			NEXT(run);
		n = nr < (uint64_t)max ? (int)nr : max;
		for (int i = 0; i < n; i++) {
			struct qz_counts *c =
				(void *)((char *)counts + (size_t)i * stride);

			c->sz = stride;
			qz__zero_sized(c);
			NEXT(c->val);
			if (fmt & PERF_FORMAT_ID)
				NEXT(c->id);
			if (fmt & PERF_FORMAT_LOST)
				NEXT(c->lost);
			c->ena = ena;
			c->run = run;
			qz_counts__scale(c);
		}
		return n;
	}
	if (max < 1)
		return 0;
	qz__zero_sized(counts);
	NEXT(counts->val);
	if (fmt & PERF_FORMAT_TOTAL_TIME_ENABLED)
		NEXT(counts->ena);
	if (fmt & PERF_FORMAT_TOTAL_TIME_RUNNING)
		NEXT(counts->run);
	if (fmt & PERF_FORMAT_ID)
		NEXT(counts->id);
	if (fmt & PERF_FORMAT_LOST)
		NEXT(counts->lost);
	if (!(fmt & PERF_FORMAT_TOTAL_TIME_RUNNING))
		counts->run = counts->ena = 1; /* no times: take it as exact */
	qz_counts__scale(counts);
	return 1;
#undef NEXT
}
