// SPDX-License-Identifier: MIT
/* The log-linear histogram: bucket bounds, quantile accuracy, merging. */
#include <stddef.h>
#include <stdint.h>
#include <quazar/hist.h>
#include "../test.h"

static void test_buckets(void)
{
	/* Every value lies inside its bucket, and buckets are contiguous. */
	for (uint64_t v = 0; v < 1u << 20; v += 1 + v / 64) {
		unsigned b = qz_hist__bucket(v);

		CHECK(qz_hist__bucket_low(b) <= v);
		CHECK(b + 1 >= QZ_HIST_BUCKETS || qz_hist__bucket_low(b + 1) > v);
		if (test_failures)
			break;
	}
	CHECK(qz_hist__bucket(UINT64_MAX) < QZ_HIST_BUCKETS);
	CHECK_EQ(qz_hist__bucket(31), 31);
	CHECK_EQ(qz_hist__bucket_low(qz_hist__bucket(5000000)), 4980736);
}

static void test_quantiles(void)
{
	struct qz_hist h;

	QZ_HIST_INIT(&h);
	CHECK_EQ(qz_hist__quantile(&h, 0.5), 0);
	/* 1..100000 ns: quantiles within the 1/32 bucket precision. */
	for (uint64_t v = 1; v <= 100000; v++)
		qz_hist__record(&h, v);
	CHECK_EQ(h.count, 100000);
	CHECK_EQ(h.min, 1);
	CHECK_EQ(h.max, 100000);
	CHECK_EQ(h.sum, 5000050000ull);
	static const double qs[] = { 0.5, 0.95, 0.99 };
	for (unsigned i = 0; i < 3; i++) {
		double want = qs[i] * 100000, got = (double)qz_hist__quantile(&h, qs[i]);

		CHECK(got >= want * 0.99 && got <= want * 1.04);
	}
	CHECK_EQ(qz_hist__quantile(&h, 1), 100000);
	CHECK_EQ(qz_hist__quantile(&h, 0), 1);
}

static void test_merge(void)
{
	struct qz_hist a, b;

	QZ_HIST_INIT(&a);
	QZ_HIST_INIT(&b);
	for (int i = 0; i < 100; i++) {
		qz_hist__record(&a, 5000000);	/* 5 ms */
		qz_hist__record(&b, 7000000);	/* 7 ms */
	}
	qz_hist__merge(&a, &b);
	CHECK_EQ(a.count, 200);
	CHECK_EQ(a.min, 5000000);
	CHECK_EQ(a.max, 7000000);
	/* The median sits in the 5 ms bucket: within 1/32 of it. */
	CHECK(qz_hist__quantile(&a, 0.5) >= 5000000 &&
	      qz_hist__quantile(&a, 0.5) <= 5000000 + 5000000 / 32);
	CHECK_EQ(qz_hist__quantile(&a, 0.99), 7000000);
}

/* Mean and standard deviation are exact, merged too; a v1-sized one has none. */
static void test_mean_stddev(void)
{
	static const uint64_t v[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
	struct qz_hist a, b, old;

	QZ_HIST_INIT(&a);
	QZ_HIST_INIT(&b);
	CHECK(qz_hist__mean(&a) == 0 && qz_hist__stddev(&a) == 0);
	for (size_t i = 0; i < 4; i++)
		qz_hist__record(&a, v[i] * 1000000);
	for (size_t i = 4; i < 8; i++)
		qz_hist__record(&b, v[i] * 1000000);
	qz_hist__merge(&a, &b);
	CHECK(qz_hist__mean(&a) == 5e6);
	CHECK(qz_hist__stddev(&a) > 2e6 - 1e-3 && qz_hist__stddev(&a) < 2e6 + 1e-3);
	/* One value: no spread. */
	QZ_HIST_INIT(&b);
	qz_hist__record(&b, 123456789);
	CHECK(qz_hist__stddev(&b) == 0);
	/* A caller built against the first version: no sum of squares. */
	CHECK_EQ(qz_hist__init(&old, offsetof(struct qz_hist, sum_sq)), 0);
	qz_hist__record(&old, 1);
	qz_hist__record(&old, 3);
	CHECK(qz_hist__mean(&old) == 2);
	CHECK(qz_hist__stddev(&old) == 0);
}

int main(void)
{
	RUN(test_buckets);
	RUN(test_quantiles);
	RUN(test_merge);
	RUN(test_mean_stddev);
	return test_result();
}
