// SPDX-License-Identifier: MIT
/*
 * kmemleak: allocations (--alloc, ptr= and size=) paired with frees
 * (--free, ptr=) by pointer. What is never freed is reported grouped by
 * allocation stack, each interval and at exit, with the totals.
 *
 * ptr= and size= name a tracepoint field, or for uprobes a user register
 * (rax, rdi, rsi, ..., or $retval, $arg1..$arg6), read through
 * PERF_SAMPLE_REGS_USER. An --alloc event with size= and no ptr= (a uprobe
 * on malloc's entry) holds the size for the thread until its ptr= event
 * (the uretprobe) comes.
 *
 * Memory: the pointer table holds at most MAX_PENDING allocations (48
 * bytes each plus a bucket); when full the oldest allocation is evicted
 * (counted and reported as "evicted"). Stacks are interned, at most
 * MAX_STACKS distinct ones; beyond that allocations go to one
 * "(other stacks)" group.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <asm/perf_regs.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include <quazar/filter.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "reltab.h"
#include "callchain.h"
#include "folded.h"

/* Options beyond the common ones (kmemleak_options below). */
struct kmemleak_opts {
	char *alloc, *free;
	uint64_t than;
	char *flame_graph;
};

#define MAX_PENDING (1u << 20)
#define MAX_STACKS 65536
#define TEXT_GROUPS 20
#define JSON_GROUPS 100

/* Where a value comes from: a tracepoint field, an expression or a user register. */
struct source {
	const struct qz_tp_field *field;
	const struct qz_filter *expr;	/* size=4096<<order */
	int reg;		/* PERF_REG_X86_*, or -1 */
};

struct km_event {
	enum { KM_NONE, KM_ALLOC, KM_ALLOC_ENTRY, KM_FREE } role;
	struct source ptr, size;
	bool has_size;
};

struct km_stack {
	uint64_t hash;
	uint32_t pid;		/* for user frames */
	uint32_t nr;
	char comm[16];		/* of the first allocation seen from it */
	uint64_t *ips;
	uint64_t bytes, objects;	/* report scratch */
};

struct kmemleak {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *stacks;
	struct folded *flame;		/* --flame-graph: bytes never freed */
	struct km_event *ev;
	struct reltab ptrs;		/* ptr -> size (aux), stack id (ev) */
	struct reltab sizes;		/* tid -> size from an entry event */
	struct km_stack *st;
	uint32_t nr_st, cap_st;
	uint32_t *st_index;		/* open addressing: stack id + 1 */
	uint32_t st_index_cap;
	uint32_t last_pid;
	uint64_t newest;		/* latest event time */
	uint64_t than;
	uint64_t allocs, frees, alloc_bytes, free_bytes, unmatched_frees;
	uint64_t evicted_bytes;
};

static const struct {
	const char *name;
	int reg;
} regs[] = {
	{ "rax", PERF_REG_X86_AX }, { "$retval", PERF_REG_X86_AX },
	{ "rdi", PERF_REG_X86_DI }, { "$arg1", PERF_REG_X86_DI },
	{ "rsi", PERF_REG_X86_SI }, { "$arg2", PERF_REG_X86_SI },
	{ "rdx", PERF_REG_X86_DX }, { "$arg3", PERF_REG_X86_DX },
	{ "rcx", PERF_REG_X86_CX }, { "$arg4", PERF_REG_X86_CX },
	{ "r8", PERF_REG_X86_R8 }, { "$arg5", PERF_REG_X86_R8 },
	{ "r9", PERF_REG_X86_R9 }, { "$arg6", PERF_REG_X86_R9 },
	{ "rbx", PERF_REG_X86_BX }, { "rbp", PERF_REG_X86_BP },
	{ "rsp", PERF_REG_X86_SP }, { "rip", PERF_REG_X86_IP },
};

static int resolve(struct kmemleak *k, int idx, const char *attr,
		   const char *name, struct source *src, uint64_t *mask)
{
	const struct qz_event_spec *spec = qz_session__spec(k->session, idx);

	src->field = NULL;
	src->expr = NULL;
	src->reg = -1;
	if (spec->kind == QZ_SPEC_TRACEPOINT && !qz_mt__is_field(k->session, idx, name)) {
		/* perf-prof's ptr=EXPR and size=EXPR: size=4096<<order */
		src->expr = qz_session__expr(k->session, idx, attr, name);
		return src->expr ? 0 : -errno;
	}
	if (spec->kind == QZ_SPEC_UPROBE || spec->kind == QZ_SPEC_URETPROBE) {
		for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			if (!strcmp(regs[i].name, name)) {
				src->reg = regs[i].reg;
				*mask |= 1ull << regs[i].reg;
				return 0;
			}
		}
		qz_session__log(k->session, QZ_LOG_ERROR,
				"%s=%s on '%s': a uprobe reads registers: use rax or $retval (return value), rdi/$arg1, rsi/$arg2, rdx/$arg3, rcx/$arg4, r8/$arg5, r9/$arg6",
				attr, name, qz_session__event_name(k->session, idx));
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	return qz_mt__resolve_field(k->session, idx, attr, name, &src->field);
}

static uint64_t read_source(const struct source *src, uint64_t mask,
			    const struct qz_sample *smp)
{
	if (src->field)
		return qz_tp_field__u64(src->field, smp->raw, smp->raw_size);
	if (src->expr)
		return (uint64_t)qz_filter__eval_sample(src->expr, smp);
	if (src->reg >= 0 && smp->regs_user.abi) {
		uint32_t i = (uint32_t)__builtin_popcountll(mask & ((1ull << src->reg) - 1));

		return i < smp->regs_user.nr ? smp->regs_user.regs[i] : 0;
	}
	return 0;
}

static void km_free_all(struct kmemleak *k)
{
	if (k->ptrs.pool)
		qz_reltab__free(&k->ptrs, NULL);
	if (k->sizes.pool)
		qz_reltab__free(&k->sizes, NULL);
	for (uint32_t i = 0; i < k->nr_st; i++)
		free(k->st[i].ips);
	free(k->st);
	free(k->st_index);
	free(k->ev);
	qz_folded__free(k->flame);
	qz_stack_printer__free(k->stacks);
	free(k);
}

static void on_evict(struct reltab_entry *e, void *ctx)
{
	((struct kmemleak *)ctx)->evicted_bytes += e->aux;
}

/* Set up the events of one option (--alloc or --free); -errno. */
static int add_option(struct kmemleak *k, const char *opt, const char *text,
		      bool alloc, uint64_t **masks)
{
	int first = qz_session__add_events(k->session, text, 0), n;
	struct km_event *ev;
	uint64_t *m;

	if (first < 0)
		return first;
	n = qz_session__nr_events(k->session);
	/* The old blocks stay with k and *masks, freed by the caller. */
	ev = realloc(k->ev, (size_t)n * sizeof(*k->ev));
	if (!ev)
		return -ENOMEM;
	k->ev = ev;
	m = realloc(*masks, (size_t)n * sizeof(**masks));
	if (!m)
		return -ENOMEM;
	*masks = m;
	for (int idx = first; idx < n; idx++) {
		const struct qz_event_spec *spec = qz_session__spec(k->session, idx);
		const struct qz_tp_event *tp = qz_session__tp_event(k->session, idx);
		/* perf-prof's defaults: ptr=ptr, and size=bytes_alloc on allocations. */
		const char *ptr = spec->ptr ? spec->ptr :
				  tp && qz_tp_event__field(tp, "ptr") ? "ptr" : NULL;
		const char *size = !alloc ? NULL : spec->size ? spec->size :
				   tp && qz_tp_event__field(tp, "bytes_alloc") ? "bytes_alloc" : NULL;
		struct km_event *e = &k->ev[idx];
		int err = 0;

		memset(e, 0, sizeof(*e));
		(*masks)[idx] = 0;
		if (!ptr && !size) {
			qz_session__log(k->session, QZ_LOG_ERROR,
					"%s '%s': give the pointer with a ptr= attr (it has no field 'ptr', the default), e.g. %s",
					opt, qz_session__event_name(k->session, idx),
					alloc ? "--alloc 'kmem:kmalloc//ptr=ptr/size=bytes_alloc/stack/'" :
						"--free 'kmem:kfree//ptr=ptr/'");
			return -QZ_ERR_OPTION;
		}
		if (ptr)
			err = resolve(k, idx, "ptr", ptr, &e->ptr, &(*masks)[idx]);
		if (!err && size) {
			err = resolve(k, idx, "size", size, &e->size, &(*masks)[idx]);
			e->has_size = true;
		}
		if (err)
			return err;
		e->role = !alloc ? KM_FREE : ptr ? KM_ALLOC : KM_ALLOC_ENTRY;
	}
	return 0;
}

static int km_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct kmemleak_opts *opts = qz_session__ops_opts(s);
	struct kmemleak *k;
	uint64_t *masks = NULL;
	int err;

	if (!opts->alloc) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kmemleak needs --alloc EVENT//ptr=FIELD/size=FIELD/stack/, e.g. --alloc 'kmem:kmalloc//ptr=ptr/size=bytes_alloc/stack/'");
		return -QZ_ERR_OPTION;
	}
	if (!opts->free) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kmemleak needs --free EVENT//ptr=FIELD/ to pair with --alloc '%s', e.g. --free 'kmem:kfree//ptr=ptr/'",
				opts->alloc);
		return -QZ_ERR_OPTION;
	}
	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kmemleak takes its events from --alloc and --free, not -e");
		return -QZ_ERR_OPTION;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->session = s;
	k->out = qz_session__output(s);
	k->than = opts->than;
	k->stacks = qz_stack_printer__new();
	err = k->stacks ? 0 : -ENOMEM;
	if (!err && opts->flame_graph) {
		k->flame = qz_folded__new(k->stacks, opts->flame_graph);
		err = k->flame ? 0 : -ENOMEM;
		if (!err)
			qz_folded__set_graph(k->flame, "quazar kmemleak: bytes never freed",
					     "bytes");
	}
	if (!err)
		err = add_option(k, "--alloc", opts->alloc, true, &masks);
	if (!err)
		err = add_option(k, "--free", opts->free, false, &masks);
	for (int i = 0; !err && i < qz_session__nr_events(s); i++)
		if (masks[i])
			err = qz_session__set_regs_user(s, i, masks[i]);
	if (!err)
		err = qz_reltab__init(&k->ptrs, MAX_PENDING, on_evict, k);
	if (!err)
		err = qz_reltab__init(&k->sizes, 65536, NULL, NULL);
	free(masks);
	if (err) {
		km_free_all(k);
		return err;
	}
	/* Pairing by pointer across CPUs needs the global order. */
	env->order = true;
	*ctx = k;
	return 0;
}

static uint64_t hash_stack(const struct qz_sample *smp, uint32_t *pid)
{
	uint64_t h = 0xcbf29ce484222325ull;
	bool user = false;

	for (uint64_t i = 0; i < smp->callchain_nr; i++) {
		user |= smp->callchain[i] == PERF_CONTEXT_USER;
		h = (h ^ smp->callchain[i]) * 0x100000001b3ull;
	}
	*pid = user ? smp->pid : 0;
	return (h ^ *pid) * 0x9e3779b97f4a7c15ull;
}

/* The interned stack id of a sample's callchain. */
static uint32_t stack_id(struct kmemleak *k, const struct qz_sample *smp,
			 const char *comm)
{
	uint32_t pid, slot;
	uint64_t h = hash_stack(smp, &pid);
	struct km_stack *st;

	if (!k->st_index_cap || (k->nr_st + 1) * 2 > k->st_index_cap) {
		uint32_t ncap = k->st_index_cap ? k->st_index_cap * 2 : 1024;
		uint32_t *n = calloc(ncap, sizeof(*n));

		if (!n || k->nr_st >= MAX_STACKS) {
			free(n);
			return 0;
		}
		for (uint32_t i = 0; i < k->nr_st; i++) {
			for (slot = (uint32_t)(k->st[i].hash >> 40) & (ncap - 1); n[slot];
			     slot = (slot + 1) & (ncap - 1))
				;
			n[slot] = i + 1;
		}
		free(k->st_index);
		k->st_index = n;
		k->st_index_cap = ncap;
	}
	for (slot = (uint32_t)(h >> 40) & (k->st_index_cap - 1); k->st_index[slot];
	     slot = (slot + 1) & (k->st_index_cap - 1))
		if (k->st[k->st_index[slot] - 1].hash == h)
			return k->st_index[slot] - 1;
	if (k->nr_st == k->cap_st) {
		uint32_t ncap = k->cap_st ? k->cap_st * 2 : 256;
		struct km_stack *n = realloc(k->st, ncap * sizeof(*n));

		if (!n)
			return 0;
		k->st = n;
		k->cap_st = ncap;
		if (!k->nr_st) {	/* id 0: the "(other stacks)" group */
			memset(&k->st[0], 0, sizeof(k->st[0]));
			k->nr_st = 1;
		}
	}
	st = &k->st[k->nr_st];
	memset(st, 0, sizeof(*st));
	st->hash = h;
	st->pid = pid;
	snprintf(st->comm, sizeof(st->comm), "%s", comm);
	st->nr = (uint32_t)smp->callchain_nr;
	st->ips = malloc(st->nr * sizeof(uint64_t) + 1);
	if (!st->ips)
		return 0;
	memcpy(st->ips, smp->callchain, st->nr * sizeof(uint64_t));
	k->st_index[slot] = k->nr_st + 1;
	return k->nr_st++;
}

static void km_sample(void *ctx, const struct qz_event *ev)
{
	struct kmemleak *k = ctx;
	const struct km_event *e = &k->ev[ev->index];
	const struct qz_sample *smp = ev->sample;
	uint64_t mask = smp->regs_user.abi ? qz_evsel__attr(qz_session__evsel(
							   k->session, ev->index))->sample_regs_user : 0;
	struct reltab_entry *p;
	uint64_t ptr, size = 0;

	k->newest = smp->time;
	if (e->role == KM_ALLOC_ENTRY) {
		size = read_source(&e->size, mask, smp);
		p = reltab_find(&k->sizes, smp->tid);
		if (!p)
			p = qz_reltab__insert(&k->sizes, smp->tid);
		if (p)
			p->aux = size;
		return;
	}
	ptr = read_source(&e->ptr, mask, smp);
	if (e->role == KM_FREE) {
		if (!ptr)
			return;		/* free(NULL) */
		k->frees++;
		p = reltab_find(&k->ptrs, ptr);
		if (!p) {
			k->unmatched_frees++;
			return;
		}
		k->free_bytes += p->aux;
		qz_reltab__remove(&k->ptrs, p);
		return;
	}
	if (e->has_size) {
		size = read_source(&e->size, mask, smp);
	} else if ((p = reltab_find(&k->sizes, smp->tid))) {
		size = p->aux;
		qz_reltab__remove(&k->sizes, p);
	}
	if (!ptr)
		return;		/* a failed allocation */
	k->allocs++;
	k->alloc_bytes += size;
	if (smp->callchain_nr && smp->pid != k->last_pid) {
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(k->stacks),
				       (pid_t)smp->pid);
		k->last_pid = smp->pid;
	}
	p = reltab_find(&k->ptrs, ptr);
	if (p)
		qz_reltab__touch(&k->ptrs, p);	/* its free was not seen */
	else if (!(p = qz_reltab__insert(&k->ptrs, ptr)))
		return;
	p->time = smp->time;
	p->aux = size;
	p->ev = smp->callchain_nr ? stack_id(k, smp, qz_event__comm(ev)) : 0;
}

static int group_cmp(const void *a, const void *b)
{
	const struct km_stack *x = *(const struct km_stack *const *)a;
	const struct km_stack *y = *(const struct km_stack *const *)b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return (x->objects < y->objects) - (x->objects > y->objects);
}

static void fake_sample(const struct km_stack *st, struct qz_sample *smp)
{
	memset(smp, 0, sizeof(*smp));
	smp->sz = sizeof(*smp);
	smp->pid = st->pid;
	smp->tid = st->pid;
	smp->callchain = st->ips;
	smp->callchain_nr = st->nr;
}

/* At exit, every group's bytes under its stack: a memory flame graph. */
static void write_flame(struct kmemleak *k, struct km_stack **groups, size_t nr)
{
	char line[8192];

	for (size_t i = 0; i < nr; i++) {
		struct qz_sample smp;

		fake_sample(groups[i], &smp);
		if (groups[i]->nr)
			qz_folded__line(k->stacks, groups[i]->comm, &smp, line, sizeof(line));
		else
			snprintf(line, sizeof(line), "%s", groups[i] == &k->st[0] && k->nr_st > 1 ?
				 "[other stacks]" : "[no stack]");
		qz_folded__count_n(k->flame, line, groups[i]->bytes);
	}
	qz_folded__write(k->flame, k->session);
}

static void km_interval(void *ctx, struct qz_output *out, bool final)
{
	struct kmemleak *k = ctx;
	struct km_stack **groups;
	uint64_t objects = 0, bytes = 0;
	size_t nr = 0;
	struct qz_session_stats ss = { .sz = sizeof(ss) };

	(void)final;
	qz_session__stats(k->session, &ss);
	for (uint32_t i = 0; i < k->nr_st; i++)
		k->st[i].bytes = k->st[i].objects = 0;
	if (!k->nr_st && k->ptrs.nr) {
		/* no stacks at all: one group */
		k->st = calloc(1, sizeof(*k->st));
		if (!k->st)
			return;
		k->nr_st = k->cap_st = 1;
	}
	for (struct reltab_entry *e = reltab_first(&k->ptrs); e; e = reltab_next(&k->ptrs, e)) {
		if (k->than && k->newest - e->time <= k->than)
			continue;
		k->st[e->ev].bytes += e->aux;
		k->st[e->ev].objects++;
		objects++;
		bytes += e->aux;
	}
	groups = malloc((k->nr_st + 1) * sizeof(*groups));
	if (!groups)
		return;
	for (uint32_t i = 0; i < k->nr_st; i++)
		if (k->st[i].objects)
			groups[nr++] = &k->st[i];
	qsort(groups, nr, sizeof(*groups), group_cmp);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "kmemleak", k->newest);

		qz_json__key_bool(j, "final", final);
		qz_json__key_u64(j, "allocs", k->allocs);
		qz_json__key_u64(j, "frees", k->frees);
		qz_json__key_u64(j, "alloc_bytes", k->alloc_bytes);
		qz_json__key_u64(j, "free_bytes", k->free_bytes);
		qz_json__key_u64(j, "unmatched_frees", k->unmatched_frees);
		qz_json__key_u64(j, "leaked_objects", objects);
		qz_json__key_u64(j, "leaked_bytes", bytes);
		qz_json__key_u64(j, "pending", k->ptrs.nr);
		qz_json__key_u64(j, "evicted", k->ptrs.evicted);
		qz_json__key_u64(j, "evicted_bytes", k->evicted_bytes);
		qz_json__key_u64(j, "lost", ss.lost);
		qz_json__key_u64(j, "late", ss.late);
		qz_json__key(j, "leaks");
		qz_json__begin_array(j);
		for (size_t i = 0; i < nr && i < JSON_GROUPS; i++) {
			struct qz_sample smp;

			fake_sample(groups[i], &smp);
			qz_json__begin_object(j);
			qz_json__key_u64(j, "bytes", groups[i]->bytes);
			qz_json__key_u64(j, "objects", groups[i]->objects);
			qz_json__key(j, "stack");
			qz_stack_printer__json(k->stacks, &smp, j);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
	} else {
		FILE *f = qz_output__file(out);

		fprintf(f, "\nLEAKED BYTES REPORT: %" PRIu64 " bytes in %" PRIu64
			   " objects not freed%s\n", bytes, objects,
			k->than ? " (older than --than)" : "");
		for (size_t i = 0; i < nr && i < TEXT_GROUPS; i++) {
			struct qz_sample smp;

			fake_sample(groups[i], &smp);
			fprintf(f, "Leak of %" PRIu64 " bytes in %" PRIu64 " objects allocated from:\n",
				groups[i]->bytes, groups[i]->objects);
			if (groups[i]->nr)
				qz_stack_printer__text(k->stacks, &smp, f);
			else
				fprintf(f, "\t%s\n", groups[i] == &k->st[0] && k->nr_st > 1 ?
						     "(other stacks)" : "(no stack: add the stack attr or -g)");
		}
		fprintf(f, "KMEMLEAK STATS:\nTOTAL alloc %" PRIu64 " (%" PRIu64 " bytes) free %" PRIu64
			   " (%" PRIu64 " bytes), frees of unknown pointers %" PRIu64 "\n"
			   "PENDING %" PRIu64 ", evicted %" PRIu64 " (%" PRIu64 " bytes), lost %" PRIu64 "\n",
			k->allocs, k->alloc_bytes, k->frees, k->free_bytes, k->unmatched_frees,
			k->ptrs.nr, k->ptrs.evicted, k->evicted_bytes, ss.lost);
	}
	if (final && k->flame)
		write_flame(k, groups, nr);
	free(groups);
}

/* SIGUSR1: what is allocated and not freed now, with the totals. */
static void km_status(void *ctx, struct qz_output *out)
{
	km_interval(ctx, out, false);
}

static void km_deinit(void *ctx)
{
	km_free_all(ctx);
}

static const struct qz_option kmemleak_options[] = {
	QZ_OPTION_ENTRY(struct kmemleak_opts, alloc, "alloc", 0, QZ_OPTION_STRING, "EVENT",
			"allocation event (ptr=, size=, stack attrs)"),
	QZ_OPTION_ENTRY(struct kmemleak_opts, free, "free", 0, QZ_OPTION_STRING, "EVENT",
			"free event (ptr= attr)"),
	QZ_OPTION_ENTRY(struct kmemleak_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"report what exceeds TIME (ns, us, ms, s)"),
	QZ_OPTION_ENTRY(struct kmemleak_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING, "FILE",
			"at exit, bytes never freed per stack to FILE.folded and FILE.svg"),
	{ 0 },
};

const struct qz_profiler qz_profiler_kmemleak = {
	.name = "kmemleak",
	.help = "allocations never freed, paired by pointer, grouped by stack",
	.usage = "attrs: ptr=FIELD|REG, size=FIELD|REG, stack (REG for uprobes: rax/$retval, rdi/$arg1, ...)\n"
		 "examples:\n"
		 "  quazar kmemleak --alloc 'kmem:kmalloc//ptr=ptr/size=bytes_alloc/stack/' \\\n"
		 "      --free 'kmem:kfree//ptr=ptr/' -i 10000\n"
		 "  L=/lib/x86_64-linux-gnu/libc.so.6\n"
		 "  quazar kmemleak --alloc \"uprobe:$L:malloc//size=rdi/,uretprobe:$L:malloc//ptr=rax/stack/\" \\\n"
		 "      --free \"uprobe:$L:free//ptr=rdi/\" -- ./prog",
	.options = kmemleak_options,
	.opts_size = sizeof(struct kmemleak_opts),
	.attrs = QZ_PATTR_PTR | QZ_PATTR_SIZE,
	.nest = true,
	.ops = {
		.init = km_init,
		.sample = km_sample,
		.interval = km_interval,
		.deinit = km_deinit,
		.status = km_status,
	},
};
