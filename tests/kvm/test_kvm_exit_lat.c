// SPDX-License-Identifier: MIT
/*
 * kvm-exit's table without KVM: kvm_exit records built at the kernel's
 * offsets (formats.h) and decoded, entries paired per vCPU thread, the
 * latencies' p50/p95/p99/max per reason; first entries, lost events and
 * out-of-order ones pair with nothing.
 */
#include <string.h>
#include <quazar/tp.h>
#include "exit_lat.h"
#include "../test.h"
#include "formats.h"

#define US 1000ull

static struct kvm_exit_fields fields;

static struct kvm_exit_info exit_of(uint32_t reason, uint32_t isa, uint64_t rip)
{
	unsigned char rec[76] = { 0 };
	struct kvm_exit_info x;

	memcpy(rec, &(uint16_t){ 103 }, 2);
	memcpy(rec + 8, &reason, 4);
	memcpy(rec + 16, &rip, 8);
	memcpy(rec + 24, &isa, 4);
	qz_kvm_exit__decode(&fields, rec, sizeof(rec), &x);
	return x;
}

static const struct exit_lat_reason *row(struct exit_lat_reason **rows, size_t n, int isa,
					 uint32_t code)
{
	for (size_t i = 0; i < n; i++)
		if (rows[i]->isa == isa && rows[i]->code == code)
			return rows[i];
	return NULL;
}

static void test_table(void)
{
	struct exit_lat e;
	struct exit_lat_reason **rows;
	const struct exit_lat_reason *io, *hlt;
	struct kvm_exit_info x, got;
	uint64_t t = 1000 * US;
	size_t n;

	CHECK_EQ(qz_exit_lat__init(&e), 0);
	/* The first entry of a KVM_RUN has no exit before it. */
	CHECK_EQ(qz_exit_lat__entry(&e, 10, t, NULL), -1);
	/* Two vCPU threads interleaved: 100 IOIO exits of 1..100 us on 10, */
	for (int i = 1; i <= 100; i++) {
		x = exit_of(0x7b, KVM_ISA_SVM, 0x1000 + (uint64_t)i);
		qz_exit_lat__exit(&e, 10, t, &x);
		/* 10 HLT exits of 1 ms on thread 11 meanwhile, */
		if (i % 10 == 0) {
			x = exit_of(0x78, KVM_ISA_SVM, 0x2000);
			qz_exit_lat__exit(&e, 11, t, &x);
			CHECK_EQ(qz_exit_lat__entry(&e, 11, t + 1000 * US, &got), (int64_t)(1000 * US));
			CHECK_EQ(got.code, 0x78);
			CHECK_EQ(got.rip, 0x2000);
		}
		CHECK_EQ(qz_exit_lat__entry(&e, 10, t + (uint64_t)i * US, &got), (int64_t)(i * US));
		CHECK_EQ(got.rip, 0x1000 + (uint64_t)i);
		/* An entry with no exit since pairs with nothing. */
		CHECK_EQ(qz_exit_lat__entry(&e, 10, t + (uint64_t)i * US + 1, NULL), -1);
		t += 2000 * US;
	}
	rows = qz_exit_lat__rows(&e, &n);
	CHECK(rows && n == 2);
	io = row(rows, n, KVM_ISA_SVM, 0x7b);
	hlt = row(rows, n, KVM_ISA_SVM, 0x78);
	CHECK(io && hlt && rows[0] == io);	/* most frequent first */
	if (io && hlt) {
		CHECK_EQ(io->hist.count, 100);
		CHECK_EQ(io->hist.min, 1 * US);
		CHECK_EQ(io->hist.max, 100 * US);
		CHECK_EQ(io->hist.sum, 5050 * US);
		/* Quantiles within the histogram's 1/32. */
		CHECK(qz_hist__quantile(&io->hist, 0.50) >= 49 * US &&
		      qz_hist__quantile(&io->hist, 0.50) <= 52 * US);
		CHECK(qz_hist__quantile(&io->hist, 0.95) >= 94 * US &&
		      qz_hist__quantile(&io->hist, 0.95) <= 98 * US);
		CHECK(qz_hist__quantile(&io->hist, 0.99) >= 98 * US &&
		      qz_hist__quantile(&io->hist, 0.99) <= 100 * US);
		CHECK_EQ(hlt->hist.count, 10);
		CHECK_EQ(qz_hist__quantile(&hlt->hist, 0.99), 1000 * US);
	}
	free(rows);
	/* Next interval: empty until new exits. */
	qz_exit_lat__reset(&e);
	rows = qz_exit_lat__rows(&e, &n);
	CHECK_EQ(n, 0);
	free(rows);
	/* VMX and SVM codes apart, even when equal numbers. */
	x = exit_of(12, KVM_ISA_VMX, 0);
	qz_exit_lat__exit(&e, 12, t, &x);
	qz_exit_lat__entry(&e, 12, t + 5 * US, NULL);
	x = exit_of(12, KVM_ISA_SVM, 0);
	qz_exit_lat__exit(&e, 12, t, &x);
	qz_exit_lat__entry(&e, 12, t + 5 * US, NULL);
	rows = qz_exit_lat__rows(&e, &n);
	CHECK_EQ(n, 2);
	CHECK(row(rows, n, KVM_ISA_VMX, 12) && row(rows, n, KVM_ISA_SVM, 12));
	free(rows);
	/* Lost events: the waiting exit is forgotten, not paired later. */
	x = exit_of(30, KVM_ISA_VMX, 0);
	qz_exit_lat__exit(&e, 13, t, &x);
	qz_exit_lat__forget(&e);
	CHECK_EQ(qz_exit_lat__entry(&e, 13, t + 9 * US, NULL), -1);
	/* An entry older than its exit (out of order) is no latency. */
	qz_exit_lat__exit(&e, 13, t, &x);
	CHECK_EQ(qz_exit_lat__entry(&e, 13, t - 1, NULL), -1);
	qz_exit_lat__free(&e);
}

int main(void)
{
	QZ_OPTS(qz_tp_opts, o, .offline = true);
	struct qz_tp *tp = qz_tp__new(&o);
	struct qz_tp_event *ev = NULL;

	if (!tp || qz_tp__add_format(tp, "kvm", KVM_EXIT_FMT, &ev) ||
	    qz_kvm_exit_fields__init(&fields, ev, KVM_ISA_UNKNOWN)) {
		fprintf(stderr, "cannot load the kvm_exit format\n");
		return 1;
	}
	RUN(test_table);
	qz_tp__free(tp);
	return test_result();
}
