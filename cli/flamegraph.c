// SPDX-License-Identifier: MIT
/* quazar flamegraph: folded stacks to an SVG, or two to a differential one. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"
#include "commands.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: quazar flamegraph [-o OUT.svg] [--title T] [--width PX] FILE.folded\n"
		"       quazar flamegraph [-o OUT.svg] [--title T] [--negate] BASE.folded NEW.folded\n\n"
		"Renders folded stacks (\"comm;root;...;leaf COUNT\" lines, as --flame-graph and\n"
		"stackcollapse-perf.pl write them) as an interactive SVG: click to zoom, Ctrl-F to\n"
		"search. Kernel frames (ending in _[k]) are orange, user frames red.\n\n"
		"With two files, a differential graph of NEW against BASE: widths are NEW's\n"
		"samples; a frame is red where its own samples grew from BASE, blue where\n"
		"they shrank (difffolded.pl BASE NEW | flamegraph.pl). A single file of\n"
		"\"stack BASE NEW\" lines, as difffolded.pl writes, is drawn the same way.\n\n"
		"  -o, --output FILE  the SVG (default: NEW's name with .svg for .folded; - for stdout)\n"
		"  --title TEXT       the title\n"
		"  --width PX         the width in pixels (default 1200)\n"
		"  --negate           diff: draw BASE's widths, so what vanished shows;\n"
		"                     red still means grew (difffolded.pl NEW BASE | flamegraph.pl --negate)\n"
		"  --count-name NAME  what a count is (default samples)\n");
}

/* NEW.folded -> NEW.svg; NEW -> NEW.svg. */
static char *default_output(const char *in)
{
	size_t len = strlen(in);
	char *out = malloc(len + 5);

	if (!out)
		return NULL;
	if (len > 7 && !strcmp(in + len - 7, ".folded"))
		len -= 7;
	memcpy(out, in, len);
	strcpy(out + len, ".svg");
	return out;
}

static int need_arg(int i, int argc, char **argv)
{
	if (i + 1 < argc)
		return 0;
	fprintf(stderr, "quazar flamegraph: %s needs a value; see 'quazar flamegraph -h'\n",
		argv[i]);
	return -1;
}

int cmd_flamegraph(int argc, char **argv)
{
	struct qz_flamegraph_opts o = { 0 };
	const char *files[2], *output = NULL;
	char err[512], *def = NULL;
	int nr = 0, ret;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
			if (need_arg(i, argc, argv))
				return 2;
			output = argv[++i];
		} else if (!strcmp(a, "--title")) {
			if (need_arg(i, argc, argv))
				return 2;
			o.title = argv[++i];
		} else if (!strcmp(a, "--count-name")) {
			if (need_arg(i, argc, argv))
				return 2;
			o.count_name = argv[++i];
		} else if (!strcmp(a, "--width")) {
			char *end;

			if (need_arg(i, argc, argv))
				return 2;
			errno = 0;
			unsigned long w = strtoul(argv[++i], &end, 10);

			if (errno || *end || w < 100 || w > 100000) {
				fprintf(stderr, "quazar flamegraph: --width '%s' is not a number of pixels from 100 to 100000\n",
					argv[i]);
				return 2;
			}
			o.width = (unsigned)w;
		} else if (!strcmp(a, "--negate")) {
			o.negate = 1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "quazar flamegraph: unknown option '%s'; see 'quazar flamegraph -h'\n",
				a);
			return 2;
		} else if (nr == 2) {
			fprintf(stderr, "quazar flamegraph: '%s': at most two folded files (BASE NEW)\n", a);
			return 2;
		} else {
			files[nr++] = a;
		}
	}
	if (!nr) {
		usage(stderr);
		return 2;
	}
	if (o.negate && nr < 2) {
		fprintf(stderr, "quazar flamegraph: --negate draws a base: give BASE.folded NEW.folded\n");
		return 2;
	}
	if (!output && !(output = def = default_output(files[nr - 1]))) {
		fprintf(stderr, "quazar flamegraph: out of memory\n");
		return 1;
	}
	ret = qz_flamegraph__render(files[nr - 1], nr == 2 ? files[0] : NULL, output, &o,
				    err, sizeof(err));
	if (ret)
		fprintf(stderr, "quazar flamegraph: %s\n", err);
	else if (strcmp(output, "-"))
		fprintf(stderr, "quazar flamegraph: wrote %s\n", output);
	free(def);
	return ret ? 1 : 0;
}
