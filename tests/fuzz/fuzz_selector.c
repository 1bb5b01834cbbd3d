// SPDX-License-Identifier: MIT
/*
 * Arbitrary text as a selector (twice, so appends and rollbacks run), as a
 * filter compiled against sched_switch and matched on a record, and
 * through the caret formatter. Nothing may crash, leak or read out of
 * bounds; parse errors must point inside the text.
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
