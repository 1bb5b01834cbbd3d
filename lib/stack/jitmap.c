// SPDX-License-Identifier: MIT
/*
 * JIT symbol maps, perf's convention: a JIT writes /tmp/perf-PID.map,
 * one "START SIZE name" line per function (hex, no 0x needed). The file
 * outlives the process, so it is read when a stack is resolved, and again
 * when it has grown.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "stack_internal.h"

#define MAX_ENTRIES (1u << 20)

struct jit_sym {
	uint64_t start, end;
	size_t line;		/* equal starts: the later line wins */
	char *name;
};

struct qz__jitmap {
	struct jit_sym *syms;
	size_t nr;
	off_t size;		/* of the file when read */
	struct timespec mtime;
};

static int cmp_start(const void *a, const void *b)
{
	const struct jit_sym *x = a, *y = b;

	if (x->start != y->start)
		return x->start > y->start ? 1 : -1;
	return (x->line > y->line) - (x->line < y->line);
}

static int parse_line(char *line, struct jit_sym *s)
{
	unsigned long long start, size;
	char *p = line, *end;

	start = strtoull(p, &end, 16);
	if (end == p || *end != ' ')
		return -EINVAL;
	p = end + 1;
	size = strtoull(p, &end, 16);
	if (end == p || *end != ' ' || !size || start + size < start)
		return -EINVAL;
	p = end + 1;
	p[strcspn(p, "\n")] = 0;
	if (!*p)
		return -EINVAL;
	s->start = start;
	s->end = start + size;
	s->name = strdup(p);
	return s->name ? 0 : -ENOMEM;
}

struct qz__jitmap *qz__jitmap__load(const char *path)
{
	struct qz__jitmap *j;
	size_t cap = 0;
	char *line = NULL;
	size_t len = 0;
	struct stat st;
	FILE *f = fopen(path, "re");

	if (!f)
		return NULL;
	j = calloc(1, sizeof(*j));
	if (!j || fstat(fileno(f), &st))
		goto fail;
	j->size = st.st_size;
	j->mtime = st.st_mtim;
	while (getline(&line, &len, f) > 0 && j->nr < MAX_ENTRIES) {
		struct jit_sym s;

		if (parse_line(line, &s))
			continue;	/* a line being written, or junk */
		if (j->nr == cap) {
			struct jit_sym *grown;

			cap = cap ? cap * 2 : 256;
			if (!(grown = realloc(j->syms, cap * sizeof(*grown)))) {
				free(s.name);
				goto fail;
			}
			j->syms = grown;
		}
		s.line = j->nr;
		j->syms[j->nr++] = s;
	}
	free(line);
	fclose(f);
	qsort(j->syms, j->nr, sizeof(*j->syms), cmp_start);
	return j;
fail:
	free(line);
	fclose(f);
	qz__jitmap__free(j);
	errno = ENOMEM;
	return NULL;
}

void qz__jitmap__free(struct qz__jitmap *j)
{
	if (!j)
		return;
	for (size_t i = 0; i < j->nr; i++)
		free(j->syms[i].name);
	free(j->syms);
	free(j);
}

bool qz__jitmap__stale(const struct qz__jitmap *j, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return false;	/* gone: keep what was read */
	return st.st_size != j->size || st.st_mtim.tv_sec != j->mtime.tv_sec ||
	       st.st_mtim.tv_nsec != j->mtime.tv_nsec;
}

int qz__jitmap__find(const struct qz__jitmap *j, uint64_t addr, const char **name,
		     uint64_t *offset)
{
	size_t lo = 0, hi = j->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (j->syms[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || addr >= j->syms[lo - 1].end)
		return -ENOENT;
	*name = j->syms[lo - 1].name;
	*offset = addr - j->syms[lo - 1].start;
	return 0;
}
