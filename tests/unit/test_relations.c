// SPDX-License-Identifier: MIT
/*
 * multi-trace's core without a kernel: hand-built events through the
 * pairing, chains, --cycle, untraced, --than and the pending-key cap; and
 * the keyed table's oldest-first eviction.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/filter.h>
#include <quazar/session.h>
#include "relations.h"
#include "reltab.h"
#include "../test.h"
#include "../tp/records.h"

struct seen {
	int outliers;
	uint64_t last_delta, last_key;
};

static void on_outlier(void *ctx, struct reltab_entry *prev, const struct qz_event *ev,
		       uint64_t key, uint64_t delta, int pair)
{
	struct seen *s = ctx;

	(void)prev;
	(void)ev;
	(void)pair;
	s->outliers++;
	s->last_delta = delta;
	s->last_key = key;
}

/* One event: index idx at time t on cpu, key from tid (key_tid) */
static void feed(struct mt_core *c, int idx, uint64_t t, uint32_t tid)
{
	QZ_OPTS(qz_sample, smp, .time = t, .tid = tid, .pid = tid, .cpu = 0);
	struct qz_event ev = { .sample = &smp, .index = idx };

	qz_mt_core__event(c, &ev, qz_mt_core__key(c, &ev), MT_ROLE_ANY);
}

static struct mt_core *core(struct mt_event_cfg *evs, int n, int nr_pos, bool cycle,
			    uint64_t than, uint64_t max_keys, struct seen *s)
{
	struct mt_core_opts o = {
		.nr_events = n, .events = evs, .nr_pos = nr_pos, .cycle = cycle,
		.key_tid = true, .than = than, .keep_records = than != 0,
		.max_keys = max_keys, .outlier = on_outlier, .ctx = s,
	};

	return qz_mt_core__new(&o);
}

static void test_chain(void)
{
	/* -e A -e B,C(untraced) -e D */
	struct mt_event_cfg evs[4] = { { .pos = 0 }, { .pos = 1 },
				       { .pos = 1, .untraced = true }, { .pos = 2 } };
	struct seen s = { 0 };
	struct mt_core *c = core(evs, 4, 3, false, 150, 0, &s);
	struct mt_row **rows;
	size_t nr;

	CHECK(c != NULL);
	CHECK_EQ(c->nr_pairs, 2);	/* A->B, B->D */
	feed(c, 0, 1000, 7);		/* A */
	feed(c, 2, 1050, 7);		/* C: untraced, ignored by the core */
	feed(c, 1, 1100, 7);		/* B: A->B = 100 */
	feed(c, 3, 1300, 7);		/* D: B->D = 200, above --than 150 */
	feed(c, 3, 1400, 7);		/* D with nothing pending: no pair */
	feed(c, 1, 2000, 8);		/* B of another key, no A: no pair, backed up */
	feed(c, 3, 2010, 8);		/* B->D = 10 */
	rows = qz_mt_core__rows(c, &nr);
	CHECK_EQ(nr, 2);
	CHECK_EQ(rows[0]->hist.count, 1);	/* A->B */
	CHECK_EQ(rows[0]->hist.sum, 100);
	CHECK_EQ(rows[1]->hist.count, 2);	/* B->D */
	CHECK_EQ(rows[1]->hist.min, 10);
	CHECK_EQ(rows[1]->hist.max, 200);
	CHECK_EQ(s.outliers, 1);
	CHECK_EQ(s.last_delta, 200);
	CHECK_EQ(s.last_key, 7);
	CHECK_EQ(c->pending.nr, 0);
	free(rows);
	qz_mt_core__free(c);
}

static void test_cycle_and_replace(void)
{
	/* one -e with --cycle: every event pairs with the previous of its key */
	struct mt_event_cfg evs[1] = { { .pos = 0 } };
	struct seen s = { 0 };
	struct mt_core *c = core(evs, 1, 1, true, 0, 0, &s);
	struct mt_row **rows;
	size_t nr;

	feed(c, 0, 100, 1);
	feed(c, 0, 130, 1);
	feed(c, 0, 190, 1);
	feed(c, 0, 500, 2);
	rows = qz_mt_core__rows(c, &nr);
	CHECK_EQ(nr, 1);
	CHECK_EQ(rows[0]->hist.count, 2);
	CHECK_EQ(rows[0]->hist.sum, 90);
	CHECK_EQ(c->pending.nr, 2);
	free(rows);
	qz_mt_core__free(c);
}

/* A sched_switch of key tid with prev_state, through its role= value. */
static void feed_switch(struct mt_core *c, uint64_t t, uint32_t tid, int64_t prev_state)
{
	uint8_t rec[68];
	QZ_OPTS(qz_sample, smp, .time = t, .tid = tid, .pid = tid, .raw = rec);
	struct qz_event ev = { .sample = &smp, .index = 0 };

	smp.raw_size = (uint32_t)rec_sched_switch(rec, "a", (int32_t)tid, 120, prev_state,
						  "b", 0, 120);
	qz_mt_core__event(c, &ev, qz_mt_core__key(c, &ev), qz_mt_core__role(c, &ev));
}

static uint64_t cycle_pairs(const struct qz_filter *role, uint64_t *sum)
{
	struct mt_event_cfg evs[1] = { { .pos = 0, .role = role } };
	struct seen s = { 0 };
	struct mt_core *c = core(evs, 1, 1, true, 0, 0, &s);
	struct mt_row **rows;
	uint64_t calls;
	size_t nr;

	feed_switch(c, 100, 7, 1);
	feed_switch(c, 150, 7, 1);
	feed_switch(c, 400, 7, 0);
	feed_switch(c, 500, 7, 0);
	rows = qz_mt_core__rows(c, &nr);
	calls = nr ? rows[0]->hist.count : 0;
	*sum = nr ? rows[0]->hist.sum : 0;
	free(rows);
	qz_mt_core__free(c);
	return calls;
}

static void test_role(void)
{
	struct qz_tp *tp = test_tp();
	struct qz_filter *role = qz_filter__compile("prev_state == 1 ? 1 : 2",
						    qz_tp__event(tp, "sched", "sched_switch"), NULL);
	uint64_t sum = 0;

	CHECK(role != NULL);
	/* Without role=: 100->150, 150->400, 400->500. */
	CHECK_EQ(cycle_pairs(NULL, &sum), 3);
	CHECK_EQ(sum, 400);
	/*
	 * role: a sleep (state 1) is only an event1, the others only event2:
	 * 150 replaces 100, 400 closes it, 500 finds nothing pending.
	 */
	CHECK_EQ(cycle_pairs(role, &sum), 1);
	CHECK_EQ(sum, 250);
	qz_filter__free(role);
	qz_tp__free(tp);
}

static void test_cap(void)
{
	/* at most 4 pending keys: the oldest are evicted and never pair */
	struct mt_event_cfg evs[2] = { { .pos = 0 }, { .pos = 1 } };
	struct seen s = { 0 };
	struct mt_core *c = core(evs, 2, 2, false, 1, 4, &s);
	struct mt_row **rows;
	size_t nr;

	for (uint32_t k = 1; k <= 10; k++)
		feed(c, 0, k, k);
	CHECK_EQ(c->pending.nr, 4);
	CHECK_EQ(c->pending.evicted, 6);
	for (uint32_t k = 1; k <= 10; k++)
		feed(c, 1, 100 + k, k);
	rows = qz_mt_core__rows(c, &nr);
	CHECK_EQ(rows[0]->hist.count, 4);	/* keys 7..10 only */
	CHECK_EQ(rows[0]->hist.min, 100);
	CHECK_EQ(s.outliers, 4);
	free(rows);
	qz_mt_core__free(c);
}

static void test_reltab(void)
{
	struct reltab t;

	CHECK_EQ(qz_reltab__init(&t, 100000, NULL, NULL), 0);
	for (uint64_t k = 0; k < 50000; k++) {
		struct reltab_entry *e = qz_reltab__insert(&t, k * 4096);

		e->aux = k;
	}
	for (uint64_t k = 0; k < 50000; k += 2)
		qz_reltab__remove(&t, reltab_find(&t, k * 4096));
	CHECK_EQ(t.nr, 25000);
	CHECK(reltab_find(&t, 2 * 4096) == NULL);
	CHECK_EQ(reltab_find(&t, 3 * 4096)->aux, 3);
	/* the age list is oldest first */
	CHECK_EQ(reltab_first(&t)->aux, 1);
	qz_reltab__touch(&t, reltab_find(&t, 4096));
	CHECK_EQ(reltab_first(&t)->aux, 3);
	qz_reltab__free(&t, NULL);
}

int main(void)
{
	RUN(test_chain);
	RUN(test_cycle_and_replace);
	RUN(test_cap);
	RUN(test_role);
	RUN(test_reltab);
	return test_result();
}
