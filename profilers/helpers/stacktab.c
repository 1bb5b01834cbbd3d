// SPDX-License-Identifier: MIT
/*
 * Raw stacks by value: an open-addressing hash of pointers into an arena
 * of entries, so counting a sample is a hash, a probe and a compare, and
 * a reset frees everything at once.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/perf_event.h>
#include "stacktab.h"

#define CHUNK (1u << 20)

struct chunk {
	struct chunk *next;
	size_t used;
	char data[];
};

struct qz_stacktab {
	struct qz_stack_entry **slots;	/* power of two */
	size_t nr_slots, nr, max;
	struct chunk *chunks;
	uint64_t samples, dropped;
};

struct qz_stacktab *qz_stacktab__new(size_t max_entries)
{
	struct qz_stacktab *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->max = max_entries ?: 1000000;
	t->nr_slots = 1024;
	t->slots = calloc(t->nr_slots, sizeof(*t->slots));
	if (!t->slots) {
		free(t);
		return NULL;
	}
	return t;
}

static void free_chunks(struct chunk *c)
{
	while (c) {
		struct chunk *next = c->next;

		free(c);
		c = next;
	}
}

void qz_stacktab__free(struct qz_stacktab *t)
{
	if (!t)
		return;
	free_chunks(t->chunks);
	free(t->slots);
	free(t);
}

void qz_stacktab__reset(struct qz_stacktab *t)
{
	/* Keep one chunk: the next interval most likely needs it. */
	if (t->chunks) {
		free_chunks(t->chunks->next);
		t->chunks->next = NULL;
		t->chunks->used = 0;
	}
	memset(t->slots, 0, t->nr_slots * sizeof(*t->slots));
	t->nr = 0;
	t->samples = t->dropped = 0;
}

static void *arena_alloc(struct qz_stacktab *t, size_t len)
{
	struct chunk *c = t->chunks;

	len = (len + 7) & ~(size_t)7;
	if (!c || c->used + len > CHUNK) {
		c = malloc(sizeof(*c) + CHUNK);
		if (!c)
			return NULL;
		c->used = 0;
		c->next = t->chunks;
		t->chunks = c;
	}
	c->used += len;
	return c->data + c->used - len;
}

static uint64_t mix(uint64_t h, uint64_t w)
{
	h ^= w;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t key_hash(uint32_t pid, uint64_t gen, const char *comm,
			 const uint64_t *ips, uint32_t nr)
{
	uint64_t h = mix(mix(pid, gen), nr), c[2] = { 0, 0 };

	memcpy(c, comm, 16);
	h = mix(mix(h, c[0]), c[1]);
	for (uint32_t i = 0; i < nr; i++)
		h = mix(h, ips[i]);
	return h;
}

static bool grow(struct qz_stacktab *t)
{
	size_t n = t->nr_slots * 2;
	struct qz_stack_entry **slots = calloc(n, sizeof(*slots));

	if (!slots)
		return false;
	for (size_t i = 0; i < t->nr_slots; i++) {
		struct qz_stack_entry *e = t->slots[i];
		size_t j;

		if (!e)
			continue;
		for (j = e->hash & (n - 1); slots[j]; j = (j + 1) & (n - 1))
			;
		slots[j] = e;
	}
	free(t->slots);
	t->slots = slots;
	t->nr_slots = n;
	return true;
}

int qz_stacktab__add(struct qz_stacktab *t, uint32_t pid, uint64_t gen, const char *comm,
		     const uint64_t *ips, uint64_t nr, uint64_t count)
{
	char name[16] = { 0 };
	struct qz_stack_entry *e;
	uint32_t n = nr < QZ_STACK_MAX_FRAMES ? (uint32_t)nr : QZ_STACK_MAX_FRAMES;
	uint64_t h;
	size_t i;

	strncpy(name, comm ? comm : "", sizeof(name) - 1);
	h = key_hash(pid, gen, name, ips, n);
	for (i = h & (t->nr_slots - 1); (e = t->slots[i]); i = (i + 1) & (t->nr_slots - 1))
		if (e->hash == h && e->pid == pid && e->gen == gen && e->nr == n &&
		    !memcmp(e->comm, name, sizeof(name)) &&
		    !memcmp(e->ips, ips, n * sizeof(*ips))) {
			e->count += count;
			t->samples += count;
			return 0;
		}
	if (t->nr >= t->max || (t->nr + 1 > t->nr_slots / 2 && !grow(t)) ||
	    !(e = arena_alloc(t, sizeof(*e) + n * sizeof(*ips)))) {
		t->dropped += count;
		return -ENOSPC;
	}
	e->hash = h;
	e->count = count;
	e->pid = pid;
	e->gen = gen;
	memcpy(e->comm, name, sizeof(name));
	e->nr = n;
	memcpy(e->ips, ips, n * sizeof(*ips));
	/* The slots may have grown: probe again. */
	for (i = h & (t->nr_slots - 1); t->slots[i]; i = (i + 1) & (t->nr_slots - 1))
		;
	t->slots[i] = e;
	t->nr++;
	t->samples += count;
	return 0;
}

int qz_stacktab__add_ip(struct qz_stacktab *t, uint32_t pid, uint64_t gen,
			const char *comm, uint64_t ip, uint64_t count)
{
	/* x86-64 and arm64: the kernel is the upper half. */
	uint64_t chain[2] = { (int64_t)ip < 0 ? PERF_CONTEXT_KERNEL : PERF_CONTEXT_USER, ip };

	return qz_stacktab__add(t, pid, gen, comm, chain, 2, count);
}

size_t qz_stacktab__nr(const struct qz_stacktab *t)
{
	return t->nr;
}

const struct qz_stack_entry *qz_stacktab__next(const struct qz_stacktab *t, size_t *cursor)
{
	for (size_t s = *cursor; s < t->nr_slots; s++)
		if (t->slots[s]) {
			*cursor = s + 1;
			return t->slots[s];
		}
	*cursor = t->nr_slots;
	return NULL;
}

uint64_t qz_stacktab__samples(const struct qz_stacktab *t)
{
	return t->samples;
}

uint64_t qz_stacktab__dropped(const struct qz_stacktab *t)
{
	return t->dropped;
}
