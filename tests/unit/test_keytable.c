// SPDX-License-Identifier: MIT
/*
 * top's keyed table: one row per key whatever the order keys come in, runs
 * of one key (its last-row shortcut) included, across growth and resets.
 */
#include <stdint.h>
#include <stdlib.h>
#include "keytable.h"
#include "../test.h"

#define NR_KEYS 5000	/* grows 1024 -> 8192 */

static void test_rows(void)
{
	static uint64_t counts[NR_KEYS];
	struct keytable t;
	struct keytable_row **rows, *r;
	uint64_t rng = 0x9e3779b97f4a7c15ull, total = 0;
	size_t nr;

	CHECK_EQ(qz_keytable__init(&t), 0);
	for (int i = 0; i < 200000; i++) {
		uint64_t key;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		/* runs of one key, and keys spread wide enough to grow */
		key = (rng >> 8) % NR_KEYS;
		for (uint64_t n = rng % 4; n < 4; n++) {
			r = qz_keytable__get(&t, key * 7919);
			if (!r || r->key != key * 7919) {
				test_failures++;
				break;
			}
			r->count++;
			counts[key]++;
		}
	}
	CHECK(t.cap > 1024);
	rows = qz_keytable__sorted(&t, -1, &nr);
	CHECK(rows != NULL);
	for (size_t i = 0; rows && i < nr; i++) {
		CHECK_EQ(rows[i]->count, counts[rows[i]->key / 7919]);
		total += rows[i]->count;
	}
	for (int k = 0; k < NR_KEYS; k++)
		total -= counts[k];
	CHECK_EQ(total, 0);
	free(rows);

	/* After a reset the last row is gone with the others: key 0 (pid 0)
	 * too, which a cleared row would otherwise match. */
	r = qz_keytable__get(&t, 0);
	r->count = 9;
	qz_keytable__reset(&t);
	r = qz_keytable__get(&t, 0);
	CHECK(r != NULL);
	CHECK_EQ(r->count, 0);
	CHECK(r->used);
	CHECK_EQ(t.nr, 1);
	qz_keytable__free(&t);
}

int main(void)
{
	RUN(test_rows);
	return test_result();
}
