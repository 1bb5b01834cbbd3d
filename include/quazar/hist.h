/* SPDX-License-Identifier: MIT */
/*
 * A bounded log-linear latency histogram in the HDR style: each power of two
 * is split into 32 linear sub-buckets, so a recorded value is known to
 * within 1/32 (about 3%) and memory never grows with the number of values.
 * Values are u64 (nanoseconds, usually); min, max, count and sum are exact.
 */
#ifndef QUAZAR_HIST_H
#define QUAZAR_HIST_H

#include <stddef.h>
#include <stdint.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QZ_HIST_SUB_BITS 5
#define QZ_HIST_SUB (1u << QZ_HIST_SUB_BITS)
/* Rows cover values up to 2^64: (64 - SUB_BITS + 1) rows of SUB buckets. */
#define QZ_HIST_BUCKETS ((64 - QZ_HIST_SUB_BITS + 1) * QZ_HIST_SUB)

struct qz_hist {
	size_t sz;		/* set by qz_hist__init: the caller's sizeof */
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint32_t buckets[QZ_HIST_BUCKETS]; /* saturating counts */
	/* Since 0.3: the sum of squares, for the standard deviation. */
	double sum_sq;
};

/*
 * sizeof(struct qz_hist) is the whole cost: 7.6 KiB, fixed. The caller
 * allocates it and passes its size, so the struct can grow: -EINVAL when
 * sz is smaller than the first version's (up to buckets).
 */
QZ_API int qz_hist__init(struct qz_hist *h, size_t sz);
#define QZ_HIST_INIT(h) qz_hist__init((h), sizeof(*(h)))
QZ_API void qz_hist__record(struct qz_hist *h, uint64_t value);
/* Add every value of src into dst. */
QZ_API void qz_hist__merge(struct qz_hist *dst, const struct qz_hist *src);
/*
 * The value at quantile q (0..1): the highest value of the bucket holding
 * that rank, clamped to [min, max]. 0 for an empty histogram.
 */
QZ_API uint64_t qz_hist__quantile(const struct qz_hist *h, double q);
/*
 * The mean and the (population) standard deviation of the values
 * recorded, exact up to double rounding; 0 when empty. A histogram
 * initialised with the first version's size has no sum of squares: its
 * standard deviation is 0.
 */
QZ_API double qz_hist__mean(const struct qz_hist *h);
QZ_API double qz_hist__stddev(const struct qz_hist *h);
/* Bucket index of a value and the smallest value of a bucket (for heatmaps). */
QZ_API unsigned qz_hist__bucket(uint64_t value);
QZ_API uint64_t qz_hist__bucket_low(unsigned bucket);

#ifdef __cplusplus
}
#endif

#endif
