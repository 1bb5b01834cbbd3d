// SPDX-License-Identifier: MIT
/*
 * kmemprof: an allocation profile (perf-prof's kmemprof). The first -e
 * names allocation events, with size= and the stack attr; the second the
 * free events. Allocations and frees are related by a key, the pointer
 * (-k or key=: a field, an expression, or for uprobes a register; default
 * the field `ptr`). Each interval reports the bytes and objects allocated
 * per call site and stack, and the bytes freed per freeing stack (each
 * free counts the size of its allocation, even one from an earlier
 * interval).
 *
 * A call site is the allocation's stack with the stack attr (or -g), else
 * its call_site field (kmem:kmalloc has one, shown as a kernel symbol),
 * else the event itself.
 *
 * Memory: at most MAX_PENDING live allocations (48 bytes each; the oldest
 * is evicted and counted past that) and MAX_SITES sites; past that, one
 * "(other sites)" group.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/evsel.h>
#include <quazar/filter.h>
#include <quazar/session.h>
#include <quazar/stack.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "callchain.h"
#include "regs.h"
#include "reltab.h"
#include "u64map.h"

#define MAX_PENDING (1u << 20)
#define MAX_SITES 65536
#define TEXT_SITES 10
#define JSON_SITES 50

struct kp_opts {
	char *key;
};

/* A number read from an event: a field, an expression or a register. */
struct kp_value {
	const struct qz_tp_field *field;
	const struct qz_filter *expr;
	int reg;
};

struct kp_event {
	bool free;
	struct kp_value key, size;
	const struct qz_tp_field *call_site;
	uint64_t mask;			/* sampled user registers */
};

/* A call site: a stack, a call_site value or an event; bytes per interval. */
struct kp_site {
	uint64_t hash;
	uint64_t call_site;
	int event;
	uint32_t pid;
	uint32_t nr;
	uint64_t *ips;
	uint64_t bytes, objects;
};

struct kp_side {
	struct kp_site *sites;
	uint32_t nr, cap;
	struct u64map index;		/* hash -> site + 1 */
	uint64_t bytes, objects;
};

struct kmemprof {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *stacks;
	struct kp_event *ev;
	int nr_ev;
	struct kp_side alloc, free;
	struct reltab live;		/* key -> size (aux), alloc site (ev) */
	uint32_t last_pid;
	uint64_t unknown_frees, evicted_bytes, interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void side_free(struct kp_side *side)
{
	for (uint32_t i = 0; i < side->nr; i++)
		free(side->sites[i].ips);
	free(side->sites);
	qz_u64map__free(&side->index);
}

static void kp_free(struct kmemprof *k)
{
	side_free(&k->alloc);
	side_free(&k->free);
	if (k->live.pool)
		qz_reltab__free(&k->live, NULL);
	qz_stack_printer__free(k->stacks);
	free(k->ev);
	free(k);
}

static int resolve(struct kmemprof *k, int idx, const char *attr, const char *text,
		   struct kp_value *v)
{
	const struct qz_event_spec *spec = qz_session__spec(k->session, idx);

	v->reg = -1;
	if (spec->kind == QZ_SPEC_UPROBE || spec->kind == QZ_SPEC_URETPROBE) {
		v->reg = qz_regs__by_name(text);
		if (v->reg >= 0) {
			k->ev[idx].mask |= 1ull << v->reg;
			return 0;
		}
		qz_session__log(k->session, QZ_LOG_ERROR,
				"%s=%s on '%s': a uprobe reads registers: rdi/$arg1, rsi/$arg2, rdx/$arg3, rcx/$arg4, r8/$arg5, r9/$arg6, rax/$retval",
				attr, text, qz_session__event_name(k->session, idx));
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	if (!is_field_name(text))
		return (v->expr = qz_session__expr(k->session, idx, attr, text)) ? 0 : -errno;
	return qz_mt__resolve_field(k->session, idx, attr, text, &v->field);
}

static uint64_t value_of(const struct kp_value *v, const struct kp_event *e,
			 const struct qz_sample *smp)
{
	if (v->field)
		return qz_tp_field__u64(v->field, smp->raw, smp->raw_size);
	if (v->expr)
		return (uint64_t)qz_filter__eval(v->expr, smp->raw, smp->raw_size);
	return qz_regs__get(smp, e->mask, v->reg);
}

static int setup_event(struct kmemprof *k, int idx, bool is_free, const char *optkey)
{
	const struct qz_event_spec *spec = qz_session__spec(k->session, idx);
	struct qz_tp_event *tp = qz_session__tp_event(k->session, idx);
	const char *name = qz_session__event_name(k->session, idx);
	const char *key = spec->key ? spec->key : optkey;
	struct kp_event *e = &k->ev[idx];
	int err;

	e->free = is_free;
	if (!key && tp && qz_tp_event__field(tp, "ptr"))
		key = "ptr";
	if (!key) {
		qz_session__log(k->session, QZ_LOG_ERROR,
				"'%s' has no key relating allocations and frees: give -k FIELD or key=FIELD (the pointer), e.g. key=page",
				name);
		return -QZ_ERR_OPTION;
	}
	err = resolve(k, idx, spec->key ? "key" : "-k", key, &e->key);
	if (err)
		return err;
	if (!is_free) {
		if (!spec->size) {
			qz_session__log(k->session, QZ_LOG_ERROR,
					"allocation '%s' needs its size: size=FIELD or an expression, e.g. kmem:kmalloc//size=bytes_alloc/stack/",
					name);
			return -QZ_ERR_OPTION;
		}
		err = resolve(k, idx, "size", spec->size, &e->size);
		if (err)
			return err;
		if (tp)
			e->call_site = qz_tp_event__field(tp, "call_site");
	} else if (spec->size) {
		qz_session__log(k->session, QZ_LOG_ERROR,
				"size= on free event '%s': a free counts its allocation's size; drop size=",
				name);
		return -QZ_ERR_OPTION;
	}
	return e->mask ? qz_session__set_regs_user(k->session, idx, e->mask) : 0;
}

static int kp_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct kp_opts *opts = qz_session__ops_opts(s);
	struct kmemprof *k;
	int err = 0, nr_alloc = 0;

	if (env->events.n != 2) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kmemprof takes two -e: allocations, then frees, e.g. -e 'kmem:kmalloc//size=bytes_alloc/stack/' -e kmem:kfree -k ptr");
		return -QZ_ERR_OPTION;
	}
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->session = s;
	k->out = qz_session__output(s);
	k->interval_start = now_ns();
	k->stacks = qz_stack_printer__new();
	if (!k->stacks || qz_u64map__init(&k->alloc.index, sizeof(uint32_t)) ||
	    qz_u64map__init(&k->free.index, sizeof(uint32_t)) ||
	    qz_reltab__init(&k->live, MAX_PENDING, NULL, NULL))
		err = -ENOMEM;
	for (int i = 0; !err && i < 2; i++) {
		err = qz_session__add_events(s, env->events.v[i], 0);
		if (err >= 0)
			err = 0;
		if (!i)
			nr_alloc = qz_session__nr_events(s);
	}
	if (!err) {
		k->nr_ev = qz_session__nr_events(s);
		k->ev = calloc((size_t)k->nr_ev, sizeof(*k->ev));
		err = k->ev ? 0 : -ENOMEM;
	}
	for (int i = 0; !err && i < k->nr_ev; i++)
		err = setup_event(k, i, i >= nr_alloc, opts->key);
	if (err) {
		kp_free(k);
		return err;
	}
	/* Relating a free to its allocation across CPUs needs the global order. */
	env->order = true;
	*ctx = k;
	return 0;
}

static uint64_t site_hash(const struct qz_sample *smp, int event, uint64_t call_site,
			  uint32_t *pid)
{
	uint64_t h = 0xcbf29ce484222325ull;
	bool user = false;

	for (uint64_t i = 0; i < smp->callchain_nr; i++) {
		user |= smp->callchain[i] == PERF_CONTEXT_USER;
		h = (h ^ smp->callchain[i]) * 0x100000001b3ull;
	}
	*pid = user ? smp->pid : 0;
	h = (h ^ call_site) * 0x100000001b3ull;
	h = (h ^ (uint64_t)event) * 0x100000001b3ull;
	return (h ^ *pid) * 0x9e3779b97f4a7c15ull;
}

/* The site of a sample on one side, interned; 0 is "(other sites)". */
static uint32_t site_of(struct kp_side *side, const struct qz_sample *smp, int event,
			uint64_t call_site)
{
	uint32_t pid;
	uint64_t h = site_hash(smp, event, call_site, &pid);
	uint32_t *slot = qz_u64map__get(&side->index, h);
	struct kp_site *st;
	bool created;

	if (slot)
		return *slot;
	if (side->nr == side->cap) {
		uint32_t ncap = side->cap ? side->cap * 2 : 64;
		struct kp_site *n;

		if (side->cap >= MAX_SITES || !(n = realloc(side->sites, ncap * sizeof(*n))))
			return 0;
		side->sites = n;
		side->cap = ncap;
		if (!side->nr) {
			memset(&side->sites[0], 0, sizeof(side->sites[0]));
			side->sites[0].event = -1;
			side->nr = 1;
		}
	}
	st = &side->sites[side->nr];
	memset(st, 0, sizeof(*st));
	st->hash = h;
	st->pid = pid;
	st->event = event;
	st->call_site = call_site;
	st->nr = (uint32_t)smp->callchain_nr;
	if (st->nr && !(st->ips = malloc(st->nr * sizeof(uint64_t))))
		return 0;
	if (st->nr)
		memcpy(st->ips, smp->callchain, st->nr * sizeof(uint64_t));
	slot = qz_u64map__put(&side->index, h, &created);
	if (!slot) {
		free(st->ips);
		return 0;
	}
	*slot = side->nr;
	return side->nr++;
}

static void kp_sample(void *ctx, const struct qz_event *ev)
{
	struct kmemprof *k = ctx;
	const struct kp_event *e = &k->ev[ev->index];
	const struct qz_sample *smp = ev->sample;
	uint64_t key = value_of(&e->key, e, smp);
	struct reltab_entry *p;
	uint32_t site;

	if (!key)
		return;		/* a failed allocation, free(NULL) */
	if (smp->callchain_nr && smp->pid != k->last_pid) {
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(k->stacks), (pid_t)smp->pid);
		k->last_pid = smp->pid;
	}
	if (e->free) {
		p = reltab_find(&k->live, key);
		if (!p) {
			k->unknown_frees++;
			return;
		}
		site = site_of(&k->free, smp, ev->index, 0);
		k->free.sites[site].bytes += p->aux;
		k->free.sites[site].objects++;
		k->free.bytes += p->aux;
		k->free.objects++;
		qz_reltab__remove(&k->live, p);
		return;
	}
	{
		uint64_t size = value_of(&e->size, e, smp);
		uint64_t call_site = !smp->callchain_nr && e->call_site ?
			qz_tp_field__u64(e->call_site, smp->raw, smp->raw_size) : 0;

		site = site_of(&k->alloc, smp, ev->index, call_site);
		k->alloc.sites[site].bytes += size;
		k->alloc.sites[site].objects++;
		k->alloc.bytes += size;
		k->alloc.objects++;
		p = reltab_find(&k->live, key);
		if (p) {
			qz_reltab__touch(&k->live, p);	/* its free was not seen */
		} else if (!(p = qz_reltab__insert(&k->live, key))) {
			return;
		}
		p->aux = size;
		p->ev = site;
		p->time = smp->time;
	}
}

static int site_cmp(const void *a, const void *b)
{
	const struct kp_site *x = *(const struct kp_site *const *)a;
	const struct kp_site *y = *(const struct kp_site *const *)b;

	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return (x->objects < y->objects) - (x->objects > y->objects);
}

static void fake_sample(const struct kp_site *st, struct qz_sample *smp)
{
	memset(smp, 0, sizeof(*smp));
	smp->sz = sizeof(*smp);
	smp->pid = smp->tid = st->pid;
	smp->callchain = st->ips;
	smp->callchain_nr = st->nr;
}

/* "kmalloc_trace+0x1f" for a call site, or the event's name. */
static void site_name(struct kmemprof *k, const struct kp_site *st, char *buf, size_t len)
{
	if (st->event < 0)
		snprintf(buf, len, "(other sites)");
	else if (st->call_site)
		qz_stack_printer__frame(k->stacks, 0, false, st->call_site, buf, len);
	else
		snprintf(buf, len, "%s", qz_session__event_name(k->session, st->event));
}

static void print_side(struct kmemprof *k, struct kp_side *side, bool free_side,
		       struct qz_json *j, FILE *f)
{
	struct kp_site **sorted = malloc((side->nr + 1) * sizeof(*sorted));
	size_t nr = 0;
	char name[256];

	if (!sorted)
		return;
	for (uint32_t i = 0; i < side->nr; i++)
		if (side->sites[i].objects)
			sorted[nr++] = &side->sites[i];
	qsort(sorted, nr, sizeof(*sorted), site_cmp);
	if (j) {
		qz_json__key(j, free_side ? "free" : "alloc");
		qz_json__begin_object(j);
		qz_json__key_u64(j, "bytes", side->bytes);
		qz_json__key_u64(j, "objects", side->objects);
		qz_json__key(j, "sites");
		qz_json__begin_array(j);
	}
	for (size_t i = 0; i < nr && i < (j ? JSON_SITES : TEXT_SITES); i++) {
		const struct kp_site *st = sorted[i];
		struct qz_sample smp;

		fake_sample(st, &smp);
		site_name(k, st, name, sizeof(name));
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_u64(j, "bytes", st->bytes);
			qz_json__key_u64(j, "objects", st->objects);
			if (st->event >= 0)
				qz_json__key_str(j, "event",
						 qz_session__event_name(k->session, st->event));
			if (st->call_site)
				qz_json__key_str(j, "call_site", name);
			if (st->nr) {
				qz_json__key(j, "stack");
				qz_stack_printer__json(k->stacks, &smp, j);
			}
			qz_json__end_object(j);
			continue;
		}
		fprintf(f, "%s %" PRIu64 " (%.1f%%) bytes on %" PRIu64 " (%.1f%%) objects%s%s\n",
			free_side ? "Free" : "Allocate", st->bytes,
			side->bytes ? 100.0 * (double)st->bytes / (double)side->bytes : 0.0,
			st->objects, 100.0 * (double)st->objects / (double)side->objects,
			st->nr ? ":" : " at ", st->nr ? "" : name);
		if (st->nr)
			qz_stack_printer__text(k->stacks, &smp, f);
	}
	if (j) {
		qz_json__end_array(j);
		qz_json__end_object(j);
	}
	free(sorted);
}

static void reset_side(struct kp_side *side)
{
	for (uint32_t i = 0; i < side->nr; i++)
		side->sites[i].bytes = side->sites[i].objects = 0;
	side->bytes = side->objects = 0;
}

static void kp_interval(void *ctx, struct qz_output *out, bool final)
{
	struct kmemprof *k = ctx;
	uint64_t now = now_ns();

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "kmemprof", now);
		struct qz_session_stats st = { .sz = sizeof(st) };

		qz_session__stats(k->session, &st);
		qz_json__key_u64(j, "interval_ns", now - k->interval_start);
		qz_json__key_bool(j, "final", final);
		print_side(k, &k->alloc, false, j, NULL);
		print_side(k, &k->free, true, j, NULL);
		qz_json__key_u64(j, "unknown_frees", k->unknown_frees);
		qz_json__key_u64(j, "live", k->live.nr);
		qz_json__key_u64(j, "evicted", k->live.evicted);
		qz_json__key_u64(j, "lost", st.lost);
		qz_output__end(out);
	} else {
		FILE *f = qz_output__file(out);

		fprintf(f, "\ntotal alloc %" PRIu64 " bytes on %" PRIu64 " objects\n",
			k->alloc.bytes, k->alloc.objects);
		print_side(k, &k->alloc, false, NULL, f);
		fprintf(f, "total free %" PRIu64 " bytes on %" PRIu64 " objects"
			   " (frees of unknown pointers %" PRIu64 ")\n",
			k->free.bytes, k->free.objects, k->unknown_frees);
		print_side(k, &k->free, true, NULL, f);
		fprintf(f, "live allocations %" PRIu64 "\n", k->live.nr);
	}
	reset_side(&k->alloc);
	reset_side(&k->free);
	k->unknown_frees = 0;
	k->interval_start = now;
}

static void kp_deinit(void *ctx)
{
	kp_free(ctx);
}

static const struct qz_option kp_options[] = {
	QZ_OPTION_ENTRY(struct kp_opts, key, "key", 'k', QZ_OPTION_STRING, "FIELD",
			"the pointer relating frees to allocations (default: ptr)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_kmemprof = {
	.name = "kmemprof",
	.help = "allocation profile: bytes allocated and freed per call site and stack",
	.usage = "usage: quazar kmemprof -e ALLOC//size=FIELD/stack/ -e FREE [-k FIELD]\n"
		 "examples:\n"
		 "  quazar kmemprof -e 'kmem:kmalloc//size=bytes_alloc/stack/' -e kmem:kfree -k ptr\n"
		 "  quazar kmemprof -e 'kmem:mm_page_alloc//size=(4096<<order)/key=page/stack/' \\\n"
		 "      -e 'kmem:mm_page_free//key=page/'\n"
		 "  quazar kmemprof -e 'uprobe:P:my_alloc//key=rax/size=rdi/stack/' -e 'uprobe:P:my_free//key=rdi/'",
	.attrs = QZ_PATTR_KEY | QZ_PATTR_SIZE,
	.options = kp_options,
	.opts_size = sizeof(struct kp_opts),
	.ops = {
		.default_interval_ms = 1000,
		.init = kp_init,
		.sample = kp_sample,
		.interval = kp_interval,
		.deinit = kp_deinit,
	},
};
