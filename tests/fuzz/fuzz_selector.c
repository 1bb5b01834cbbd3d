// SPDX-License-Identifier: MIT
/*
 * Arbitrary text as a selector (twice, so appends and rollbacks run; and
 * with profilers as event sources), as a filter compiled against
 * sched_switch and matched on a record, as an expression (variables,
 * casts, calls, string values) evaluated over a sample, as a printkey=
 * with printf, and through the caret formatter. Nothing may crash, leak or
 * read out of bounds; parse errors must point inside the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/filter.h>
#include <quazar/select.h>
#include <quazar/tp.h>
#include "../tp/records.h"

static struct qz_tp *tp;
static uint8_t rec[128];
static size_t rec_size;

static const char *fake_ksymbol(uint64_t addr, void *ctx)
{
	(void)ctx;
	return addr & 1 ? "schedule" : NULL;
}

static const char *fake_comm(int pid, void *ctx)
{
	(void)ctx;
	return pid > 0 ? "bash" : NULL;
}

/* The text as an expression over the sample, and as a printkey=. */
static void expressions(const char *text, size_t len)
{
	QZ_OPTS(qz_filter_opts, vopts, .ksymbol = fake_ksymbol, .comm = fake_comm,
		.period = 7, .flags = QZ_FILTER_VALUE);
	QZ_OPTS(qz_filter_opts, kopts, .flags = QZ_FILTER_KEY | QZ_FILTER_PRINTF);
	struct qz_sample smp = {
		.sz = sizeof(smp), .type = PERF_SAMPLE_CPU, .cpu = 1, .pid = 2, .tid = 3,
		.time = 4, .raw = rec, .raw_size = (uint32_t)rec_size,
	};
	struct qz_parse_error err;
	struct qz_filter *f;
	char out[64];

	f = qz_filter__compile_opts(text, qz_tp__event(tp, "sched", "sched_switch"), &vopts, &err);
	if (f) {
		qz_filter__match_sample(f, &smp);
		qz_filter__eval_sample(f, &smp);
		qz_filter__eval_str(f, &smp, 0, out, sizeof(out));
		qz_filter__eval_str(f, &smp, 0, out, 3);
		smp.raw_size /= 2;
		qz_filter__eval_str(f, &smp, 0, out, sizeof(out));
		qz_filter__free(f);
	} else if (err.column < 0 || (size_t)err.column > len) {
		abort();
	}
	f = qz_filter__compile_opts(text, NULL, &kopts, &err);
	if (f) {
		qz_filter__eval_str(f, NULL, 0xffffffff00000007ull, out, sizeof(out));
		qz_filter__eval_str(f, NULL, 42, out, 1);
		qz_filter__free(f);
	} else if (err.column < 0 || (size_t)err.column > len) {
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	struct qz_filter *f;
	char *text, out[1024];
	size_t len;

	if (!tp) {
		tp = test_tp();
		if (!tp)
			abort();
		rec_size = rec_sched_switch(rec, "bash", 100, 120, 1, "kworker/0:1", 5, 100);
	}
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	len = strlen(text);

	if (qz_selector__parse(&sel, text, &err)) {
		if (err.column < 0 || (size_t)err.column > len)
			abort();
		if (sel.nr_events)
			abort();
	}
	if (qz_selector__parse(&sel, text, &err) && (err.column < 0 || (size_t)err.column > len))
		abort();
	qz_parse_error__format(&err, text, out, sizeof(out));
	qz_selector__clear(&sel);
	if (qz_selector__parse_flags(&sel, text, QZ_SELECTOR_PROFILERS, &err) &&
	    (err.column < 0 || (size_t)err.column > len || sel.nr_events))
		abort();
	for (int i = 0; i < sel.nr_events; i++)
		if (sel.events[i].kind == QZ_SPEC_PROFILER &&
		    (!sel.events[i].name || sel.events[i].filter))
			abort();
	qz_selector__clear(&sel);
	expressions(text, len);

	if (qz_filter__text_needs_user_space(text, &err) < 0 &&
	    (err.column < 0 || (size_t)err.column > len))
		abort();
	f = qz_filter__compile(text, qz_tp__event(tp, "sched", "sched_switch"), &err);
	if (f) {
		qz_filter__match(f, rec, rec_size);
		qz_filter__match(f, rec, rec_size / 2);
		qz_filter__needs_user_space(f);
		qz_filter__free(f);
	} else if (err.column < 0 || (size_t)err.column > len) {
		abort();
	}
	free(text);
	return 0;
}
