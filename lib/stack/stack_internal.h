/* SPDX-License-Identifier: MIT */
/*
 * The stack area's private parts: kernel symbols (kallsyms.c), ELF files'
 * symbols (dso.c), processes' mappings (maps.c), JIT maps (jitmap.c) and
 * the symbolizer that joins them (symbolizer.c).
 */
#ifndef QUAZAR_STACK_INTERNAL_H
#define QUAZAR_STACK_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <quazar/stack.h>
#include "../internal.h"

#define QZ_BUILD_ID_MAX 20

/* kallsyms.c: text symbols of the kernel and its modules, sorted. */
struct qz__ksyms;

struct qz__ksyms *qz__ksyms__load(const char *path);
void qz__ksyms__free(struct qz__ksyms *k);
/* 0, or -ENOENT below the first symbol. name/module borrowed. */
int qz__ksyms__find(const struct qz__ksyms *k, uint64_t addr, const char **name,
		    uint64_t *offset, const char **module);
size_t qz__ksyms__nr(const struct qz__ksyms *k);

/* ksym_lookup.c: kernel addresses named by the caller's function, remembered. */
struct qz__ksym_lookup;

struct qz__ksym_lookup *qz__ksym_lookup__new(qz_kernel_lookup_fn fn, void *ctx);
void qz__ksym_lookup__free(struct qz__ksym_lookup *k);
/* As qz__ksyms__find; -ENOMEM when a new address cannot be remembered. */
int qz__ksym_lookup__find(struct qz__ksym_lookup *k, uint64_t addr, const char **name,
			  uint64_t *offset, const char **module);

/*
 * dso.c: one mapped file and, once loaded, its function symbols. Its
 * identity is what the kernel said of it: device and inode, or build-id.
 */
struct qz__dso {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	uint8_t build_id[QZ_BUILD_ID_MAX];
	uint8_t build_id_size;
	char build_id_hex[2 * QZ_BUILD_ID_MAX + 1];
	char *path;		/* as mapped, " (deleted)" cut off */
	const char *name;	/* its base name, in path */
	bool by_build_id;	/* identified by build-id, not by inode */
	bool deleted;		/* the process mapped a file since unlinked */
	bool loaded;		/* tried: syms may still be empty */
	int load_err;		/* of the last try */
	uint64_t tried_epoch;	/* a failed file is tried again next epoch */
	bool has_syms;
	bool from_debuginfo;	/* symbols from /usr/lib/debug/.build-id */
	struct qz__dso_load *loads;	/* file offset -> ELF address */
	size_t nr_loads;
	struct qz__dso_sym *syms;	/* by start */
	size_t nr_syms;
	char *strs;
	int refs;
	uint64_t hash;
	struct qz__dso *hnext, *lru_prev, *lru_next;
};

struct qz__dso_load {
	uint64_t offset, vaddr, size;
};

struct qz__dso_sym {
	uint64_t start, end;
	uint32_t name;		/* offset in strs */
};

/*
 * Load dso's symbols from the ELF file open at fd (taken: closed here),
 * or, when its build-id names one, from the separate debuginfo under
 * debug_dir. Checks the file is the one mapped: device and inode when
 * check_inode, the build-id when known. 0, -ENODATA (the file, but no
 * symbols), -ESTALE (another file), or another -errno.
 */
int qz__dso__load_fd(struct qz__dso *dso, int fd, bool check_inode,
		     const char *debug_dir);
/* Load an ELF image in memory (the vDSO). */
int qz__dso__load_mem(struct qz__dso *dso, const void *image, size_t size);
/* The ELF address of a file offset, or -ENOENT outside the loaded segments. */
int qz__dso__vaddr(const struct qz__dso *dso, uint64_t offset, uint64_t *vaddr);
/* The symbol holding vaddr, or NULL. */
const struct qz__dso_sym *qz__dso__find(const struct qz__dso *dso, uint64_t vaddr);
void qz__dso__unload(struct qz__dso *dso);
void qz__build_id_hex(const uint8_t *id, size_t len, char *hex);

/* The running kernel's build-id from /sys/kernel/notes, as hex. 0 or -errno. */
int qz__kernel_build_id(const char *notes_path, char *hex, size_t len);

/* jitmap.c: /tmp/perf-PID.map, "START SIZE name" per line, sorted. */
struct qz__jitmap;

struct qz__jitmap *qz__jitmap__load(const char *path);
void qz__jitmap__free(struct qz__jitmap *j);
/* Has the file changed since it was read? */
bool qz__jitmap__stale(const struct qz__jitmap *j, const char *path);
int qz__jitmap__find(const struct qz__jitmap *j, uint64_t addr, const char **name,
		     uint64_t *offset);

/* maps.c: processes and their executable mappings, by generation. */
#define QZ__GEN_LIVE UINT64_MAX

struct qz__map {
	uint64_t start, end, pgoff;
	struct qz__dso *dso;	/* NULL: anonymous memory (JIT code) */
	uint64_t gen_added;	/* valid from this generation of its process */
	uint64_t gen_removed;	/* up to this one; QZ__GEN_LIVE while mapped */
};

enum qz__proc_state { QZ__PROC_LIVE, QZ__PROC_EXITED, QZ__PROC_EXITED_REAPED };

struct qz__proc {
	pid_t pid;
	uint64_t gen;		/* new when a mapping is replaced or on exec */
	enum qz__proc_state state;
	bool complete;		/* every mapping is known: /proc was read, or
				 * records followed it since its fork or exec */
	uint64_t seeded_ns;	/* when /proc/PID/maps was last read */
	struct qz__map *maps;	/* live: sorted by start, disjoint */
	size_t nr_maps, cap_maps;
	struct qz__map *old;	/* replaced since the last reap */
	size_t nr_old, cap_old;
	struct qz__jitmap *jit;
	uint64_t jit_epoch;	/* 1 + the reap epoch it was last checked in */
	char jit_module[24];	/* "perf-PID.map" */
	struct qz__proc *hnext, *prev, *next;	/* hash chain; LRU or exited list */
};

struct qz__proc_list {
	struct qz__proc *head, *tail;	/* head: the first to go */
};

struct qz_symbolizer {
	char *proc_root, *debug_dir, *jit_dir, *kallsyms;
	struct qz_logger log;
	size_t max_procs, max_maps, max_dsos;
	bool fed;		/* records arrive: /proc need not be re-read */
	uint64_t epoch;		/* reap calls so far */
	uint64_t last_gen;	/* generations: one counter, so no two processes
				 * (a pid reused) ever share one */

	struct qz__proc **procs;	/* hash by pid */
	size_t nr_buckets, nr_procs, nr_maps;
	struct qz__proc_list live, exited;

	struct qz__dso **dsos;		/* hash by identity */
	size_t nr_dso_buckets, nr_dsos, nr_loaded;
	struct qz__dso *lru_head, *lru_tail;	/* loaded, least used first */
	struct qz__dso *vdso;

	struct qz__ksyms *ksyms;
	bool ksyms_tried;
	struct qz__ksym_lookup *ksym_lookup;	/* instead of ksyms, when set */
	char kernel_build_id[2 * QZ_BUILD_ID_MAX + 1];

	struct qz_symbolizer_stats stats;
};

struct qz__proc *qz__proc__find(struct qz_symbolizer *sym, pid_t pid);
/* Just sampled: the last live process to be evicted. */
void qz__proc__touch(struct qz_symbolizer *sym, struct qz__proc *p);
/* pid's entry, created when missing (NULL: out of memory). */
struct qz__proc *qz__proc__get(struct qz_symbolizer *sym, pid_t pid);
/* The mapping of addr at generation gen, or NULL. */
const struct qz__map *qz__proc__map(const struct qz__proc *p, uint64_t gen,
				    uint64_t addr);
/* Add a mapping, replacing what it overlaps (dso: a reference is taken). */
int qz__proc__mmap(struct qz_symbolizer *sym, struct qz__proc *p, uint64_t start,
		   uint64_t len, uint64_t pgoff, struct qz__dso *dso);
/* An exited process is alive again (a pid reused), or one mapping of all goes. */
void qz__proc__revive(struct qz_symbolizer *sym, struct qz__proc *p);
void qz__proc__retire_all(struct qz_symbolizer *sym, struct qz__proc *p);
int qz__maps__fork(struct qz_symbolizer *sym, pid_t pid, pid_t ppid);
void qz__maps__exec(struct qz_symbolizer *sym, pid_t pid);
void qz__maps__exit(struct qz_symbolizer *sym, pid_t pid);
/* seed.c: /proc/PID/maps into pid's entry; force: again, over what it has. */
int qz__maps__seed(struct qz_symbolizer *sym, pid_t pid, bool force);
void qz__maps__reap(struct qz_symbolizer *sym);
void qz__maps__free_all(struct qz_symbolizer *sym);

/* dso_cache.c: files by identity, shared by every process that maps them. */
struct qz__dso_key {
	uint32_t dev_major, dev_minor;
	uint64_t ino;
	const uint8_t *build_id;
	uint8_t build_id_size;
	const char *path;	/* as the kernel or /proc printed it */
};

/* A reference to the file of key (created when new), or NULL. */
struct qz__dso *qz__dso__get(struct qz_symbolizer *sym, const struct qz__dso_key *key);
void qz__dso__put(struct qz_symbolizer *sym, struct qz__dso *dso);
/* The vDSO, the same for every process of this kernel (a reference). */
struct qz__dso *qz__dso__vdso(struct qz_symbolizer *sym);
/* Make sure dso's symbols are loaded, reading it as map of p maps it. */
void qz__dso__ensure(struct qz_symbolizer *sym, struct qz__dso *dso,
		     const struct qz__proc *p, const struct qz__map *map);
void qz__dsos__free_all(struct qz_symbolizer *sym);

#endif
