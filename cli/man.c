// SPDX-License-Identifier: MIT
/*
 * `quazar man`, hidden: the man pages, written from the command table and
 * the profilers' option tables, so they cannot drift from the code. The
 * build runs it (docs/meson.build).
 *
 *	quazar man			quazar.1 on stdout
 *	quazar man NAME			quazar-NAME.1 on stdout
 *	quazar man -o DIR [NAME...]	quazar.1 and each quazar-NAME.1 in DIR
 *	quazar man --list		the profilers' names, one a line, for the
 *					test that checks the build's page list
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "profiler.h"
#include "commands.h"

static void top_page(FILE *out)
{
	size_t nr;
	const struct command *cmds = cli_commands(&nr);
	const struct qz_profiler *const *p;

	fprintf(out, ".TH QUAZAR 1 \"\" \"quazar %s\" \"quazar manual\"\n", QUAZAR_VERSION);
	fputs(".SH NAME\nquazar \\- real-time perf_event profilers and a collector daemon\n"
	      ".SH SYNOPSIS\n.B quazar\n.I command\n[\\fIoptions\\fR]\n"
	      ".br\n.B quazar\n.RB [ \\-h | \\-\\-help | \\-\\-version ]\n"
	      ".SH DESCRIPTION\n"
	      "quazar analyses perf events as they arrive, without writing them to disk\n"
	      "first. Each profiler prints text for people or JSON lines for machines.\n"
	      "The agent runs profilers as collectors, on their own threads, and sends\n"
	      "their reports to Kafka, a file or stdout.\n"
	      ".SH PROFILERS\n", out);
	for (p = qz_profilers(); *p; p++) {
		fputs(".TP\n.BR quazar\\-", out);
		qz_roff_text((*p)->name, out);
		fputs(" (1)\n", out);
		qz_roff_text((*p)->help, out);
		fputc('\n', out);
	}
	fputs(".SH COMMANDS\n", out);
	for (size_t i = 0; i < nr; i++) {
		if (!cmds[i].help)
			continue;
		fputs(".TP\n.B ", out);
		qz_roff_text(cmds[i].name, out);
		fputc('\n', out);
		qz_roff_text(cmds[i].help, out);
		fputc('\n', out);
	}
	fputs(".SH OPTIONS\n"
	      ".TP\n.BR \\-h \", \" \\-\\-help\nlist the profilers and commands\n"
	      ".TP\n.B \\-\\-version\nprint the version\n"
	      ".PP\n.BI \"quazar \" command \" \\-h\"\ndescribes a command's options.\n"
	      ".SH SEE ALSO\n", out);
	for (p = qz_profilers(); *p; p++) {
		fputs(".BR quazar\\-", out);
		qz_roff_text((*p)->name, out);
		fputs(p[1] ? " (1),\n" : " (1)\n", out);
	}
	fputs(".PP\nThe documentation in share/doc/quazar under the installation prefix:\n"
	      "one page per profiler, the agent, its config and the JSON schema.\n", out);
}

static int write_page(const char *dir, const char *name)
{
	const struct qz_profiler *prof = name ? qz_profiler__find(name) : NULL;
	char path[4096];
	FILE *out;

	if (name && !prof) {
		fprintf(stderr, "quazar man: '%s' is not a profiler\n", name);
		return 2;
	}
	snprintf(path, sizeof(path), "%s/quazar%s%s.1", dir, name ? "-" : "",
		 name ? name : "");
	out = fopen(path, "we");
	if (!out) {
		fprintf(stderr, "quazar man: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (prof)
		qz_profiler__man(prof, QUAZAR_VERSION, out);
	else
		top_page(out);
	if (fclose(out)) {
		fprintf(stderr, "quazar man: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

int cmd_man(int argc, char **argv)
{
	int ret;

	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (const struct qz_profiler *const *p = qz_profilers(); *p; p++)
			printf("%s\n", (*p)->name);
		return 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "-o")) {
		ret = write_page(argv[2], NULL);
		for (int i = 3; i < argc && !ret; i++)
			ret = write_page(argv[2], argv[i]);
		return ret;
	}
	if (argc == 1) {
		top_page(stdout);
		return 0;
	}
	if (argc == 2 && qz_profiler__find(argv[1])) {
		qz_profiler__man(qz_profiler__find(argv[1]), QUAZAR_VERSION, stdout);
		return 0;
	}
	fprintf(stderr, "usage: quazar man [--list | NAME | -o DIR [NAME...]]\n");
	return 2;
}
