// SPDX-License-Identifier: MIT
/* One event as a trace line or JSON members (evline.h). */
#include <inttypes.h>
#include <quazar/tp.h>
#include "evline.h"

void qz_evline__text(struct evline *l, const struct qz_event *ev, FILE *f)
{
	const struct qz_sample *smp = ev->sample;

	fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64 ": %s: ",
		qz_event__comm(ev), smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
		smp->time % 1000000000 / 1000,
		qz_session__event_name(ev->session, ev->index));
	if (ev->tp && smp->raw_size) {
		qz_tp_event__print(ev->tp, smp->raw, smp->raw_size, l->buf, sizeof(l->buf));
		fputs(l->buf, f);
	}
	fputc('\n', f);
	if (smp->callchain_nr && l->stacks)
		qz_stack_printer__text(l->stacks, smp, f);
}

void qz_evline__json(struct evline *l, const struct qz_event *ev, struct qz_json *j)
{
	const struct qz_sample *smp = ev->sample;

	qz_json__key_u64(j, "time", smp->time);
	qz_event__json_header(ev, j);
	if (ev->tp && smp->raw_size) {
		qz_json__key(j, "fields");
		qz_json__begin_object(j);
		qz_tp_event__write_json(ev->tp, smp->raw, smp->raw_size, j, 0);
		qz_json__end_object(j);
	}
	if (smp->callchain_nr && l->stacks) {
		qz_json__key(j, "stack");
		qz_stack_printer__json(l->stacks, smp, j);
	}
}
