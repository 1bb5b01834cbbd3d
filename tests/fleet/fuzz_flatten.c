// SPDX-License-Identifier: MIT
/*
 * Flattening on arbitrary bytes, and on a valid report of each type with
 * arbitrary bytes spliced in (so the flatteners run, not only the JSON
 * parser). Nothing may crash or leak, every message must land (in raw or
 * in reports), and each table must hold exactly one line per row: a tab or
 * newline that escaped TabSeparated quoting would split or join rows.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "batch.h"

static const char *const seeds[] = {
	"{\"ts\":1,\"type\":\"stat\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"labels\":{\"a\":\"b\"},\"counters\":"
	"[{\"event\":\"e\",\"value\":1,\"scaled\":1.5,\"running_pct\":100,\"per_cpu\":"
	"[{\"cpu\":0,\"value\":1,\"scaled\":1,\"running_pct\":100}]}]}",
	"{\"ts\":1,\"type\":\"top\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"key\":\"pid\",\"rows\":[{\"pid\":1,"
	"\"comm\":\"x\",\"count\":2,\"runtime\":3}]}",
	"{\"ts\":1,\"type\":\"profile\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"period_ns\":1,\"samples\":1,\"cpus\":"
	"[{\"cpu\":0,\"samples\":1,\"idle\":0,\"busy_pct\":1}],\"functions\":[{\"sym\":"
	"\"f\",\"module\":\"m\",\"samples\":1,\"pct\":1}],\"stacks\":[{\"samples\":1,"
	"\"comm\":\"c\",\"frames\":[\"a\",\"b\"]}]}",
	"{\"ts\":1,\"type\":\"vms\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"alive\":1,\"created\":1,\"destroyed\":0,"
	"\"vms\":[{\"pid\":1,\"comm\":\"q\",\"vms\":1,\"vcpus\":1,\"age_ns\":1}]}",
	"{\"ts\":1,\"type\":\"kmemleak\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"allocs\":1,\"frees\":1,\"leaks\":"
	"[{\"bytes\":1,\"objects\":1,\"stack\":[{\"sym\":\"s\"}]}]}",
	"{\"ts\":1,\"type\":\"event\",\"host\":\"h\",\"collector\":\"c\",\"seq\":1,"
	"\"interval_start\":1,\"interval_end\":2,\"event\":\"e\",\"cpu\":0,\"pid\":1,"
	"\"tid\":1,\"fields\":{\"x\":\"y\"},\"stack\":[{\"addr\":\"0x1\"}]}",
};

static void check(const struct qz_fleet_batch *b, uint64_t messages)
{
	uint64_t landed = b->nrows[QZ_FT_RAW] + b->nrows[QZ_FT_REPORTS];

	if (b->messages != messages || landed < messages)
		abort();
	for (int t = 0; t < QZ_FT_NR; t++) {
		uint64_t lines = 0;

		for (size_t i = 0; i < b->rows[t].len; i++)
			lines += b->rows[t].data[i] == '\n';
		if (lines != b->nrows[t] || b->rows[t].err)
			abort();
		if (b->rows[t].len && b->rows[t].data[b->rows[t].len - 1] != '\n')
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qz_fleet_origin o = { "t", 0, 1 };
	struct qz_fleet_batch b;
	const char *seed;
	size_t slen, at;
	char *text;

	qz_fleet_batch__init(&b);
	qz_fleet_batch__add(&b, (const char *)data, size, &o);
	check(&b, 1);
	if (size >= 3) {
		seed = seeds[data[0] % (sizeof(seeds) / sizeof(seeds[0]))];
		slen = strlen(seed);
		at = ((size_t)data[1] | (size_t)data[2] << 8) % (slen + 1);
		text = malloc(slen + size);
		if (text) {
			/* The seed with the input put in at a place, replacing as much. */
			memcpy(text, seed, at);
			memcpy(text + at, data + 3, size - 3);
			if (at + size - 3 < slen)
				memcpy(text + at + size - 3, seed + at + size - 3,
				       slen - at - (size - 3));
			qz_fleet_batch__add(&b, text, at + size - 3 < slen ? slen : at + size - 3, &o);
			check(&b, 2);
			free(text);
		}
	}
	qz_fleet_batch__release(&b);
	return 0;
}
