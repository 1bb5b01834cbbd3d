// SPDX-License-Identifier: MIT
/* Folded stacks, counted per line of text. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/session.h>
#include "flamegraph.h"
#include "folded.h"
#include "strcount.h"

struct folded {
	struct qz_stack_printer *printer;
	struct strcount *stacks;
	char *path;		/* FILE.folded */
	char *svg;		/* FILE.svg */
	const char *title, *count_name;
};

struct folded *qz_folded__new(struct qz_stack_printer *printer, const char *file)
{
	size_t len = strlen(file) + sizeof(".folded");
	struct folded *f = calloc(1, sizeof(*f));

	if (!f || !(f->stacks = qz_strcount__new()) || !(f->path = malloc(len)) ||
	    !(f->svg = malloc(len))) {
		qz_folded__free(f);
		return NULL;
	}
	snprintf(f->path, len, "%s.folded", file);
	snprintf(f->svg, len, "%s.svg", file);
	f->printer = printer;
	return f;
}

void qz_folded__set_graph(struct folded *f, const char *title, const char *count_name)
{
	f->title = title;
	f->count_name = count_name;
}

void qz_folded__free(struct folded *f)
{
	if (!f)
		return;
	qz_strcount__free(f->stacks);
	free(f->path);
	free(f->svg);
	free(f);
}

struct frames {
	uint64_t addr[256];
	bool user[256];
	int nr;
};

static void collect(uint64_t addr, bool user, void *ctx)
{
	struct frames *fr = ctx;

	if (fr->nr < 256) {
		fr->addr[fr->nr] = addr;
		fr->user[fr->nr++] = user;
	}
}

size_t qz_folded__line(struct qz_stack_printer *printer, const char *comm,
		   const struct qz_sample *smp, char *line, size_t size)
{
	struct frames fr = { .nr = 0 };
	char frame[256];
	size_t len = (size_t)snprintf(line, size, "%s", comm[0] ? comm : "[unknown]");

	/* Read the process's mappings while it is still alive. */
	qz_symbolizer__prepare(qz_stack_printer__symbolizer(printer), (pid_t)smp->pid);
	qz_callchain__walk(smp->callchain, smp->callchain_nr, collect, &fr);
	/* Callchains start at the leaf; flame graphs read from the root. */
	for (int i = fr.nr - 1; i >= 0 && len < size - 1; i--) {
		qz_stack_printer__frame(printer, (pid_t)smp->pid, fr.user[i],
					fr.addr[i], frame, sizeof(frame));
		/* Keep symbol names only: offsets would split identical frames. */
		char *plus = strchr(frame, '+');

		if (plus)
			*plus = 0;
		/* Kernel frames carry stackcollapse-perf.pl --kernel's mark. */
		len += (size_t)snprintf(line + len, size - len, ";%s%s", frame,
					fr.user[i] ? "" : "_[k]");
	}
	return len < size ? len : size - 1;
}

void qz_folded__count(struct folded *f, const char *line)
{
	qz_strcount__add(f->stacks, line, 1);
}

void qz_folded__count_n(struct folded *f, const char *line, uint64_t n)
{
	qz_strcount__add(f->stacks, line, n);
}

void qz_folded__add(struct folded *f, const char *comm, const struct qz_sample *smp)
{
	char line[8192];

	qz_folded__line(f->printer, comm, smp, line, sizeof(line));
	qz_folded__count(f, line);
}

static int write_lines(struct folded *f)
{
	FILE *out = fopen(f->path, "w");
	struct strcount_entry *e;
	size_t nr = 0;
	int err = 0;

	if (!out)
		return -errno;
	e = qz_strcount__sorted(f->stacks, &nr);
	for (size_t i = 0; e && i < nr; i++)
		fprintf(out, "%s %llu\n", e[i].key, (unsigned long long)e[i].count);
	free(e);
	if (!e)
		err = -ENOMEM;
	if (fclose(out))
		err = -errno;
	return err;
}

void qz_folded__write(struct folded *f, struct qz_session *s)
{
	struct qz_flamegraph_opts o = { .title = f->title, .count_name = f->count_name };
	char msg[512];
	int err = write_lines(f);

	if (err) {
		qz_session__log(s, QZ_LOG_ERROR, "cannot write %s: %s", f->path,
				qz_strerror(err));
		return;
	}
	err = qz_flamegraph__render(f->path, NULL, f->svg, &o, msg, sizeof(msg));
	if (err == -ENODATA)
		qz_session__log(s, QZ_LOG_WARN, "wrote %s; no stacks were sampled, so no %s",
				f->path, f->svg);
	else if (err)
		qz_session__log(s, QZ_LOG_ERROR, "wrote %s; cannot write the SVG: %s",
				f->path, msg);
	else
		qz_session__log(s, QZ_LOG_INFO, "wrote %s and %s", f->path, f->svg);
}
