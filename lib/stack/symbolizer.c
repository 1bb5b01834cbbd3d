// SPDX-License-Identifier: MIT
/*
 * The symbolizer: records into the map cache (maps.c), addresses through
 * it to files (dso_cache.c) and their symbols (dso.c), JIT maps
 * (jitmap.c), or the kernel's (kallsyms.c).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stack_internal.h"

#define REREAD_NS 1000000000ull

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

QZ_API struct qz_symbolizer *qz_symbolizer__new_opts(const struct qz_symbolizer_opts *opts)
{
	struct qz_symbolizer *sym;

	QZ_OPTS_CHECK_OR_NULL(opts);
	sym = calloc(1, sizeof(*sym));
	if (!sym)
		return NULL;
	sym->max_procs = QZ_OPT(opts, max_procs, 0) ?: 8192;
	sym->max_maps = QZ_OPT(opts, max_maps, 0) ?: 262144;
	sym->max_dsos = QZ_OPT(opts, max_dsos, 0) ?: 2048;
	sym->proc_root = strdup(QZ_OPT(opts, proc_root, NULL) ?: "/proc");
	sym->debug_dir = strdup(QZ_OPT(opts, debug_dir, NULL) ?: "/usr/lib/debug");
	sym->jit_dir = strdup(QZ_OPT(opts, jit_dir, NULL) ?: "/tmp");
	sym->kallsyms = strdup(QZ_OPT(opts, kallsyms, NULL) ?: "/proc/kallsyms");
	sym->log.fn = QZ_OPT(opts, log, NULL);
	sym->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	if (!sym->proc_root || !sym->debug_dir || !sym->jit_dir || !sym->kallsyms) {
		qz_symbolizer__free(sym);
		errno = ENOMEM;
		return NULL;
	}
	return sym;
}

QZ_API struct qz_symbolizer *qz_symbolizer__new(void)
{
	return qz_symbolizer__new_opts(NULL);
}

QZ_API void qz_symbolizer__free(struct qz_symbolizer *sym)
{
	if (!sym)
		return;
	qz__maps__free_all(sym);
	qz__dsos__free_all(sym);
	qz__ksyms__free(sym->ksyms);
	qz__ksym_lookup__free(sym->ksym_lookup);
	free(sym->proc_root);
	free(sym->debug_dir);
	free(sym->jit_dir);
	free(sym->kallsyms);
	free(sym);
}

static int record_mmap2(struct qz_symbolizer *sym, const struct qz_record *r)
{
	const char *file = r->mmap2.filename;
	struct qz__dso *dso = NULL;
	struct qz__proc *p;
	int err;

	if (!strcmp(file, "[vdso]")) {
		dso = qz__dso__vdso(sym);
	} else if (file[0] == '[') {
		return 0;	/* [vsyscall], [uprobes]: the kernel's */
	} else if (file[0] && strcmp(file, "//anon")) {
		struct qz__dso_key key = {
			.dev_major = r->mmap2.maj, .dev_minor = r->mmap2.min,
			.ino = r->mmap2.ino, .path = file,
		};

		if (r->mmap2.has_build_id && r->mmap2.build_id_size) {
			key.build_id = r->mmap2.build_id;
			key.build_id_size = r->mmap2.build_id_size;
		}
		if (!(dso = qz__dso__get(sym, &key)))
			return -ENOMEM;
	}
	p = qz__proc__get(sym, (pid_t)r->mmap2.pid);
	err = p ? qz__proc__mmap(sym, p, r->mmap2.addr, r->mmap2.len, r->mmap2.pgoff, dso) :
		  -ENOMEM;
	qz__dso__put(sym, dso);
	return err;
}

QZ_API int qz_symbolizer__record(struct qz_symbolizer *sym,
				 const struct perf_event_header *rec,
				 const struct qz_sample_format *fmt)
{
	struct qz_record r;
	int err;

	if (rec->type != PERF_RECORD_MMAP2 && rec->type != PERF_RECORD_COMM &&
	    rec->type != PERF_RECORD_FORK && rec->type != PERF_RECORD_EXIT)
		return 0;
	r.sz = sizeof(r);
	err = qz_record__parse(rec, fmt, &r);
	if (err) {
		sym->stats.bad_records++;
		return err;
	}
	sym->fed = true;
	switch (r.type) {
	case PERF_RECORD_MMAP2:
		return record_mmap2(sym, &r);
	case PERF_RECORD_COMM:
		if (r.comm.exec)
			qz__maps__exec(sym, (pid_t)r.comm.pid);
		return 0;
	case PERF_RECORD_FORK:
		return qz__maps__fork(sym, (pid_t)r.task.pid, (pid_t)r.task.ppid);
	default:
		/* The thread group's leader leaving is the process's exit. */
		if (r.task.pid == r.task.tid)
			qz__maps__exit(sym, (pid_t)r.task.pid);
		return 0;
	}
}

QZ_API void qz_symbolizer__prepare(struct qz_symbolizer *sym, pid_t pid)
{
	qz__maps__seed(sym, pid, false);
}

QZ_API uint64_t qz_symbolizer__gen(struct qz_symbolizer *sym, pid_t pid)
{
	struct qz__proc *p;

	if (pid <= 0)
		return 0;
	/* A pid not seen yet gets its entry now, and its maps when resolved. */
	p = qz__proc__get(sym, pid);
	if (!p)
		return 0;
	qz__proc__touch(sym, p);
	return p->gen;
}

QZ_API void qz_symbolizer__reap(struct qz_symbolizer *sym)
{
	qz__maps__reap(sym);
}

QZ_API int qz_symbolizer__set_kernel_lookup(struct qz_symbolizer *sym,
					    qz_kernel_lookup_fn fn, void *ctx)
{
	if (fn && sym->ksyms_tried)
		return -EBUSY;
	qz__ksym_lookup__free(sym->ksym_lookup);
	sym->ksym_lookup = NULL;
	if (!fn) {
		sym->ksyms_tried = sym->ksyms != NULL;	/* kallsyms from now on */
		return 0;
	}
	if (!(sym->ksym_lookup = qz__ksym_lookup__new(fn, ctx)))
		return -ENOMEM;
	return 0;
}

static int find_kernel(struct qz_symbolizer *sym, uint64_t addr,
		       struct qz_symbol_info *out)
{
	if (sym->ksym_lookup)
		return qz__ksym_lookup__find(sym->ksym_lookup, addr, &out->name,
					     &out->offset, &out->module);
	if (!sym->ksyms)
		return -ENOENT;
	return qz__ksyms__find(sym->ksyms, addr, &out->name, &out->offset, &out->module);
}

static int resolve_kernel(struct qz_symbolizer *sym, uint64_t addr,
			  struct qz_symbol_info *out)
{
	int err;

	if (!sym->ksyms_tried) {
		sym->ksyms_tried = true;
		if (!sym->ksym_lookup)
			sym->ksyms = qz__ksyms__load(sym->kallsyms);
		qz__kernel_build_id("/sys/kernel/notes", sym->kernel_build_id,
				    sizeof(sym->kernel_build_id));
	}
	out->module = "[kernel]";
	out->build_id = sym->kernel_build_id[0] ? sym->kernel_build_id : NULL;
	out->file_offset = addr;
	err = find_kernel(sym, addr, out);
	if (err)
		return err == -ENOMEM ? err : -ENOENT;
	/* A module's symbols are its own, not the kernel image's. */
	if (strcmp(out->module, "[kernel]"))
		out->build_id = NULL;
	return 0;
}

/* Code in no file: a JIT's, named in perf-PID.map. */
static int resolve_jit(struct qz_symbolizer *sym, struct qz__proc *p,
		       uint64_t addr, struct qz_symbol_info *out)
{
	char root_path[1024], path[512];

	snprintf(path, sizeof(path), "%s/perf-%d.map", sym->jit_dir, (int)p->pid);
	snprintf(root_path, sizeof(root_path), "%s/%d/root%s", sym->proc_root,
		 (int)p->pid, path);
	if (p->jit_epoch != sym->epoch + 1) {
		const char *where = p->state == QZ__PROC_LIVE ? root_path : path;

		p->jit_epoch = sym->epoch + 1;	/* checked in this epoch */
		if (!p->jit || qz__jitmap__stale(p->jit, where)) {
			struct qz__jitmap *j = qz__jitmap__load(where);

			if (!j && where == root_path)
				j = qz__jitmap__load(path);
			if (j) {
				qz__jitmap__free(p->jit);
				p->jit = j;
			}
		}
	}
	snprintf(p->jit_module, sizeof(p->jit_module), "perf-%d.map", (int)p->pid);
	if (!p->jit || qz__jitmap__find(p->jit, addr, &out->name, &out->offset))
		return -ENOENT;
	out->module = p->jit_module;
	return 0;
}

static int resolve_user(struct qz_symbolizer *sym, pid_t pid, uint64_t gen,
			uint64_t addr, struct qz_symbol_info *out)
{
	struct qz__proc *p = qz__proc__find(sym, pid);
	const struct qz__map *m = p ? qz__proc__map(p, gen, addr) : NULL;
	const struct qz__dso_sym *s;
	struct qz__dso *dso;
	uint64_t vaddr;

	/* A process never seen whole: read what /proc still has. */
	if (!m && (!p || !p->complete)) {
		if (!qz__maps__seed(sym, pid, false)) {
			p = qz__proc__find(sym, pid);
			m = p ? qz__proc__map(p, gen, addr) : NULL;
		} else if (p) {
			qz__maps__exit(sym, pid);	/* gone: no EXIT will say so */
		}
	}
	/* Without records, a library loaded since shows in /proc only. */
	if (!m && p && !sym->fed && now_ns() - p->seeded_ns > REREAD_NS &&
	    !qz__maps__seed(sym, pid, true))
		m = qz__proc__map(p, p->gen, addr);
	if (!p) {
		/* Gone from /proc too: an entry for its JIT map, reaped soon. */
		if (pid <= 0 || !(p = qz__proc__get(sym, pid)))
			return -ENOENT;
		qz__maps__exit(sym, pid);
	}
	if (!m || !m->dso)
		return resolve_jit(sym, p, addr, out);
	dso = m->dso;
	qz__dso__ensure(sym, dso, p, m);
	out->module = dso->name;
	out->path = dso == sym->vdso ? NULL : dso->path;
	out->build_id = dso->build_id_size ? dso->build_id_hex : NULL;
	out->file_offset = addr - m->start + m->pgoff;
	if (!dso->has_syms || qz__dso__vaddr(dso, out->file_offset, &vaddr) ||
	    !(s = qz__dso__find(dso, vaddr)))
		return -ENOENT;
	out->name = dso->strs + s->name;
	out->offset = vaddr - s->start;
	return 0;
}

QZ_API int qz_symbolizer__resolve(struct qz_symbolizer *sym, pid_t pid,
				  uint64_t gen, bool user, uint64_t addr,
				  struct qz_symbol_info *out)
{
	struct qz_symbol_info info = { .sz = sizeof(info) };
	int err;

	if (out->sz < QZ_OFFSETOFEND(struct qz_symbol_info, file_offset))
		return -EINVAL;
	err = user ? resolve_user(sym, pid, gen, addr, &info) :
		     resolve_kernel(sym, addr, &info);
	if (err)
		info.name = NULL;
	if (info.name)
		sym->stats.resolved++;
	else
		sym->stats.unknown++;
	qz__copy_sized(out, &info, sizeof(info));
	return err ? (err == -ENOMEM ? err : -ENOENT) : 0;
}

QZ_API int qz_symbolizer__stats(const struct qz_symbolizer *sym,
				struct qz_symbolizer_stats *stats)
{
	struct qz_symbolizer_stats all = sym->stats;

	if (stats->sz < QZ_OFFSETOFEND(struct qz_symbolizer_stats, bad_records))
		return -EINVAL;
	all.sz = sizeof(all);
	all.procs = sym->nr_procs;
	all.maps = sym->nr_maps;
	all.dsos = sym->nr_dsos + (sym->vdso != NULL);
	qz__copy_sized(stats, &all, sizeof(all));
	return 0;
}

static int legacy(int err, const struct qz_symbol_info *info, struct qz_symbol *out)
{
	out->name = info->name;
	out->offset = info->offset;
	out->module = info->module;
	return err;
}

QZ_API int qz_symbolizer__kernel(struct qz_symbolizer *sym, uint64_t addr,
				 struct qz_symbol *out)
{
	QZ_OPTS(qz_symbol_info, info);

	return legacy(qz_symbolizer__resolve(sym, -1, 0, false, addr, &info), &info, out);
}

QZ_API int qz_symbolizer__user(struct qz_symbolizer *sym, pid_t pid,
			       uint64_t addr, struct qz_symbol *out)
{
	QZ_OPTS(qz_symbol_info, info);

	return legacy(qz_symbolizer__resolve(sym, pid, qz_symbolizer__gen(sym, pid), true,
					     addr, &info),
		      &info, out);
}
