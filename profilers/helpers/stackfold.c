// SPDX-License-Identifier: MIT
/*
 * Raw stacks to text. Each distinct frame (pid, generation, address; the
 * kernel's without pid) is named once, into a cache whose names live in an
 * arena, so a line is memcpys of cached names. A generation is never
 * reused, so a name cached stays right after its process is gone.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include "stackfold.h"

#define ARENA_CHUNK (256u << 10)
#define MAX_NAME 255
#define MAX_CACHED (1u << 20)
#define FORGET_EVERY 60		/* intervals */

struct cached {
	uint64_t addr, gen;	/* gen 0 for kernel frames */
	uint32_t pid;
	bool used, user, unknown;
	uint8_t len;
	const char *name;	/* in the arena, len bytes */
	const char *key;	/* "sym\tmodule\tbuild_id", made when a leaf asks */
};

struct arena {
	struct arena *next;
	size_t used;
	char data[];
};

struct qz_stackfold {
	struct qz_symbolizer *sym;
	struct cached *slots;	/* power of two */
	size_t nr_slots, nr;
	struct arena *arena;
	unsigned intervals;
	uint64_t frames, unknown;
};

struct qz_stackfold *qz_stackfold__new(struct qz_symbolizer *sym)
{
	struct qz_stackfold *f = calloc(1, sizeof(*f));

	if (!f)
		return NULL;
	f->sym = sym;
	f->nr_slots = 4096;
	f->slots = calloc(f->nr_slots, sizeof(*f->slots));
	if (!f->slots) {
		free(f);
		return NULL;
	}
	return f;
}

static void free_arena(struct arena *a)
{
	while (a) {
		struct arena *next = a->next;

		free(a);
		a = next;
	}
}

void qz_stackfold__free(struct qz_stackfold *f)
{
	if (!f)
		return;
	free_arena(f->arena);
	free(f->slots);
	free(f);
}

static void forget(struct qz_stackfold *f)
{
	if (f->arena) {
		free_arena(f->arena->next);
		f->arena->next = NULL;
		f->arena->used = 0;
	}
	memset(f->slots, 0, f->nr_slots * sizeof(*f->slots));
	f->nr = 0;
}

void qz_stackfold__interval(struct qz_stackfold *f)
{
	if (++f->intervals % FORGET_EVERY == 0 || f->nr > MAX_CACHED)
		forget(f);
}

static const char *keep(struct qz_stackfold *f, const char *s, size_t len)
{
	struct arena *a = f->arena;

	if (!a || a->used + len > ARENA_CHUNK) {
		a = malloc(sizeof(*a) + ARENA_CHUNK);
		if (!a)
			return NULL;
		a->used = 0;
		a->next = f->arena;
		f->arena = a;
	}
	memcpy(a->data + a->used, s, len);
	a->used += len;
	return a->data + a->used - len;
}

static size_t slot_of(const struct qz_stackfold *f, uint32_t pid, uint64_t gen, uint64_t addr)
{
	uint64_t h = (addr ^ gen * 0xff51afd7ed558ccdull ^ pid) * 0x9e3779b97f4a7c15ull;

	return (size_t)(h ^ (h >> 32)) & (f->nr_slots - 1);
}

static void grow(struct qz_stackfold *f)
{
	struct cached *old = f->slots;
	size_t n = f->nr_slots;

	f->slots = calloc(n * 2, sizeof(*f->slots));
	if (!f->slots) {
		f->slots = old;	/* keep probing the full table: slower, still right */
		return;
	}
	f->nr_slots = n * 2;
	for (size_t i = 0; i < n; i++) {
		size_t j;

		if (!old[i].used)
			continue;
		for (j = slot_of(f, old[i].pid, old[i].gen, old[i].addr); f->slots[j].used;
		     j = (j + 1) & (f->nr_slots - 1))
			;
		f->slots[j] = old[i];
	}
	free(old);
}

/* A frame's name, looked up once per pass. */
static const struct cached *frame(struct qz_stackfold *f, const struct qz_stack_entry *e,
				  bool user, uint64_t addr)
{
	QZ_OPTS(qz_symbol_info, info);
	uint32_t pid = user ? e->pid : 0;
	uint64_t gen = user ? e->gen : 0;
	char buf[MAX_NAME + 1];
	struct cached *c;
	size_t i;
	int n;

	static const struct cached full = { .unknown = true, .len = 9, .name = "[unknown]" };

	for (i = slot_of(f, pid, gen, addr); (c = &f->slots[i])->used;
	     i = (i + 1) & (f->nr_slots - 1))
		if (c->addr == addr && c->pid == pid && c->gen == gen && c->user == user)
			return c;
	if (f->nr + 1 >= f->nr_slots)
		return &full;	/* no memory to grow: nothing is cut short */
	if (!qz_symbolizer__resolve(f->sym, (pid_t)pid, gen, user, addr, &info))
		n = snprintf(buf, sizeof(buf), "%s", info.name);
	else if (info.module && info.module[0] == '[')
		n = snprintf(buf, sizeof(buf), "%s", info.module);	/* "[kernel]", "[vdso]" */
	else
		n = snprintf(buf, sizeof(buf), "[%s]", info.module ?: "unknown");
	n = n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1;
	*c = (struct cached){ .addr = addr, .pid = pid, .gen = gen, .used = true, .user = user,
			      .unknown = !info.name, .len = (uint8_t)n,
			      .name = keep(f, buf, (size_t)n) };
	if (!c->name) {
		c->name = "[unknown]";
		c->len = 9;
	}
	if (++f->nr > f->nr_slots / 2) {
		grow(f);
		return frame(f, e, user, addr);	/* found at once, in its new slot */
	}
	return c;
}

/* A leaf's key, kept in the arena; NULL when it has no module either. */
static const char *leaf_key(struct qz_stackfold *f, const struct qz_stack_entry *e, bool user,
			    uint64_t addr)
{
	QZ_OPTS(qz_symbol_info, info);
	char buf[1024];
	int err = qz_symbolizer__resolve(f->sym, user ? (pid_t)e->pid : 0, user ? e->gen : 0,
					 user, addr, &info);
	int n;

	if (err && !info.module)
		return NULL;	/* "[unknown]\t[comm]": the comm is the entry's */
	n = snprintf(buf, sizeof(buf), "%s\t%s\t%s", err ? "[unknown]" : info.name, info.module,
		     info.build_id ?: "");
	return keep(f, buf, (size_t)(n < (int)sizeof(buf) ? n : (int)sizeof(buf) - 1) + 1);
}

struct frames {
	uint64_t addr[QZ_STACK_MAX_FRAMES];
	bool user[QZ_STACK_MAX_FRAMES];
	int nr;
};

/* Context markers say whose the frames after them are. */
static void collect(const struct qz_stack_entry *e, struct frames *fr)
{
	bool user = false;

	fr->nr = 0;
	for (uint32_t i = 0; i < e->nr; i++) {
		if (e->ips[i] >= PERF_CONTEXT_MAX) {
			user = e->ips[i] == PERF_CONTEXT_USER;
			continue;
		}
		fr->addr[fr->nr] = e->ips[i];
		fr->user[fr->nr++] = user;
	}
}

static size_t append(char *line, size_t len, size_t size, const char *s, size_t n)
{
	if (len + n >= size)
		n = size - 1 - len;
	memcpy(line + len, s, n);
	return len + n;
}

size_t qz_stackfold__line(struct qz_stackfold *f, const struct qz_stack_entry *e, bool kmark,
			  char *line, size_t size)
{
	const char *comm = e->comm[0] ? e->comm : "[unknown]";
	size_t len = append(line, 0, size, comm, strnlen(comm, sizeof(e->comm)));
	struct frames fr;

	collect(e, &fr);
	/* Callchains start at the leaf; flame graphs read from the root. */
	for (int i = fr.nr - 1; i >= 0 && len < size - 1; i--) {
		const struct cached *c = frame(f, e, fr.user[i], fr.addr[i]);

		f->frames += e->count;
		f->unknown += c->unknown ? e->count : 0;
		len = append(line, len, size, ";", 1);
		len = append(line, len, size, c->name, c->len);
		if (kmark && !fr.user[i])
			len = append(line, len, size, "_[k]", 4);
	}
	line[len] = 0;
	return len;
}

void qz_stackfold__leaf(struct qz_stackfold *f, const struct qz_stack_entry *e, char *key,
			size_t size, bool count)
{
	struct frames fr;
	struct cached *c;

	collect(e, &fr);
	c = fr.nr ? (struct cached *)frame(f, e, fr.user[0], fr.addr[0]) : NULL;
	if (c && count) {
		f->frames += e->count;
		f->unknown += c->unknown ? e->count : 0;
	}
	if (c && c->used && !c->key)
		c->key = leaf_key(f, e, fr.user[0], fr.addr[0]);
	if (!c || !c->key)
		snprintf(key, size, "[unknown]\t[%.16s]\t", e->comm);
	else
		snprintf(key, size, "%s", c->key);
}

uint64_t qz_stackfold__frames(const struct qz_stackfold *f)
{
	return f->frames;
}

uint64_t qz_stackfold__unknown(const struct qz_stackfold *f)
{
	return f->unknown;
}
