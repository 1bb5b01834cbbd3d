// SPDX-License-Identifier: MIT
/*
 * watchdog's logic on timelines of the events it follows, as a real lockup
 * would give them (no lockup can be made on the test machines):
 *  - a soft lockup: the CPU keeps taking its timer interrupt but never
 *    schedules its stopper thread for 25 s;
 *  - a hard lockup: interrupts off for 11 s, seen by an NMI sampler;
 *  - stopper runs that no watchdog tick asked for do not count.
 */
#include <stdint.h>
#include "wd_core.h"
#include "../test.h"

#define S 1000000000ull
#define MS 1000000ull

/* A healthy CPU: a tick every 4 s, its stopper 20 us later. */
static void healthy(struct wd_core *w, int cpu, uint64_t from, uint64_t to, int *warns)
{
	uint64_t age;

	for (uint64_t t = from; t < to; t += 4 * S) {
		*warns += qz_wd_core__tick(w, cpu, t, &age) != WD_NONE;
		qz_wd_core__switch_in(w, cpu, t + 20000);
	}
}

static void test_soft_lockup(void)
{
	struct wd_core w;
	uint64_t age = 0, h = 0, s = 0;
	int warns = 0, soft = 0;

	CHECK_EQ(qz_wd_core__init(&w, 2, 10 * S, 5 * S), 0);
	healthy(&w, 1, 0, 20 * S, &warns);
	CHECK_EQ(warns, 0);
	CHECK_EQ(w.cpu[1].ticks, 5);
	CHECK_EQ(w.cpu[1].touches, 5);
	CHECK_EQ(w.cpu[1].max_tick_gap, 4 * S);
	/* from 16 s the stopper does not run: ticks at 20, 24, 28 ... 40 */
	for (uint64_t t = 20 * S; t <= 40 * S; t += 4 * S) {
		enum wd_warn k = qz_wd_core__tick(&w, 1, t, &age);

		soft += k == WD_SOFT;
		/* an NMI sample every second: no hard lockup, the timer runs */
		for (uint64_t u = t; u < t + 4 * S; u += S) {
			unsigned ks = qz_wd_core__sample(&w, 1, u, &h, &s);

			CHECK_EQ(ks & WD_HARD, 0);
			if (ks & WD_SOFT) {
				soft++;
				/* the first sample past 10 s without the stopper */
				CHECK_EQ(u, 27 * S);
				CHECK_EQ(s, 27 * S - (16 * S + 20000));
			}
		}
	}
	CHECK_EQ(soft, 1);	/* once per episode */
	CHECK_EQ(w.cpu[1].soft_warnings, 1);
	CHECK_EQ(w.cpu[1].hard_warnings, 0);
	/* the stopper runs again: the episode ends, the next one warns again */
	qz_wd_core__switch_in(&w, 1, 41 * S);
	CHECK(w.cpu[1].max_touch_age >= 23 * S);	/* seen at the 40 s tick */
	qz_wd_core__reset(&w);
	CHECK_EQ(w.cpu[1].soft_warnings, 0);
	CHECK_EQ(qz_wd_core__tick(&w, 1, 44 * S, &age), WD_NONE);
	qz_wd_core__switch_in(&w, 1, 44 * S + 20000);
	CHECK_EQ(qz_wd_core__tick(&w, 1, 60 * S, &age), WD_SOFT);
	qz_wd_core__free(&w);
}

static void test_hard_lockup(void)
{
	struct wd_core w;
	uint64_t h = 0, s = 0;
	int warns = 0, hard = 0;

	CHECK_EQ(qz_wd_core__init(&w, 2, 10 * S, 5 * S), 0);
	healthy(&w, 0, 0, 12 * S, &warns);	/* ticks at 0, 4, 8 */
	/* interrupts off from 8 s to 19 s: no tick, no stopper; NMIs at 1 Hz */
	for (uint64_t t = 9 * S; t < 19 * S; t += S) {
		unsigned k = qz_wd_core__sample(&w, 0, t, &h, &s);

		if (k & WD_HARD) {
			hard++;
			CHECK_EQ(t, 14 * S);	/* the first sample past 5 s */
			CHECK(h > 5 * S);
		}
		CHECK_EQ(k & WD_SOFT, 0);
	}
	CHECK_EQ(hard, 1);
	CHECK_EQ(w.cpu[0].hard_warnings, 1);
	CHECK_EQ(w.cpu[0].soft_warnings, 0);	/* the stopper ran at 8 s: 10 s not yet past */
	/* interrupts back on at 19 s: the late tick, then the stopper */
	qz_wd_core__tick(&w, 0, 19 * S, &s);
	CHECK_EQ(w.cpu[0].max_tick_gap, 11 * S);
	qz_wd_core__switch_in(&w, 0, 19 * S + 50000);
	/* a new episode warns again */
	CHECK_EQ(qz_wd_core__sample(&w, 0, 25 * S, &h, &s) & WD_HARD, WD_HARD);
	qz_wd_core__free(&w);
}

static void test_unasked_stopper(void)
{
	struct wd_core w;
	uint64_t age = 0;

	CHECK_EQ(qz_wd_core__init(&w, 1, 3 * S, 5 * S), 0);
	qz_wd_core__tick(&w, 0, 0, &age);
	qz_wd_core__switch_in(&w, 0, 10 * MS);
	/* the stopper also runs to migrate tasks: no tick asked, no touch */
	qz_wd_core__switch_in(&w, 0, 2 * S);
	qz_wd_core__switch_in(&w, 0, 3 * S);
	CHECK_EQ(w.cpu[0].touches, 1);
	CHECK_EQ(qz_wd_core__tick(&w, 0, 4 * S, &age), WD_SOFT);
	CHECK_EQ(age, 4 * S - 10 * MS);
	/* a CPU out of range is ignored */
	CHECK_EQ(qz_wd_core__tick(&w, 5, S, &age), WD_NONE);
	qz_wd_core__free(&w);
}

int main(void)
{
	test_soft_lockup();
	test_hard_lockup();
	test_unasked_stopper();
	return test_failures ? 1 : 0;
}
