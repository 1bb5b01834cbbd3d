// SPDX-License-Identifier: MIT
/*
 * Reading a counter from user space: the seqlock loop documented in
 * include/uapi/linux/perf_event.h, over the event's user page. The kernel
 * rewrites the page (lock, index, offset, times) when the event moves on
 * or off a hardware counter; a read that straddles an update retries.
 */
#include <errno.h>
#include "span_internal.h"

#define CAP_USER_RDPMC (1ull << 2)
#define CAP_USER_TIME (1ull << 3)
#define CAP_USER_TIME_SHORT (1ull << 5)

#define barrier() __asm__ volatile("" ::: "memory")

#if defined(__x86_64__) || defined(__i386__)
static uint64_t rdpmc_insn(unsigned int counter)
{
	uint32_t lo, hi;

	__asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
	return (uint64_t)hi << 32 | lo;
}

static uint64_t rdtsc_insn(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

bool qz__rdpmc_arch(void)
{
	return true;
}
#else
#define rdpmc_insn NULL
#define rdtsc_insn NULL

bool qz__rdpmc_arch(void)
{
	return false;
}
#endif

int qz__rdpmc_read(const volatile struct perf_event_mmap_page *pc,
		   qz_rdpmc_fn rdpmc, qz_rdtsc_fn rdtsc,
		   struct qz_rdpmc_value *out)
{
	uint64_t enabled = 0, running = 0, count = 0, pmc = 0, cyc = 0;
	uint64_t caps = 0, time_offset = 0, time_cycles = 0, time_mask = 0;
	uint32_t seq, idx = 0, time_mult = 0;
	uint16_t width = 0, time_shift = 0;

	if (!rdpmc)
		rdpmc = rdpmc_insn;
	if (!rdtsc)
		rdtsc = rdtsc_insn;
	if (!rdpmc || !rdtsc)
		return -EOPNOTSUPP;
	do {
		seq = pc->lock;
		/*
		 * The kernel updates the page on this thread's CPU, so an odd
		 * lock is never seen there; checking it also makes the loop
		 * safe against a writer elsewhere, as in the unit test.
		 */
		if (seq & 1)
			continue;
		barrier();
		enabled = pc->time_enabled;
		running = pc->time_running;
		caps = pc->capabilities;
		if (caps & CAP_USER_TIME) {
			cyc = rdtsc();
			time_offset = pc->time_offset;
			time_mult = pc->time_mult;
			time_shift = pc->time_shift;
			time_cycles = pc->time_cycles;
			time_mask = pc->time_mask;
		}
		idx = pc->index;
		count = (uint64_t)pc->offset;
		if ((caps & CAP_USER_RDPMC) && idx) {
			width = pc->pmc_width;
			pmc = rdpmc(idx - 1);
		}
		barrier();
	} while (pc->lock != seq || (seq & 1));

	if (!(caps & CAP_USER_RDPMC) || !idx || !width || width > 64)
		return -EAGAIN;
	/* The counter is pmc_width bits wide: sign-extend it. */
	count += (uint64_t)((int64_t)(pmc << (64 - width)) >> (64 - width));
	if (caps & CAP_USER_TIME) {
		uint64_t quot, rem, delta;

		if (caps & CAP_USER_TIME_SHORT)
			cyc = time_cycles + ((cyc - time_cycles) & time_mask);
		quot = time_shift < 64 ? cyc >> time_shift : 0;
		rem = time_shift < 64 ? cyc & ((1ull << time_shift) - 1) : cyc;
		delta = time_offset + quot * time_mult +
			((rem * time_mult) >> time_shift);
		enabled += delta;
		running += delta;	/* idx != 0: it is running now */
	}
	out->count = count;
	out->enabled = enabled;
	out->running = running;
	return 0;
}
