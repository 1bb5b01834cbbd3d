// SPDX-License-Identifier: MIT
/* Counting folded stacks in a chained hash table of strings. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "folded.h"

#define BUCKETS 4096

struct stack_count {
	struct stack_count *next;
	uint64_t count;
	char text[];
};

struct folded {
	struct qz_stack_printer *printer;
	struct stack_count *buckets[BUCKETS];
};

struct folded *folded_new(struct qz_stack_printer *printer)
{
	struct folded *f = calloc(1, sizeof(*f));

	if (f)
		f->printer = printer;
	return f;
}

void folded_free(struct folded *f)
{
	if (!f)
		return;
	for (int i = 0; i < BUCKETS; i++) {
		while (f->buckets[i]) {
			struct stack_count *next = f->buckets[i]->next;

			free(f->buckets[i]);
			f->buckets[i] = next;
		}
	}
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

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

void folded_add(struct folded *f, const char *comm, const struct qz_sample *smp)
{
	struct frames fr = { .nr = 0 };
	char line[8192], frame[256];
	size_t len = (size_t)snprintf(line, sizeof(line), "%s", comm[0] ? comm : "[unknown]");
	struct stack_count **slot, *sc;

	/* Read the process's mappings while it is still alive. */
	qz_symbolizer__prepare(qz_stack_printer__symbolizer(f->printer), (pid_t)smp->pid);
	qz_callchain__walk(smp->callchain, smp->callchain_nr, collect, &fr);
	/* Callchains start at the leaf; flame graphs read from the root. */
	for (int i = fr.nr - 1; i >= 0 && len < sizeof(line) - 1; i--) {
		qz_stack_printer__frame(f->printer, (pid_t)smp->pid, fr.user[i],
					fr.addr[i], frame, sizeof(frame));
		/* Keep symbol names only: offsets would split identical frames. */
		char *plus = strchr(frame, '+');

		if (plus)
			*plus = 0;
		len += (size_t)snprintf(line + len, sizeof(line) - len, ";%s", frame);
	}
	slot = &f->buckets[hash(line) % BUCKETS];
	for (sc = *slot; sc; sc = sc->next) {
		if (!strcmp(sc->text, line)) {
			sc->count++;
			return;
		}
	}
	sc = malloc(sizeof(*sc) + strlen(line) + 1);
	if (!sc)
		return;
	strcpy(sc->text, line);
	sc->count = 1;
	sc->next = *slot;
	*slot = sc;
}

int folded_write(struct folded *f, const char *path)
{
	FILE *out = fopen(path, "w");
	int err = 0;

	if (!out)
		return -errno;
	for (int i = 0; i < BUCKETS; i++)
		for (struct stack_count *sc = f->buckets[i]; sc; sc = sc->next)
			fprintf(out, "%s %llu\n", sc->text, (unsigned long long)sc->count);
	if (fclose(out))
		err = -errno;
	return err;
}
