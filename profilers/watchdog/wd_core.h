/* SPDX-License-Identifier: MIT */
/*
 * watchdog's logic, without a kernel (tests feed it recorded events).
 *
 * The kernel's lockup detectors, per CPU:
 *  - its watchdog hrtimer (watchdog_timer_fn) fires every 2*thresh/5 s
 *    and kicks the CPU's stopper thread (migration/N) to run
 *    softlockup_fn, which stamps the CPU as alive;
 *  - a soft lockup is reported when that stamp is older than 2*thresh at
 *    a timer tick: the CPU ran without scheduling the stopper;
 *  - a hard lockup is reported when the timer itself has not run for
 *    thresh: the CPU had interrupts off (seen from an NMI, or a buddy CPU).
 * The core follows the same clocks from the events (tick: the timer
 * expired; touch: the stopper ran after a kick; sample: a sampler's tick)
 * and warns when either age passes its warning threshold, before the
 * kernel's own limit.
 */
#ifndef QUAZAR_PROFILERS_WD_CORE_H
#define QUAZAR_PROFILERS_WD_CORE_H

#include <stdbool.h>
#include <stdint.h>

enum wd_warn { WD_NONE = 0, WD_SOFT = 1, WD_HARD = 2 };

struct wd_cpu {
	uint64_t last_tick, last_touch;	/* 0: not seen yet */
	bool kicked;			/* a tick since the last touch */
	bool soft_warned, hard_warned;	/* once per episode */
	/* per interval */
	uint64_t ticks, touches, max_tick_gap, max_touch_age;
	uint64_t soft_warnings, hard_warnings;
};

struct wd_core {
	long nr_cpus;
	struct wd_cpu *cpu;
	uint64_t soft_after, hard_after;	/* warning ages, ns */
};

/* 0 or -ENOMEM. */
int qz_wd_core__init(struct wd_core *w, long nr_cpus, uint64_t soft_after,
		  uint64_t hard_after);
void qz_wd_core__free(struct wd_core *w);
/* The watchdog timer ran on cpu: WD_SOFT when the stopper is late (*age). */
enum wd_warn qz_wd_core__tick(struct wd_core *w, int cpu, uint64_t time,
			   uint64_t *age);
/* The stopper thread of cpu was switched in. */
void qz_wd_core__switch_in(struct wd_core *w, int cpu, uint64_t time);
/*
 * A sampler tick on cpu: a mask of WD_HARD (the timer is late, *hard_age)
 * and WD_SOFT (the stopper is late, *soft_age), each once per episode.
 */
unsigned qz_wd_core__sample(struct wd_core *w, int cpu, uint64_t time,
			 uint64_t *hard_age, uint64_t *soft_age);
/* Clear the per-interval figures. */
void qz_wd_core__reset(struct wd_core *w);

#endif
