// SPDX-License-Identifier: MIT
/* Symbols for kernel (kallsyms) and user (libdw) addresses. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <elfutils/libdwfl.h>
#include <quazar/stack.h>
#include "../internal.h"

#define MAX_PROCS 1024
#define REREAD_NS 1000000000ull

struct ksym {
	uint64_t addr;
	char *name;
};

struct proc_syms {
	pid_t pid;
	Dwfl *dwfl;	/* NULL when the process could not be read */
	uint64_t read_ns;	/* when its mappings were read */
};

struct qz_symbolizer {
	struct ksym *ksyms;
	size_t nr_ksyms;
	bool ksyms_loaded;
	struct proc_syms procs[MAX_PROCS];
	size_t nr_procs, next_evict;
};

QZ_API struct qz_symbolizer *qz_symbolizer__new(void)
{
	return calloc(1, sizeof(struct qz_symbolizer));
}

QZ_API void qz_symbolizer__free(struct qz_symbolizer *sym)
{
	if (!sym)
		return;
	for (size_t i = 0; i < sym->nr_ksyms; i++)
		free(sym->ksyms[i].name);
	free(sym->ksyms);
	for (size_t i = 0; i < sym->nr_procs; i++)
		if (sym->procs[i].dwfl)
			dwfl_end(sym->procs[i].dwfl);
	free(sym);
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* kallsyms shows zero addresses without privilege: then nothing resolves. */
static void load_kallsyms(struct qz_symbolizer *sym)
{
	FILE *f = fopen("/proc/kallsyms", "re");
	size_t cap = 0;
	char line[512];

	sym->ksyms_loaded = true;
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long addr;
		char type, name[256];

		if (sscanf(line, "%llx %c %255s", &addr, &type, name) != 3 || !addr)
			continue;
		if (type != 't' && type != 'T' && type != 'w' && type != 'W')
			continue;
		if (sym->nr_ksyms == cap) {
			struct ksym *grown;

			cap = cap ? cap * 2 : 65536;
			grown = realloc(sym->ksyms, cap * sizeof(*grown));
			if (!grown)
				break;
			sym->ksyms = grown;
		}
		sym->ksyms[sym->nr_ksyms].addr = addr;
		sym->ksyms[sym->nr_ksyms].name = strdup(name);
		if (sym->ksyms[sym->nr_ksyms].name)
			sym->nr_ksyms++;
	}
	fclose(f);
	qsort(sym->ksyms, sym->nr_ksyms, sizeof(*sym->ksyms), ksym_cmp);
}

QZ_API int qz_symbolizer__kernel(struct qz_symbolizer *sym, uint64_t addr,
				 struct qz_symbol *out)
{
	size_t lo = 0, hi;

	if (!sym->ksyms_loaded)
		load_kallsyms(sym);
	hi = sym->nr_ksyms;
	/* The last symbol starting at or below addr. */
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (sym->ksyms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	out->name = sym->ksyms[lo - 1].name;
	out->offset = addr - sym->ksyms[lo - 1].addr;
	out->module = "[kernel]";
	return 0;
}

static const Dwfl_Callbacks proc_callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

static struct proc_syms *find_proc(struct qz_symbolizer *sym, pid_t pid)
{
	for (size_t i = 0; i < sym->nr_procs; i++)
		if (sym->procs[i].pid == pid)
			return &sym->procs[i];
	return NULL;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A process's mappings, or NULL when they cannot be read (it exited). */
static Dwfl *read_maps(pid_t pid)
{
	Dwfl *dwfl = dwfl_begin(&proc_callbacks);

	if (dwfl && (dwfl_linux_proc_report(dwfl, pid) ||
		     dwfl_report_end(dwfl, NULL, NULL))) {
		dwfl_end(dwfl);
		return NULL;
	}
	return dwfl;
}

/* Read pid's mappings into p, keeping what p had if they are gone. */
static void refresh(struct proc_syms *p, pid_t pid, bool same_pid)
{
	Dwfl *dwfl = read_maps(pid);

	p->read_ns = now_ns();
	if (!dwfl && same_pid)
		return;
	if (p->dwfl)
		dwfl_end(p->dwfl);
	p->pid = pid;
	p->dwfl = dwfl;
}

QZ_API void qz_symbolizer__prepare(struct qz_symbolizer *sym, pid_t pid)
{
	struct proc_syms *p;

	if (find_proc(sym, pid))
		return;
	if (sym->nr_procs < MAX_PROCS)
		p = &sym->procs[sym->nr_procs++];
	else	/* Bounded: the oldest process's symbols go first. */
		p = &sym->procs[sym->next_evict++ % MAX_PROCS];
	refresh(p, pid, false);
}

QZ_API int qz_symbolizer__user(struct qz_symbolizer *sym, pid_t pid,
			       uint64_t addr, struct qz_symbol *out)
{
	struct proc_syms *p = find_proc(sym, pid);
	Dwfl_Module *mod;
	GElf_Off offset;
	GElf_Sym elf_sym;
	const char *name;

	if (!p) {
		qz_symbolizer__prepare(sym, pid);
		p = find_proc(sym, pid);
	}
	if (!p)
		return -ENOENT;
	mod = p->dwfl ? dwfl_addrmodule(p->dwfl, addr) : NULL;
	/*
	 * Not mapped when last read: the process may have loaded a library,
	 * exec'd, or be a new process under a reused pid. Read again, at
	 * most once a second per process.
	 */
	if (!mod && now_ns() - p->read_ns > REREAD_NS) {
		refresh(p, pid, true);
		mod = p->dwfl ? dwfl_addrmodule(p->dwfl, addr) : NULL;
	}
	if (!mod)
		return -ENOENT;
	name = dwfl_module_addrinfo(mod, addr, &offset, &elf_sym, NULL, NULL, NULL);
	out->module = dwfl_module_info(mod, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
	if (out->module && strrchr(out->module, '/'))
		out->module = strrchr(out->module, '/') + 1;
	if (!name)
		return -ENOENT;
	out->name = name;
	out->offset = offset;
	return 0;
}
