// SPDX-License-Identifier: MIT
/*
 * Kernel addresses named one at a time by the caller's function, and
 * remembered. Where the caller can ask the kernel itself (libquazar-bpf
 * can, through bpf_snprintf's %pS) that costs a syscall per address, where
 * reading /proc/kallsyms whole costs ~40 ms of kernel time: most of a short
 * or in-kernel-aggregating profiler's CPU.
 *
 * The function's text is the kernel's %pS: "name+0xOFF/0xSIZE", then
 * " [module]" for a module's symbol; a bare "0x..." has no symbol. The
 * answer names the whole function (its start and size), so the other
 * addresses in it are named without asking again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack_internal.h"

#define TEXT_MAX 640	/* KSYM_NAME_LEN (512), the offsets and a module */

/* A kernel function as the lookup told it. */
struct qz__ksym_func {
	uint64_t start, size;
	const char *module;	/* in name's text, or "[kernel]" */
	char name[];		/* then the module's text */
};

/* An address asked about: its function, or NULL without a symbol. */
struct qz__ksym_addr {
	uint64_t addr;
	const struct qz__ksym_func *func;
	struct qz__ksym_addr *next;
};

struct qz__ksym_lookup {
	qz_kernel_lookup_fn fn;
	void *ctx;
	struct qz__ksym_addr **buckets;
	size_t nr_buckets, nr_addrs;	/* a power of two; entries */
	struct qz__ksym_func **funcs;	/* sorted by start, disjoint */
	size_t nr_funcs, cap_funcs;
};

struct qz__ksym_lookup *qz__ksym_lookup__new(qz_kernel_lookup_fn fn, void *ctx)
{
	struct qz__ksym_lookup *k = calloc(1, sizeof(*k));

	if (!k)
		return NULL;
	k->fn = fn;
	k->ctx = ctx;
	k->nr_buckets = 1024;
	k->buckets = calloc(k->nr_buckets, sizeof(*k->buckets));
	if (!k->buckets) {
		free(k);
		return NULL;
	}
	return k;
}

void qz__ksym_lookup__free(struct qz__ksym_lookup *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->nr_buckets; i++) {
		for (struct qz__ksym_addr *a = k->buckets[i], *next; a; a = next) {
			next = a->next;
			free(a);
		}
	}
	for (size_t i = 0; i < k->nr_funcs; i++)
		free(k->funcs[i]);
	free(k->funcs);
	free(k->buckets);
	free(k);
}

static size_t bucket_of(uint64_t addr, size_t nr_buckets)
{
	return (size_t)((addr * 0x9e3779b97f4a7c15ull) >> 32) & (nr_buckets - 1);
}

/* Twice the buckets once there are as many entries: chains stay short. */
static void grow(struct qz__ksym_lookup *k)
{
	size_t nr = k->nr_buckets * 2;
	struct qz__ksym_addr **b = calloc(nr, sizeof(*b));

	if (!b)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < k->nr_buckets; i++) {
		for (struct qz__ksym_addr *a = k->buckets[i], *next; a; a = next) {
			size_t j = bucket_of(a->addr, nr);

			next = a->next;
			a->next = b[j];
			b[j] = a;
		}
	}
	free(k->buckets);
	k->buckets = b;
	k->nr_buckets = nr;
}

/* The index of the first function starting above addr. */
static size_t func_after(const struct qz__ksym_lookup *k, uint64_t addr)
{
	size_t lo = 0, hi = k->nr_funcs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->funcs[mid]->start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static const struct qz__ksym_func *func_holding(const struct qz__ksym_lookup *k, uint64_t addr)
{
	size_t i = func_after(k, addr);
	const struct qz__ksym_func *f = i ? k->funcs[i - 1] : NULL;

	return f && addr - f->start < f->size ? f : NULL;
}

/* "name+0xOFF/0xSIZE [module]" as a function; NULL without a symbol. */
static struct qz__ksym_func *parse_text(const char *text, uint64_t addr)
{
	const char *plus = strrchr(text, '+'), *slash, *bracket, *end;
	size_t name_len, module_len = 0;
	struct qz__ksym_func *f;
	uint64_t offset;

	if (!plus || plus == text || !strncmp(text, "0x", 2) || !(slash = strchr(plus, '/')))
		return NULL;
	offset = strtoull(plus + 1, NULL, 16);
	name_len = (size_t)(plus - text);
	bracket = strchr(slash, '[');
	end = bracket ? strchr(bracket, ']') : NULL;
	if (end)
		module_len = (size_t)(end + 1 - bracket);
	f = calloc(1, sizeof(*f) + name_len + 1 + module_len + 1);
	if (!f)
		return NULL;
	f->start = addr - offset;
	f->size = strtoull(slash + 1, NULL, 16) ?: offset + 1;
	memcpy(f->name, text, name_len);
	f->module = "[kernel]";
	if (module_len) {
		char *module = f->name + name_len + 1;

		memcpy(module, bracket, module_len);
		f->module = module;
	}
	return f;
}

/* Keep f in start order; 0 or -ENOMEM (f then freed). */
static int add_func(struct qz__ksym_lookup *k, struct qz__ksym_func *f)
{
	size_t i = func_after(k, f->start);

	if (k->nr_funcs == k->cap_funcs) {
		size_t cap = k->cap_funcs ? 2 * k->cap_funcs : 256;
		struct qz__ksym_func **funcs = realloc(k->funcs, cap * sizeof(*funcs));

		if (!funcs) {
			free(f);
			return -ENOMEM;
		}
		k->funcs = funcs;
		k->cap_funcs = cap;
	}
	memmove(&k->funcs[i + 1], &k->funcs[i], (k->nr_funcs - i) * sizeof(*k->funcs));
	k->funcs[i] = f;
	k->nr_funcs++;
	return 0;
}

/* addr's function: known, or asked of fn and kept. */
static int find_func(struct qz__ksym_lookup *k, uint64_t addr,
		     const struct qz__ksym_func **out)
{
	char text[TEXT_MAX] = "";
	struct qz__ksym_func *f;

	if ((*out = func_holding(k, addr)))
		return 0;
	if (k->fn(k->ctx, addr, text, sizeof(text)) < 0)
		return 0;	/* no symbol */
	text[sizeof(text) - 1] = '\0';
	if (!(f = parse_text(text, addr)))
		return 0;
	if (add_func(k, f))
		return -ENOMEM;
	*out = f;
	return 0;
}

int qz__ksym_lookup__find(struct qz__ksym_lookup *k, uint64_t addr, const char **name,
			  uint64_t *offset, const char **module)
{
	struct qz__ksym_addr *a = k->buckets[bucket_of(addr, k->nr_buckets)];

	while (a && a->addr != addr)
		a = a->next;
	if (!a) {
		size_t i;

		if (!(a = calloc(1, sizeof(*a))) || find_func(k, addr, &a->func)) {
			free(a);
			return -ENOMEM;
		}
		a->addr = addr;	/* remembered without a symbol too: asked once */
		if (k->nr_addrs >= k->nr_buckets)
			grow(k);
		i = bucket_of(addr, k->nr_buckets);
		a->next = k->buckets[i];
		k->buckets[i] = a;
		k->nr_addrs++;
	}
	if (!a->func)
		return -ENOENT;
	*name = a->func->name;
	*offset = addr - a->func->start;
	*module = a->func->module;
	return 0;
}
