// SPDX-License-Identifier: MIT
/*
 * Log-linear buckets: values below SUB map one to one; above, the position
 * of the top bit picks a row and the next SUB_BITS bits the column.
 */
#include <string.h>
#include <quazar/hist.h>
#include "../internal.h"

QZ_API int qz_hist__init(struct qz_hist *h, size_t sz)
{
	if (sz < sizeof(*h))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	h->sz = sz;
	h->min = UINT64_MAX;
	return 0;
}

QZ_API unsigned qz_hist__bucket(uint64_t v)
{
	unsigned top, shift;

	if (v < QZ_HIST_SUB)
		return (unsigned)v;
	top = 63 - (unsigned)__builtin_clzll(v);	/* >= SUB_BITS */
	shift = top - QZ_HIST_SUB_BITS;
	/* Row (shift + 1), column = the SUB_BITS bits below the top bit. */
	return (shift + 1) * QZ_HIST_SUB +
	       (unsigned)((v >> shift) & (QZ_HIST_SUB - 1));
}

QZ_API uint64_t qz_hist__bucket_low(unsigned b)
{
	unsigned row = b / QZ_HIST_SUB, col = b % QZ_HIST_SUB;

	if (!row)
		return col;
	return (uint64_t)(QZ_HIST_SUB + col) << (row - 1);
}

/* The largest value that lands in bucket b. */
static uint64_t bucket_high(unsigned b)
{
	unsigned row = b / QZ_HIST_SUB;

	if (!row)
		return b;
	return qz_hist__bucket_low(b) + ((uint64_t)1 << (row - 1)) - 1;
}

QZ_API void qz_hist__record(struct qz_hist *h, uint64_t v)
{
	uint32_t *slot = &h->buckets[qz_hist__bucket(v)];

	if (*slot != UINT32_MAX)
		(*slot)++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

QZ_API void qz_hist__merge(struct qz_hist *dst, const struct qz_hist *src)
{
	for (unsigned i = 0; i < QZ_HIST_BUCKETS; i++) {
		uint64_t n = (uint64_t)dst->buckets[i] + src->buckets[i];

		dst->buckets[i] = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
	}
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

QZ_API uint64_t qz_hist__quantile(const struct qz_hist *h, double q)
{
	uint64_t rank, seen = 0, total = 0;

	for (unsigned i = 0; i < QZ_HIST_BUCKETS; i++)
		total += h->buckets[i];
	if (!total)
		return 0;
	if (q <= 0)
		return h->min;
	if (q >= 1)
		return h->max;
	rank = (uint64_t)(q * (double)total + 0.5);
	if (!rank)
		rank = 1;
	for (unsigned i = 0; i < QZ_HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank) {
			uint64_t v = bucket_high(i);

			return v < h->min ? h->min : v > h->max ? h->max : v;
		}
	}
	return h->max;
}
