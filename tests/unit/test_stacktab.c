// SPDX-License-Identifier: MIT
/*
 * Raw stacks counted by value (pid, generation, comm, callchain), the
 * bound that drops and counts, and the string counts' top-k, which must
 * be the prefix of the full sort.
 */
#include <errno.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include "stacktab.h"
#include "strcount.h"
#include "../test.h"

static void test_counts(void)
{
	struct qz_stacktab *t = qz_stacktab__new(3);
	uint64_t a[] = { PERF_CONTEXT_USER, 0x1000, 0x2000 };
	uint64_t b[] = { PERF_CONTEXT_USER, 0x1000, 0x2008 };
	const struct qz_stack_entry *e;
	uint64_t total = 0;
	size_t cur = 0, n = 0;

	CHECK(t);
	CHECK_EQ(qz_stacktab__add(t, 10, 1, "app", a, 3, 1), 0);
	CHECK_EQ(qz_stacktab__add(t, 10, 1, "app", a, 3, 2), 0);
	CHECK_EQ(qz_stacktab__add(t, 10, 1, "app", b, 3, 1), 0);	/* another stack */
	CHECK_EQ(qz_stacktab__add(t, 10, 2, "app", a, 3, 1), 0);	/* another generation */
	CHECK_EQ(qz_stacktab__nr(t), 3);
	/* The bound: a new stack is dropped and counted, a known one still counts. */
	CHECK_EQ(qz_stacktab__add(t, 10, 1, "other", a, 3, 5), -ENOSPC);
	CHECK_EQ(qz_stacktab__add(t, 10, 1, "app", a, 3, 1), 0);
	CHECK_EQ(qz_stacktab__dropped(t), 5);
	CHECK_EQ(qz_stacktab__samples(t), 6);
	while ((e = qz_stacktab__next(t, &cur))) {
		n++;
		total += e->count;
		if (e->gen == 1 && e->ips[2] == 0x2000)
			CHECK_EQ(e->count, 4);
		CHECK_STR(e->comm, "app");
	}
	CHECK_EQ(n, 3);
	CHECK_EQ(total, 6);
	qz_stacktab__reset(t);
	cur = 0;
	CHECK(!qz_stacktab__next(t, &cur));
	CHECK_EQ(qz_stacktab__dropped(t), 0);
	/* One address: user or kernel by its half. */
	CHECK_EQ(qz_stacktab__add_ip(t, 1, 1, "k", 0xffffffff81000000ull, 1), 0);
	cur = 0;
	e = qz_stacktab__next(t, &cur);
	CHECK(e && e->nr == 2 && e->ips[0] == PERF_CONTEXT_KERNEL);
	qz_stacktab__free(t);
	qz_stacktab__free(NULL);
}

/* Many stacks: the table grows, every count is kept. */
static void test_growth(void)
{
	struct qz_stacktab *t = qz_stacktab__new(0);
	uint64_t chain[4] = { PERF_CONTEXT_USER, 0, 0x400000, 0x400100 };
	const struct qz_stack_entry *e;
	uint64_t total = 0;
	size_t cur = 0;

	for (int round = 0; round < 2; round++)
		for (uint64_t i = 0; i < 50000; i++) {
			chain[1] = 0x401000 + i;
			CHECK_EQ(qz_stacktab__add(t, 7, 3, "many", chain, 4, 1), 0);
		}
	CHECK_EQ(qz_stacktab__nr(t), 50000);
	while ((e = qz_stacktab__next(t, &cur)))
		total += e->count == 2;
	CHECK_EQ(total, 50000);
	qz_stacktab__free(t);
}

static void test_top(void)
{
	struct strcount *sc = qz_strcount__new();
	struct strcount_entry *all, *top;
	size_t nr_all, nr_top;
	char key[64];

	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "stack;%d", i);
		qz_strcount__add(sc, key, (uint64_t)(i * 7919 % 1000));	/* ties too */
	}
	all = qz_strcount__sorted(sc, &nr_all);
	top = qz_strcount__top(sc, 10, &nr_top);
	CHECK_EQ(nr_all, 5000);
	CHECK_EQ(nr_top, 10);
	for (size_t i = 0; all && top && i < nr_top; i++) {
		CHECK_STR(top[i].key, all[i].key);
		CHECK_EQ(top[i].count, all[i].count);
	}
	for (size_t i = 1; all && i < nr_all; i++)
		CHECK(all[i - 1].count >= all[i].count);
	free(all);
	free(top);
	top = qz_strcount__top(sc, 0, &nr_top);
	CHECK(top && nr_top == 0);
	free(top);
	qz_strcount__reset(sc);
	top = qz_strcount__top(sc, 10, &nr_top);
	CHECK(top && nr_top == 0);
	free(top);
	qz_strcount__free(sc);
}

int main(void)
{
	RUN(test_counts);
	RUN(test_growth);
	RUN(test_top);
	return test_result();
}
