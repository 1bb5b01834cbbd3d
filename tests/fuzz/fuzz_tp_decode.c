// SPDX-License-Identifier: MIT
/*
 * Arbitrary bytes as a raw record of an embedded format: the first byte
 * picks the event (and whether common_type is forced to match it, so the
 * print path is reached), the rest is the record. Field readers, the
 * print fmt, JSON and compiled filters must stay inside the record.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/filter.h>
#include <quazar/json.h>
#include <quazar/tp.h>
#include "../tp/records.h"

static const struct {
	const char *sys, *name, *filter;
} events[] = {
	{ "sched", "sched_switch", "next_pid<next_prio && prev_comm ~ \"b*\" || prev_state & 2" },
	{ "sched", "sched_wakeup", "comm == \"x\" || pid / prio > target_cpu % 3" },
	{ "sched", "sched_process_exec", "filename ~ \"*ls\" && pid != old_pid" },
	{ "kmem", "kmalloc", "bytes_alloc - bytes_req > 64 && call_site > ptr" },
	{ "bridge", "br_fdb_add", "dev == \"br0\" && addr[5] == vid >> 8" },
	{ "raw_syscalls", "sys_enter", "args[0] << id == args[5] || id == 110" },
	{ "test", "rel_test", "msg ~ \"h?llo\" && val < -1" },
};

#define NR_EVENTS (sizeof(events) / sizeof(events[0]))

static struct qz_tp *tp;
static struct qz_filter *filters[NR_EVENTS];
static struct qz_json *json;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qz_tp_event *ev;
	uint8_t *raw;
	char out[256];
	unsigned pick;

	if (!tp) {
		tp = test_tp();
		json = qz_json__new();
		if (!tp || !json)
			abort();
		for (size_t i = 0; i < NR_EVENTS; i++) {
			filters[i] = qz_filter__compile(events[i].filter,
							qz_tp__event(tp, events[i].sys, events[i].name),
							NULL);
			if (!filters[i])
				abort();
		}
	}
	if (!size)
		return 0;
	pick = data[0];
	data++;
	size--;
	/* An exact-size copy so ASan sees any read past the record. */
	raw = malloc(size ? size : 1);
	if (!raw)
		return 0;
	memcpy(raw, data, size);
	ev = qz_tp__event(tp, events[pick % NR_EVENTS].sys, events[pick % NR_EVENTS].name);
	if ((pick & 0x80) && size >= 2) {
		uint16_t id = (uint16_t)qz_tp_event__id(ev);

		memcpy(raw, &id, 2);
	}

	for (int i = 0; i < qz_tp_event__nr_fields(ev); i++) {
		const struct qz_tp_field *f = qz_tp_event__field_at(ev, i);
		const void *p;
		size_t len, n;

		qz_tp_field__u64(f, raw, size);
		qz_tp_field__s64(f, raw, size);
		if (!qz_tp_field__data(f, raw, size, &p, &len) && len)
			out[0] = *((const char *)p + len - 1);
		qz_tp_field__str(f, raw, size, &len);
		n = qz_tp_field__nr_elems(f, raw, size);
		for (size_t k = 0; k <= n && k < 64; k++)
			qz_tp_field__elem_s64(f, raw, size, k);
	}
	qz_tp_event__check(ev, raw, size);
	qz_tp_event__print(ev, raw, size, out, sizeof(out));
	qz_json__reset(json);
	qz_json__begin_object(json);
	qz_tp_event__write_json(ev, raw, size, json, QZ_TP_JSON_COMMON);
	qz_json__end_object(json);
	qz_filter__match(filters[pick % NR_EVENTS], raw, size);
	free(raw);
	return 0;
}
