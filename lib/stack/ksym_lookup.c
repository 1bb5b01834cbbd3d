// SPDX-License-Identifier: MIT
/*
 * Kernel addresses named one at a time by the caller's function, each
 * remembered. Where the caller can ask the kernel itself (libquazar-bpf
 * can, through bpf_snprintf's %pS) that costs microseconds per address,
 * where reading /proc/kallsyms whole costs ~40 ms of kernel time: most of
 * a short or in-kernel-aggregating profiler's CPU.
 *
 * The function's text is the kernel's %pS: "name+0xOFF/0xSIZE", then
 * " [module]" for a module's symbol; a bare "0x..." has no symbol.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "stack_internal.h"

#define TEXT_MAX 640	/* KSYM_NAME_LEN (512), the offsets and a module */

struct qz__ksym_entry {
	uint64_t addr, offset;
	const char *name;	/* in text; NULL: the address has no symbol */
	const char *module;	/* in text, or "[kernel]" */
	struct qz__ksym_entry *next;
	char text[];
};

struct qz__ksym_lookup {
	qz_kernel_lookup_fn fn;
	void *ctx;
	struct qz__ksym_entry **buckets;
	size_t nr_buckets, nr;	/* a power of two; entries */
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
		for (struct qz__ksym_entry *e = k->buckets[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	}
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
	struct qz__ksym_entry **b = calloc(nr, sizeof(*b));

	if (!b)
		return;	/* longer chains, still correct */
	for (size_t i = 0; i < k->nr_buckets; i++) {
		for (struct qz__ksym_entry *e = k->buckets[i], *next; e; e = next) {
			size_t j = bucket_of(e->addr, nr);

			next = e->next;
			e->next = b[j];
			b[j] = e;
		}
	}
	free(k->buckets);
	k->buckets = b;
	k->nr_buckets = nr;
}

/* Split "name+0xOFF/0xSIZE [module]" in place; false without a symbol. */
static bool parse_text(struct qz__ksym_entry *e)
{
	char *plus = strrchr(e->text, '+'), *bracket;

	if (!plus || plus == e->text || strncmp(e->text, "0x", 2) == 0)
		return false;
	*plus = '\0';
	e->offset = strtoull(plus + 1, NULL, 16);
	e->name = e->text;
	e->module = "[kernel]";
	bracket = strchr(plus + 1, '[');
	if (bracket && strchr(bracket, ']')) {
		strchr(bracket, ']')[1] = '\0';
		e->module = bracket;
	}
	return true;
}

static struct qz__ksym_entry *lookup(struct qz__ksym_lookup *k, uint64_t addr)
{
	char text[TEXT_MAX];
	struct qz__ksym_entry *e;
	size_t len, i;

	text[0] = '\0';
	if (k->fn(k->ctx, addr, text, sizeof(text)) < 0)
		text[0] = '\0';
	text[sizeof(text) - 1] = '\0';
	len = strlen(text);
	e = calloc(1, sizeof(*e) + len + 1);
	if (!e)
		return NULL;
	e->addr = addr;
	memcpy(e->text, text, len + 1);
	if (!parse_text(e))
		e->name = NULL;	/* remembered too: asked once */
	if (k->nr >= k->nr_buckets)
		grow(k);
	i = bucket_of(addr, k->nr_buckets);
	e->next = k->buckets[i];
	k->buckets[i] = e;
	k->nr++;
	return e;
}

int qz__ksym_lookup__find(struct qz__ksym_lookup *k, uint64_t addr, const char **name,
			  uint64_t *offset, const char **module)
{
	struct qz__ksym_entry *e = k->buckets[bucket_of(addr, k->nr_buckets)];

	while (e && e->addr != addr)
		e = e->next;
	if (!e && !(e = lookup(k, addr)))
		return -ENOMEM;
	if (!e->name)
		return -ENOENT;
	*name = e->name;
	*offset = e->offset;
	*module = e->module;
	return 0;
}
