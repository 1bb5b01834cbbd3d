// SPDX-License-Identifier: MIT
/*
 * faults [OBJ [SECONDS [EVENT]]]: what `quazar bpf OBJ -e EVENT` does
 * (EVENT: 'page-faults//freq=50/'), on libquazar-bpf: faults.bpf.o on
 * every CPU's event, its records counted and its maps printed every second.
 * Build: cc faults.c $(pkg-config --cflags --libs libquazar-bpf)
 */
#include <stdio.h>
#include <stdlib.h>
#include <quazar/bpf.h>
#include <quazar/evlist.h>
#include <quazar/select.h>

static void on_record(const struct qz_bpf_record *rec, void *ctx)
{
	(void)rec;
	++*(unsigned long *)ctx;
}

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	if (level <= QZ_LOG_WARN)
		fprintf(stderr, "faults: %s\n", msg);
	(void)ctx;
}

int main(int argc, char **argv)
{
	unsigned long records = 0;
	QZ_OPTS(qz_bpf_opts, opts, .on_record = on_record, .ctx = &records, .log = on_log);
	struct qz_bpf *bpf = qz_bpf__open(argc > 1 ? argv[1] : "faults.bpf.o", &opts);
	struct qz_evlist *evlist = qz_evlist__new(NULL);
	struct qz_selector sel = { 0 };
	struct qz_parse_error perr;
	int seconds = argc > 2 ? atoi(argv[2]) : 5;

	if (!bpf || !evlist ||
	    qz_selector__parse(&sel, argc > 3 ? argv[3] : "page-faults//freq=50/", &perr) ||
	    qz_evlist__add(evlist, qz_evsel__new_from_spec(&sel.events[0], NULL)) ||
	    qz_bpf__attach(bpf, evlist) || qz_evlist__open(evlist) || qz_evlist__enable(evlist))
		return 1;
	for (int i = 1; i <= seconds; i++) {
		qz_bpf__poll(bpf, 1000);
		printf("after %d s: %lu records\n", i, records);
		qz_bpf__maps_print(bpf, stdout);
	}
	qz_evlist__free(evlist);
	qz_bpf__free(bpf);
	qz_selector__clear(&sel);
	return 0;
}
