// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "wd_core.h"

int qz_wd_core__init(struct wd_core *w, long nr_cpus, uint64_t soft_after,
		  uint64_t hard_after)
{
	w->nr_cpus = nr_cpus;
	w->soft_after = soft_after;
	w->hard_after = hard_after;
	w->cpu = calloc((size_t)nr_cpus, sizeof(*w->cpu));
	return w->cpu ? 0 : -ENOMEM;
}

void qz_wd_core__free(struct wd_core *w)
{
	free(w->cpu);
	w->cpu = NULL;
}

static struct wd_cpu *cpu_of(struct wd_core *w, int cpu)
{
	return cpu >= 0 && cpu < w->nr_cpus ? &w->cpu[cpu] : NULL;
}

enum wd_warn qz_wd_core__tick(struct wd_core *w, int cpu, uint64_t time,
			   uint64_t *age)
{
	struct wd_cpu *c = cpu_of(w, cpu);
	enum wd_warn warn = WD_NONE;

	if (!c)
		return WD_NONE;
	if (c->last_tick && time > c->last_tick && time - c->last_tick > c->max_tick_gap)
		c->max_tick_gap = time - c->last_tick;
	c->last_tick = time;
	c->ticks++;
	c->hard_warned = false;
	if (c->last_touch && time > c->last_touch) {
		uint64_t a = time - c->last_touch;

		if (a > c->max_touch_age)
			c->max_touch_age = a;
		if (a > w->soft_after && !c->soft_warned) {
			c->soft_warned = true;
			c->soft_warnings++;
			*age = a;
			warn = WD_SOFT;
		}
	}
	c->kicked = true;
	return warn;
}

void qz_wd_core__switch_in(struct wd_core *w, int cpu, uint64_t time)
{
	struct wd_cpu *c = cpu_of(w, cpu);

	/* Only the run that follows a kick stamps the CPU, as softlockup_fn does. */
	if (!c || (!c->kicked && c->last_touch))
		return;
	c->kicked = false;
	c->last_touch = time;
	c->touches++;
	c->soft_warned = false;
}

unsigned qz_wd_core__sample(struct wd_core *w, int cpu, uint64_t time,
			 uint64_t *hard_age, uint64_t *soft_age)
{
	struct wd_cpu *c = cpu_of(w, cpu);
	unsigned warn = WD_NONE;

	if (!c)
		return WD_NONE;
	if (c->last_tick && time > c->last_tick &&
	    time - c->last_tick > w->hard_after && !c->hard_warned) {
		c->hard_warned = true;
		c->hard_warnings++;
		*hard_age = time - c->last_tick;
		warn |= WD_HARD;
	}
	if (c->last_touch && time > c->last_touch &&
	    time - c->last_touch > w->soft_after && !c->soft_warned) {
		c->soft_warned = true;
		c->soft_warnings++;
		*soft_age = time - c->last_touch;
		warn |= WD_SOFT;
	}
	return warn;
}

void qz_wd_core__reset(struct wd_core *w)
{
	for (long i = 0; i < w->nr_cpus; i++) {
		struct wd_cpu *c = &w->cpu[i];

		c->ticks = c->touches = c->max_tick_gap = c->max_touch_age = 0;
		c->soft_warnings = c->hard_warnings = 0;
	}
}
