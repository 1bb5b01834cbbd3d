// SPDX-License-Identifier: MIT
/*
 * A profiler's man page, in roff, from the same option tables that parse
 * its command line and print its -h: the page cannot drift from the code.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "profiler.h"

/* roff: a leading '.' or '\'' starts a request, and '\' escapes. */
void qz_roff_text(const char *text, FILE *out)
{
	bool line_start = true;

	for (const char *c = text; c && *c; c++) {
		if (line_start && (*c == '.' || *c == '\''))
			fputs("\\&", out);
		if (*c == '\\')
			fputs("\\e", out);
		else if (*c == '-')
			fputs("\\-", out);
		else
			fputc(*c, out);
		line_start = *c == '\n';
	}
}

static void roff_options(const struct qz_option *options, FILE *out)
{
	for (const struct qz_option *o = options; o && o->name; o++) {
		char synopsis[96];

		qz_option__synopsis(o, synopsis, sizeof(synopsis));
		fputs(".TP\n.B ", out);
		qz_roff_text(synopsis + strspn(synopsis, " "), out);
		fputc('\n', out);
		qz_roff_text(o->help, out);
		fputc('\n', out);
	}
}

void qz_profiler__man(const struct qz_profiler *prof, const char *version,
		      FILE *out)
{
	char upper[64];
	size_t i;

	for (i = 0; prof->name[i] && i < sizeof(upper) - 1; i++)
		upper[i] = (char)(prof->name[i] >= 'a' && prof->name[i] <= 'z' ?
				  prof->name[i] - 'a' + 'A' : prof->name[i]);
	upper[i] = 0;
	fprintf(out, ".TH QUAZAR-%s 1 \"\" \"quazar %s\" \"quazar manual\"\n", upper,
		version);
	fputs(".SH NAME\n", out);
	fprintf(out, "quazar\\-%s \\- ", prof->name);
	qz_roff_text(prof->help, out);
	fputs("\n.SH SYNOPSIS\n", out);
	fprintf(out, ".B quazar %s\n[\\fIoptions\\fR] [\\fB\\-\\-\\fR \\fIcommand args\\fR]\n",
		prof->name);
	if (prof->usage) {
		fputs(".SH DESCRIPTION\n.nf\n", out);
		qz_roff_text(prof->usage, out);
		fputs("\n.fi\n", out);
	}
	if (prof->options && prof->options[0].name) {
		fputs(".SH OPTIONS\n", out);
		roff_options(prof->options, out);
	}
	fputs(".SH COMMON OPTIONS\n", out);
	roff_options(qz_env__options(), out);
	fputs(".TP\n.B \\-h, \\-\\-help\nthis help\n", out);
	fprintf(out, ".SH SEE ALSO\n.BR quazar (1)\n");
}
