// SPDX-License-Identifier: MIT
/*
 * Log-linear buckets: values below SUB map one to one; above, the position
 * of the top bit picks a row and the next SUB_BITS bits the column.
 */
#include <string.h>
#include <quazar/hist.h>
#include "../internal.h"

/* The first version ended with the buckets; sum_sq came after. */
#define HIST_SZ_V1 QZ_OFFSETOFEND(struct qz_hist, buckets)
#define HIST_HAS_SUM_SQ(h) ((h)->sz >= QZ_OFFSETOFEND(struct qz_hist, sum_sq))

QZ_API int qz_hist__init(struct qz_hist *h, size_t sz)
{
	if (sz < HIST_SZ_V1)
		return -EINVAL;
	memset(h, 0, sz < sizeof(*h) ? sz : sizeof(*h));
	h->sz = sz;
	h->min = UINT64_MAX;
	return 0;
}

/* Inline in qz_hist__record: an exported function is not inlined (-fPIC). */
static inline unsigned bucket_of(uint64_t v)
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

QZ_API unsigned qz_hist__bucket(uint64_t v)
{
	return bucket_of(v);
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
	uint32_t *slot = &h->buckets[bucket_of(v)];

	if (*slot != UINT32_MAX)
		(*slot)++;
	h->count++;
	h->sum += v;
	if (HIST_HAS_SUM_SQ(h))
		h->sum_sq += (double)v * (double)v;
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
	if (HIST_HAS_SUM_SQ(dst) && HIST_HAS_SUM_SQ(src))
		dst->sum_sq += src->sum_sq;
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

QZ_API double qz_hist__mean(const struct qz_hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0;
}

/* Square root by Newton's method: the core does not link libm. */
static double root(double x)
{
	double r = x > 1 ? x / 2 : 1;

	if (x <= 0)
		return 0;
	for (int i = 0; i < 200; i++) {
		double next = (r + x / r) / 2;

		if (next == r)
			break;
		r = next;
	}
	return r;
}

QZ_API double qz_hist__stddev(const struct qz_hist *h)
{
	double mean, var;

	if (!h->count || !HIST_HAS_SUM_SQ(h))
		return 0;
	mean = (double)h->sum / (double)h->count;
	var = h->sum_sq / (double)h->count - mean * mean;
	return var > 0 ? root(var) : 0;	/* rounding can take it below 0 */
}
