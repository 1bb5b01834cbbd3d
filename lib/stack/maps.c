// SPDX-License-Identifier: MIT
/*
 * The map cache: each process's executable mappings, as perf keeps them.
 * MMAP2 adds a mapping and replaces what it overlaps; exec (COMM with
 * PERF_RECORD_MISC_COMM_EXEC) replaces them all; FORK copies the parent's;
 * EXIT marks the process, which goes at the second reap after it. What is
 * replaced is kept until the next reap with the generation range it was
 * valid for, so samples read before the change still resolve against it.
 * Bounded: past max_procs or max_maps, exited processes go first, then
 * the least recently sampled; the live ones dropped are counted.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack_internal.h"

static size_t hash_pid(size_t nr_buckets, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (nr_buckets - 1);
}

static void list_del(struct qz__proc_list *l, struct qz__proc *p)
{
	if (p->prev)
		p->prev->next = p->next;
	else
		l->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		l->tail = p->prev;
	p->prev = p->next = NULL;
}

static void list_add_tail(struct qz__proc_list *l, struct qz__proc *p)
{
	p->prev = l->tail;
	p->next = NULL;
	if (l->tail)
		l->tail->next = p;
	else
		l->head = p;
	l->tail = p;
}

static struct qz__proc_list *list_of(struct qz_symbolizer *sym, const struct qz__proc *p)
{
	return p->state == QZ__PROC_LIVE ? &sym->live : &sym->exited;
}

struct qz__proc *qz__proc__find(struct qz_symbolizer *sym, pid_t pid)
{
	struct qz__proc *p;

	if (!sym->procs)
		return NULL;
	p = sym->procs[hash_pid(sym->nr_buckets, pid)];
	while (p && p->pid != pid)
		p = p->hnext;
	return p;
}

void qz__proc__touch(struct qz_symbolizer *sym, struct qz__proc *p)
{
	if (p->state != QZ__PROC_LIVE || sym->live.tail == p)
		return;
	list_del(&sym->live, p);
	list_add_tail(&sym->live, p);
}

static void drop_old(struct qz_symbolizer *sym, struct qz__proc *p)
{
	for (size_t i = 0; i < p->nr_old; i++)
		qz__dso__put(sym, p->old[i].dso);
	sym->nr_maps -= p->nr_old;
	p->nr_old = 0;
}

static void drop_live(struct qz_symbolizer *sym, struct qz__proc *p)
{
	for (size_t i = 0; i < p->nr_maps; i++)
		qz__dso__put(sym, p->maps[i].dso);
	sym->nr_maps -= p->nr_maps;
	p->nr_maps = 0;
}

static void proc_remove(struct qz_symbolizer *sym, struct qz__proc *p)
{
	struct qz__proc **pp = &sym->procs[hash_pid(sym->nr_buckets, p->pid)];

	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	list_del(list_of(sym, p), p);
	drop_live(sym, p);
	drop_old(sym, p);
	free(p->maps);
	free(p->old);
	qz__jitmap__free(p->jit);
	free(p);
	sym->nr_procs--;
}

/* Drop one process for the bounds, never keep: false when none is left. */
static bool evict_one(struct qz_symbolizer *sym, const struct qz__proc *keep)
{
	struct qz__proc *victim = sym->exited.head;

	if (victim == keep)
		victim = victim->next;
	if (!victim) {
		victim = sym->live.head;
		if (victim == keep)
			victim = victim->next;
	}
	if (!victim)
		return false;
	if (victim->state == QZ__PROC_LIVE) {
		sym->stats.procs_evicted++;
		sym->stats.maps_evicted += victim->nr_maps + victim->nr_old;
	}
	proc_remove(sym, victim);
	return true;
}

static void enforce_bounds(struct qz_symbolizer *sym, const struct qz__proc *keep)
{
	while ((sym->nr_procs > sym->max_procs || sym->nr_maps > sym->max_maps) &&
	       evict_one(sym, keep))
		;
}

static void grow_hash(struct qz_symbolizer *sym)
{
	size_t n = sym->nr_buckets ? sym->nr_buckets * 2 : 1024;
	struct qz__proc **b = calloc(n, sizeof(*b));

	if (!b)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < sym->nr_buckets; i++) {
		struct qz__proc *p = sym->procs[i], *next;

		for (; p; p = next) {
			size_t h = hash_pid(n, p->pid);

			next = p->hnext;
			p->hnext = b[h];
			b[h] = p;
		}
	}
	free(sym->procs);
	sym->procs = b;
	sym->nr_buckets = n;
}

struct qz__proc *qz__proc__get(struct qz_symbolizer *sym, pid_t pid)
{
	struct qz__proc *p = qz__proc__find(sym, pid);
	size_t h;

	if (p)
		return p;
	if (!sym->procs || sym->nr_procs >= sym->nr_buckets * 2)
		grow_hash(sym);
	if (!sym->procs || !(p = calloc(1, sizeof(*p))))
		return NULL;
	p->pid = pid;
	p->gen = ++sym->last_gen;
	h = hash_pid(sym->nr_buckets, pid);
	p->hnext = sym->procs[h];
	sym->procs[h] = p;
	list_add_tail(&sym->live, p);
	sym->nr_procs++;
	enforce_bounds(sym, p);
	return p;
}

static int reserve(struct qz__map **v, size_t *cap, size_t need)
{
	struct qz__map *grown;
	size_t n = *cap ? *cap : 16;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	grown = realloc(*v, n * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	*v = grown;
	*cap = n;
	return 0;
}

/* Move a live mapping to the replaced ones (its dso reference with it). */
static void retire(struct qz_symbolizer *sym, struct qz__proc *p, const struct qz__map *m)
{
	if (reserve(&p->old, &p->cap_old, p->nr_old + 1)) {
		qz__dso__put(sym, m->dso);	/* no room: forget it sooner */
		sym->nr_maps--;
		return;
	}
	p->old[p->nr_old] = *m;
	p->old[p->nr_old++].gen_removed = p->gen;
}

static bool same_map(const struct qz__map *m, uint64_t start, uint64_t end,
		     uint64_t pgoff, const struct qz__dso *dso)
{
	return m->start == start && m->end == end && m->pgoff == pgoff && m->dso == dso;
}

/* The first live mapping that ends above addr. */
static size_t first_above(const struct qz__proc *p, uint64_t addr)
{
	size_t lo = 0, hi = p->nr_maps;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (p->maps[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct qz__map piece(const struct qz__map *m, uint64_t start, uint64_t end,
			    uint64_t gen)
{
	struct qz__map pc = *m;

	pc.pgoff = m->pgoff + (start - m->start);
	pc.start = start;
	pc.end = end;
	pc.gen_added = gen;
	if (pc.dso)
		pc.dso->refs++;
	return pc;
}

int qz__proc__mmap(struct qz_symbolizer *sym, struct qz__proc *p, uint64_t start,
		   uint64_t len, uint64_t pgoff, struct qz__dso *dso)
{
	uint64_t end = start + len;
	struct qz__map left = { 0 }, right = { 0 }, *m;
	bool has_left = false, has_right = false;
	size_t i0, i1, nr_new;

	if (!len || end < start)
		return -EINVAL;
	i0 = first_above(p, start);
	for (i1 = i0; i1 < p->nr_maps && p->maps[i1].start < end; i1++)
		;
	if (i1 == i0 + 1 && same_map(&p->maps[i0], start, end, pgoff, dso))
		return 0;	/* seen twice: from /proc and from a record */
	if (reserve(&p->maps, &p->cap_maps, p->nr_maps + 3))
		return -ENOMEM;
	if (i1 > i0) {
		/* Samples read until now keep resolving against what goes. */
		p->gen = ++sym->last_gen;
		if (p->maps[i0].start < start) {
			left = piece(&p->maps[i0], p->maps[i0].start, start, p->gen);
			has_left = true;
		}
		if (p->maps[i1 - 1].end > end) {
			right = piece(&p->maps[i1 - 1], end, p->maps[i1 - 1].end, p->gen);
			has_right = true;
		}
		for (size_t i = i0; i < i1; i++)
			retire(sym, p, &p->maps[i]);
	}
	nr_new = 1 + has_left + has_right;
	memmove(p->maps + i0 + nr_new, p->maps + i1, (p->nr_maps - i1) * sizeof(*p->maps));
	m = p->maps + i0;
	if (has_left)
		*m++ = left;
	*m++ = (struct qz__map){ start, end, pgoff, dso, p->gen, QZ__GEN_LIVE };
	if (dso)
		dso->refs++;
	if (has_right)
		*m = right;
	p->nr_maps = p->nr_maps - (i1 - i0) + nr_new;
	sym->nr_maps += nr_new;
	enforce_bounds(sym, p);
	return 0;
}

static const struct qz__map *find_live(const struct qz__proc *p, uint64_t addr)
{
	size_t i = first_above(p, addr);

	return i < p->nr_maps && p->maps[i].start <= addr ? &p->maps[i] : NULL;
}

/* A replaced mapping valid at gen, or with later, one added after gen. */
static const struct qz__map *find_old(const struct qz__proc *p, uint64_t gen,
				      uint64_t addr, bool later)
{
	for (size_t i = p->nr_old; i-- > 0;) {
		const struct qz__map *m = &p->old[i];

		if (addr >= m->start && addr < m->end &&
		    (later ? m->gen_added > gen : m->gen_added <= gen && gen < m->gen_removed))
			return m;
	}
	return NULL;
}

/*
 * The mapping valid at gen. A sample may be read before the MMAP2 of its
 * own mapping (rings are read one after the other): a mapping added
 * later is the answer when none was valid then.
 */
const struct qz__map *qz__proc__map(const struct qz__proc *p, uint64_t gen,
				    uint64_t addr)
{
	const struct qz__map *m = find_live(p, addr), *o;

	if (m && m->gen_added <= gen)
		return m;
	o = find_old(p, gen, addr, false);
	return o ? o : m ? m : find_old(p, gen, addr, true);
}

/* Everything mapped goes: an exec, or a reused pid. */
void qz__proc__retire_all(struct qz_symbolizer *sym, struct qz__proc *p)
{
	if (!p->nr_maps)
		return;
	p->gen = ++sym->last_gen;
	for (size_t i = 0; i < p->nr_maps; i++)
		retire(sym, p, &p->maps[i]);
	p->nr_maps = 0;
}

void qz__proc__revive(struct qz_symbolizer *sym, struct qz__proc *p)
{
	if (p->state == QZ__PROC_LIVE)
		return;
	list_del(&sym->exited, p);
	p->state = QZ__PROC_LIVE;
	list_add_tail(&sym->live, p);
}

int qz__maps__fork(struct qz_symbolizer *sym, pid_t pid, pid_t ppid)
{
	struct qz__proc *parent, *child;

	if (pid == ppid)
		return 0;	/* a thread: same mappings */
	child = qz__proc__get(sym, pid);
	if (!child)
		return -ENOMEM;
	qz__proc__revive(sym, child);
	qz__proc__retire_all(sym, child);
	parent = qz__proc__find(sym, ppid);
	child->complete = parent && parent->complete;
	if (!parent || !parent->nr_maps)
		return 0;
	if (reserve(&child->maps, &child->cap_maps, parent->nr_maps))
		return -ENOMEM;
	for (size_t i = 0; i < parent->nr_maps; i++) {
		child->maps[i] = parent->maps[i];
		child->maps[i].gen_added = child->gen;
		if (child->maps[i].dso)
			child->maps[i].dso->refs++;
	}
	child->nr_maps = parent->nr_maps;
	sym->nr_maps += parent->nr_maps;
	enforce_bounds(sym, child);
	return 0;
}

void qz__maps__exec(struct qz_symbolizer *sym, pid_t pid)
{
	struct qz__proc *p = qz__proc__get(sym, pid);

	if (!p)
		return;
	qz__proc__revive(sym, p);
	qz__proc__retire_all(sym, p);
	/* The new image's mappings all follow as records. */
	p->complete = true;
}

void qz__maps__exit(struct qz_symbolizer *sym, pid_t pid)
{
	struct qz__proc *p = qz__proc__find(sym, pid);

	if (!p || p->state != QZ__PROC_LIVE)
		return;
	list_del(&sym->live, p);
	p->state = QZ__PROC_EXITED;
	list_add_tail(&sym->exited, p);
}

void qz__maps__reap(struct qz_symbolizer *sym)
{
	struct qz__proc *p, *next;

	sym->epoch++;
	for (p = sym->live.head; p; p = p->next)
		drop_old(sym, p);
	for (p = sym->exited.head; p; p = next) {
		next = p->next;
		if (p->state == QZ__PROC_EXITED_REAPED) {
			proc_remove(sym, p);
		} else {
			drop_old(sym, p);
			p->state = QZ__PROC_EXITED_REAPED;
		}
	}
}

void qz__maps__free_all(struct qz_symbolizer *sym)
{
	while (sym->live.head)
		proc_remove(sym, sym->live.head);
	while (sym->exited.head)
		proc_remove(sym, sym->exited.head);
	free(sym->procs);
	sym->procs = NULL;
	sym->nr_buckets = 0;
}
