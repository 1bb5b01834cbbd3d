// SPDX-License-Identifier: MIT
/*
 * What an event is made of, for `quazar list -v EVENT` and perf-prof's
 * `quazar trace -e EVENT help`: a tracepoint's fields (name, C type,
 * offset, size, sign) and its print format; what a hardware or software
 * event is; a profiler's options when the selector names one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/json.h>
#include <quazar/select.h>
#include <quazar/tp.h>
#include "profiler.h"
#include "commands.h"

#define VARIABLES "_cpu, _pid, _tid, _time, _period"

struct describer {
	struct qz_tp *tp;
	bool json;
	struct qz_json *j;
	int shown;
};

/* The kernel's "print fmt:" line of the event's format file, or "". */
static void print_fmt(struct describer *d, const char *sys, const char *name,
		      char *buf, size_t len)
{
	const char *dir = qz_tp__tracing_dir(d->tp);
	char path[1024], line[8192];
	FILE *f;

	buf[0] = '\0';
	if (!dir)
		return;
	snprintf(path, sizeof(path), "%s/events/%s/%s/format", dir, sys, name);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "print fmt: ", 11)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(buf, len, "%s", line + 11);
			break;
		}
	}
	fclose(f);
}

static void emit_json(struct describer *d)
{
	qz_json__newline(d->j);
	fputs(qz_json__data(d->j), stdout);
	qz_json__reset(d->j);
}

static int describe_tp(const char *sys, const char *name, void *ctx)
{
	struct describer *d = ctx;
	struct qz_tp_event *ev = qz_tp__event(d->tp, sys, name);
	char fmt[8192];

	if (!ev) {
		fprintf(stderr, "quazar: cannot read the format of %s:%s: %s\n", sys, name,
			qz_strerror(-errno));
		return 0;
	}
	d->shown++;
	print_fmt(d, sys, name, fmt, sizeof(fmt));
	if (d->json) {
		char full[512];

		qz_json__begin_object(d->j);
		qz_json__key_str(d->j, "type", "event_format");
		snprintf(full, sizeof(full), "%s:%s", sys, name);
		qz_json__key_str(d->j, "name", full);
		qz_json__key_str(d->j, "kind", "Tracepoint event");
		qz_json__key_i64(d->j, "id", qz_tp_event__id(ev));
		qz_json__key(d->j, "fields");
		qz_json__begin_array(d->j);
		for (int i = 0; i < qz_tp_event__nr_fields(ev); i++) {
			const struct qz_tp_field *f = qz_tp_event__field_at(ev, i);
			unsigned fl = qz_tp_field__flags(f);

			qz_json__begin_object(d->j);
			qz_json__key_str(d->j, "name", qz_tp_field__name(f));
			qz_json__key_str(d->j, "type", qz_tp_field__type(f));
			qz_json__key_u64(d->j, "offset", qz_tp_field__offset(f));
			qz_json__key_u64(d->j, "size", qz_tp_field__size(f));
			qz_json__key_bool(d->j, "signed", fl & QZ_TP_FIELD_SIGNED);
			qz_json__key_bool(d->j, "string", fl & QZ_TP_FIELD_STRING);
			qz_json__key_bool(d->j, "common", fl & QZ_TP_FIELD_COMMON);
			qz_json__end_object(d->j);
		}
		qz_json__end_array(d->j);
		qz_json__key_str(d->j, "print_fmt", fmt);
		qz_json__end_object(d->j);
		emit_json(d);
		return 0;
	}
	printf("%s:%s [Tracepoint event] id %d\n", sys, name, qz_tp_event__id(ev));
	printf("    %-24s %-28s %6s %5s\n", "FIELD", "TYPE", "OFFSET", "SIZE");
	for (int i = 0; i < qz_tp_event__nr_fields(ev); i++) {
		const struct qz_tp_field *f = qz_tp_event__field_at(ev, i);
		unsigned fl = qz_tp_field__flags(f);

		printf("    %-24s %-28s %6u %5u  %s%s%s\n", qz_tp_field__name(f),
		       qz_tp_field__type(f), qz_tp_field__offset(f), qz_tp_field__size(f),
		       fl & QZ_TP_FIELD_SIGNED ? "signed" : "unsigned",
		       fl & QZ_TP_FIELD_STRING ? ", string" :
		       fl & QZ_TP_FIELD_ARRAY ? ", array" : "",
		       fl & QZ_TP_FIELD_DYNAMIC ? ", dynamic" : "");
	}
	printf("    print fmt: %s\n", fmt[0] ? fmt : "(none)");
	printf("    filters and expressions read these fields and " VARIABLES "\n\n");
	return 0;
}

static void describe_other(struct describer *d, const struct qz_event_spec *spec,
			   const char *kind, const char *what)
{
	d->shown++;
	if (d->json) {
		qz_json__begin_object(d->j);
		qz_json__key_str(d->j, "type", "event_format");
		qz_json__key_str(d->j, "name", spec->text);
		qz_json__key_str(d->j, "kind", kind);
		qz_json__key(d->j, "fields");
		qz_json__begin_array(d->j);
		qz_json__end_array(d->j);
		qz_json__key_str(d->j, "about", what);
		qz_json__end_object(d->j);
		emit_json(d);
		return;
	}
	printf("%s [%s]\n    %s\n    no fields: expressions read " VARIABLES "\n\n",
	       spec->text, kind, what);
}

static int describe_spec(struct describer *d, const struct qz_event_spec *spec)
{
	char pattern[512], what[256];
	const struct qz_profiler *prof;
	int ret;

	switch (spec->kind) {
	case QZ_SPEC_TRACEPOINT:
		snprintf(pattern, sizeof(pattern), "%s:%s", spec->sys, spec->name);
		ret = qz_tp__expand(d->tp, pattern, describe_tp, d);
		if (ret < 0) {
			char hint[512] = "";

			qz_tp__suggest(d->tp, pattern, hint, sizeof(hint));
			fprintf(stderr, "quazar: unknown tracepoint '%s'%s%s\n", pattern,
				hint[0] ? ": " : "", hint);
			return ret;
		}
		return 0;
	case QZ_SPEC_HARDWARE:
	case QZ_SPEC_SOFTWARE:
		snprintf(what, sizeof(what), "%s event %s, config %llu; samples carry the period",
			 spec->kind == QZ_SPEC_HARDWARE ? "PERF_TYPE_HARDWARE" : "PERF_TYPE_SOFTWARE",
			 spec->name, (unsigned long long)spec->config);
		describe_other(d, spec, spec->kind == QZ_SPEC_HARDWARE ? "Hardware event" :
									"Software event", what);
		return 0;
	case QZ_SPEC_PMU:
		snprintf(what, sizeof(what), "PMU %s with terms %s", spec->sys,
			 spec->pmu_terms ? spec->pmu_terms : "");
		describe_other(d, spec, "PMU event", what);
		return 0;
	case QZ_SPEC_UPROBE:
	case QZ_SPEC_URETPROBE:
		snprintf(what, sizeof(what), "%s:%s; ptr=/size= read registers (rdi/$arg1, rax/$retval)",
			 spec->path, spec->name);
		describe_other(d, spec, "Uprobe event", what);
		return 0;
	case QZ_SPEC_PROFILER:
		prof = qz_profiler__find(spec->name);
		if (!prof) {
			fprintf(stderr, "quazar: '%s' is no event nor profiler; 'quazar list' lists events\n",
				spec->name);
			return -QZ_ERR_UNKNOWN_EVENT;
		}
		d->shown++;
		if (d->json) {
			describe_other(d, spec, "Profiler", prof->help);
			return 0;
		}
		printf("%s [Profiler%s]\n", spec->text,
		       prof->nest ? ": runs inside another, its events joining" : ": cannot run inside another");
		qz_profiler__usage(prof, stdout);
		printf("\n");
		return 0;
	}
	return 0;
}

int describe_events(const char *selector, bool json)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	struct describer d = { .json = json };
	char diag[1024];
	int ret = 0;

	if (qz_selector__parse_flags(&sel, selector, QZ_SELECTOR_PROFILERS, &err)) {
		qz_parse_error__format(&err, selector, diag, sizeof(diag));
		fprintf(stderr, "quazar: bad event selector:\n%s\n", diag);
		return -QZ_ERR_SELECTOR;
	}
	d.tp = qz_tp__new(NULL);
	d.j = qz_json__new();
	if (!d.tp || !d.j) {
		fprintf(stderr, "quazar: cannot read tracepoint formats (tracefs): %s; are you root?\n",
			qz_strerror(-errno));
		ret = -ENODEV;
	}
	for (int i = 0; !ret && i < sel.nr_events; i++)
		ret = describe_spec(&d, &sel.events[i]);
	qz_json__free(d.j);
	qz_tp__free(d.tp);
	qz_selector__clear(&sel);
	return ret;
}
