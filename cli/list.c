// SPDX-License-Identifier: MIT
/*
 * `quazar list [PATTERN]`: tracepoints, hardware and software events and
 * PMUs, like `perf list`; PATTERN matches anywhere in a name, as
 * perf-prof's does, and may be a glob ('sched:*'). `list -v EVENT...`
 * shows what each event is made of (describe.c).
 */
#include <dirent.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tracefs.h>
#include <quazar/attr.h>
#include <quazar/json.h>
#include "commands.h"

struct lister {
	const char *glob;	/* *PATTERN*: anywhere in the name */
	bool json;
	struct qz_json *j;
	int shown;
};

static void show(struct lister *l, const char *name, const char *kind)
{
	if (l->glob && fnmatch(l->glob, name, 0))
		return;
	l->shown++;
	if (!l->json) {
		printf("  %-52s [%s]\n", name, kind);
		return;
	}
	qz_json__reset(l->j);
	qz_json__begin_object(l->j);
	qz_json__key_str(l->j, "type", "event_name");
	qz_json__key_str(l->j, "name", name);
	qz_json__key_str(l->j, "kind", kind);
	qz_json__end_object(l->j);
	qz_json__newline(l->j);
	fputs(qz_json__data(l->j), stdout);
}

static void list_named(struct lister *l)
{
	size_t nr;
	const struct qz_event_name *names = qz_event_names(&nr);

	for (size_t i = 0; i < nr; i++)
		show(l, names[i].name, names[i].type == PERF_TYPE_HARDWARE ?
				       "Hardware event" : "Software event");
}

/* Each PMU, and the named events its sysfs folder lists (msr/tsc/). */
static void list_pmus(struct lister *l)
{
	const char *root = "/sys/bus/event_source/devices";
	DIR *d = opendir(root);
	struct dirent *de;
	char name[600];

	if (!d)
		return;
	while ((de = readdir(d))) {
		DIR *events;
		struct dirent *ev;

		if (de->d_name[0] == '.')
			continue;
		snprintf(name, sizeof(name), "%s//", de->d_name);
		show(l, name, "PMU");
		snprintf(name, sizeof(name), "%s/%s/events", root, de->d_name);
		events = opendir(name);
		while (events && (ev = readdir(events))) {
			/* foo.scale and foo.unit describe foo. */
			if (ev->d_name[0] == '.' || strchr(ev->d_name, '.'))
				continue;
			snprintf(name, sizeof(name), "%s/%s/", de->d_name, ev->d_name);
			show(l, name, "Kernel PMU event");
		}
		if (events)
			closedir(events);
	}
	closedir(d);
}

static int list_tracepoints(struct lister *l)
{
	char **systems;

	/* tracefs_tracing_dir() mounts tracefs when it is missing. */
	if (!tracefs_tracing_dir()) {
		fprintf(stderr, "quazar list: tracefs is not available (are you root?)\n");
		return -1;
	}
	systems = tracefs_event_systems(NULL);
	for (int s = 0; systems && systems[s]; s++) {
		char **events = tracefs_system_events(NULL, systems[s]);
		char name[512];

		for (int e = 0; events && events[e]; e++) {
			snprintf(name, sizeof(name), "%s:%s", systems[s], events[e]);
			show(l, name, "Tracepoint event");
		}
		tracefs_list_free(events);
	}
	tracefs_list_free(systems);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	struct lister l = { 0 };
	const char *pattern = NULL;
	char glob[512];
	bool verbose = false;
	int nr_events = 0, ret = 0;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			l.json = true;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose = true;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: quazar list [--json] [PATTERN]\n"
			       "       quazar list -v [--json] EVENT...\n\n"
			       "List tracepoints, hardware and software events and PMUs. PATTERN matches\n"
			       "anywhere in the name, and may be a glob: 'sched', 'sched:*', '*clock*'.\n"
			       "-v shows each EVENT's fields (name, type, offset, size, sign) and print\n"
			       "format, as 'quazar trace -e EVENT help' does; EVENT may be a glob.\n");
			return 0;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "quazar list: unknown option '%s'; see 'quazar list -h'\n",
				argv[i]);
			return 2;
		} else if (!pattern) {
			pattern = argv[i];
			nr_events++;
		} else {
			nr_events++;
		}
	}
	if (verbose) {
		if (!nr_events) {
			fprintf(stderr, "quazar list: -v needs an event, e.g. 'quazar list -v sched:sched_switch'\n");
			return 2;
		}
		for (int i = 1; i < argc; i++)
			if (argv[i][0] != '-' && describe_events(argv[i], l.json))
				ret = 1;
		return ret;
	}
	if (nr_events > 1) {
		fprintf(stderr, "quazar list: one PATTERN at a time ('-v' describes several events)\n");
		return 2;
	}
	if (pattern) {
		snprintf(glob, sizeof(glob), "*%s*", pattern);
		l.glob = glob;
	}
	l.j = qz_json__new();
	list_named(&l);
	list_pmus(&l);
	list_tracepoints(&l);
	qz_json__free(l.j);
	if (!l.shown && l.glob) {
		fprintf(stderr, "quazar list: nothing matches '%s'\n", pattern);
		return 1;
	}
	return 0;
}
