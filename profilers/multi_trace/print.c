// SPDX-License-Identifier: MIT
/* Printing events kept by multi-trace (outliers, details, unpaired). */
#include <inttypes.h>
#include <quazar/session.h>
#include <quazar/tasks.h>
#include <quazar/tp.h>
#include "print.h"
#include "callchain.h"
#include "folded.h"

static const char *comm_of(struct qz_session *s, uint32_t tid)
{
	struct qz_tasks *tasks = s ? qz_session__tasks(s) : NULL;
	const char *comm = tasks ? qz_tasks__comm(tasks, (pid_t)tid) : NULL;

	return comm ? comm : "";
}

/* Event names without their "sys:" part, as perf-prof shows them. */
const char *qz_mt__short_name(struct qz_session *s, int index)
{
	const char *name = qz_session__event_name(s, index);
	const struct qz_event_spec *spec = qz_session__spec(s, index);
	const char *colon = strchr(name, ':');

	if (spec->alias || spec->kind != QZ_SPEC_TRACEPOINT || !colon)
		return name;
	return colon + 1;
}

void qz_mt__print_text(struct mt_printer *p, const struct mt_rec *r,
		   const char *mark, FILE *f)
{
	struct qz_tp_event *tp = qz_session__tp_event(p->session, r->index);
	struct qz_sample smp;

	qz_mt_rec__sample(r, &smp);
	fprintf(f, "%s%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64 ": %s: ", mark,
		comm_of(p->session, r->tid), r->pid, r->tid, r->cpu,
		r->time / 1000000000, r->time % 1000000000 / 1000,
		qz_session__event_name(p->session, r->index));
	if (tp && smp.raw_size) {
		qz_tp_event__print(tp, smp.raw, smp.raw_size, p->line, sizeof(p->line));
		fputs(p->line, f);
	}
	fputc('\n', f);
	if (smp.callchain_nr && p->stacks)
		qz_stack_printer__text(p->stacks, &smp, f);
	if (smp.callchain_nr && p->flame)
		qz_folded__add(p->flame, comm_of(p->session, r->tid), &smp);
}

void qz_mt__print_json(struct mt_printer *p, const struct mt_rec *r,
		   struct qz_json *j)
{
	struct qz_tp_event *tp = qz_session__tp_event(p->session, r->index);
	struct qz_sample smp;

	qz_mt_rec__sample(r, &smp);
	qz_json__begin_object(j);
	qz_json__key_u64(j, "time", r->time);
	qz_json__key_str(j, "event", qz_session__event_name(p->session, r->index));
	qz_json__key_u64(j, "cpu", r->cpu);
	qz_json__key_u64(j, "pid", r->pid);
	qz_json__key_u64(j, "tid", r->tid);
	qz_json__key_str(j, "comm", comm_of(p->session, r->tid));
	if (tp && smp.raw_size) {
		qz_json__key(j, "fields");
		qz_json__begin_object(j);
		qz_tp_event__write_json(tp, smp.raw, smp.raw_size, j, 0);
		qz_json__end_object(j);
	}
	if (smp.callchain_nr && p->stacks) {
		qz_json__key(j, "stack");
		qz_stack_printer__json(p->stacks, &smp, j);
	}
	if (smp.callchain_nr && p->flame)
		qz_folded__add(p->flame, comm_of(p->session, r->tid), &smp);
	qz_json__end_object(j);
}

void qz_mt__fmt_us(uint64_t ns, char *buf, size_t len)
{
	snprintf(buf, len, "%" PRIu64 ".%03" PRIu64, ns / 1000, ns % 1000);
}
