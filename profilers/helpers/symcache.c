// SPDX-License-Identifier: MIT
/* Resolved addresses kept across intervals, by process generation. */
#include <stdlib.h>
#include <string.h>
#include "symcache.h"
#include "u64map.h"

#define MAX_ENTRIES 65536	/* then the cache starts over */

struct entry {
	uint64_t addr;
	uint32_t pid, gen;
	bool user, resolved;
	int err;
	uint64_t offset;
	char *name, *module;	/* owned */
};

struct symcache {
	struct qz_symbolizer *sym;
	struct u64map entries;	/* hash of the key -> struct entry */
	struct u64map gens;	/* pid -> uint32_t generation */
};

static void clear(struct symcache *c)
{
	size_t pos = 0;
	uint64_t key;
	void *val;

	while (qz_u64map__next(&c->entries, &pos, &key, &val)) {
		struct entry *e = val;

		free(e->name);
		free(e->module);
	}
	qz_u64map__clear(&c->entries);
}

struct symcache *qz_symcache__new(struct qz_symbolizer *sym)
{
	struct symcache *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->sym = sym;
	if (qz_u64map__init(&c->entries, sizeof(struct entry)) ||
	    qz_u64map__init(&c->gens, sizeof(uint32_t))) {
		qz_u64map__free(&c->entries);
		free(c);
		return NULL;
	}
	return c;
}

void qz_symcache__free(struct symcache *c)
{
	if (!c)
		return;
	clear(c);
	qz_u64map__free(&c->entries);
	qz_u64map__free(&c->gens);
	free(c);
}

void qz_symcache__forget(struct symcache *c, pid_t pid)
{
	bool created;
	uint32_t *gen = qz_u64map__put(&c->gens, (uint64_t)(uint32_t)pid, &created);

	if (gen)
		++*gen;
	else
		clear(c);	/* no memory for its generation: forget everyone */
}

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ull;
	return h ^ (h >> 33);
}

static void fill(struct qz_symbol *out, const struct entry *e)
{
	out->name = e->name;
	out->module = e->module;
	out->offset = e->offset;
}

int qz_symcache__resolve(struct symcache *c, pid_t pid, bool user, uint64_t addr,
			 struct qz_symbol *out)
{
	uint32_t *g = user ? qz_u64map__get(&c->gens, (uint64_t)(uint32_t)pid) : NULL;
	uint32_t gen = g ? *g : 0, kpid = user ? (uint32_t)pid : 0;
	uint64_t key = mix(addr ^ mix(((uint64_t)kpid << 32 | gen) ^ (uint64_t)user << 63));
	struct entry *e = qz_u64map__get(&c->entries, key);
	struct qz_symbol s = { 0 };
	bool created;
	int err;

	if (e && e->addr == addr && e->pid == kpid && e->gen == gen && e->user == user &&
	    e->resolved) {
		fill(out, e);
		return e->err;
	}
	err = user ? qz_symbolizer__user(c->sym, pid, addr, &s) :
		     qz_symbolizer__kernel(c->sym, addr, &s);
	if (c->entries.nr >= MAX_ENTRIES)
		clear(c);
	e = qz_u64map__put(&c->entries, key, &created);
	if (!e) {
		*out = s;
		return err;
	}
	free(e->name);
	free(e->module);
	*e = (struct entry){ .addr = addr, .pid = kpid, .gen = gen, .user = user,
			     .resolved = true, .err = err, .offset = s.offset };
	if (!err) {
		e->name = s.name ? strdup(s.name) : NULL;
		e->module = s.module ? strdup(s.module) : NULL;
		if ((s.name && !e->name) || (s.module && !e->module)) {
			*out = s;	/* no memory to keep it: answer uncached */
			e->resolved = false;
			return err;
		}
	}
	fill(out, e);
	return err;
}
