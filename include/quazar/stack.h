/* SPDX-License-Identifier: MIT */
/*
 * Stack symbolization, built as perf builds it. A map cache follows every
 * process's executable mappings from PERF_RECORD_MMAP2, COMM (exec), FORK
 * and EXIT records, seeded from /proc/PID/maps at start: keyed by pid,
 * inherited on fork, kept a little after exit, bounded, evictions counted.
 * Addresses resolve through the ELF .symtab/.dynsym of the mapped file
 * (or its separate debuginfo by build-id), read through /proc/PID/root for
 * other mount namespaces and /proc/PID/map_files for deleted files; JIT
 * code through /tmp/perf-PID.map; the kernel and its modules through
 * /proc/kallsyms.
 *
 * Resolution is meant to be deferred: a reader keeps (pid, generation,
 * address) per sample, qz_symbolizer__gen() being cheap, and resolves when
 * it reports; then qz_symbolizer__reap() lets exited processes go.
 */
#ifndef QUAZAR_STACK_H
#define QUAZAR_STACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <quazar/common.h>
#include <quazar/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_symbolizer;

struct qz_symbolizer_opts {
	size_t sz;
	size_t max_procs;	/* processes whose maps are kept; 0: 8192 */
	size_t max_maps;	/* mappings over all processes; 0: 262144 */
	size_t max_dsos;	/* files whose symbols are kept; 0: 2048 */
	const char *proc_root;	/* default "/proc" */
	const char *debug_dir;	/* default "/usr/lib/debug" */
	const char *jit_dir;	/* where perf-PID.map files are; default "/tmp" */
	const char *kallsyms;	/* default "/proc/kallsyms" */
	qz_log_fn log;
	void *log_ctx;
};

/* NULL + errno on failure; opts may be NULL. */
QZ_API struct qz_symbolizer *qz_symbolizer__new_opts(const struct qz_symbolizer_opts *opts);
/* The same with the defaults. */
QZ_API struct qz_symbolizer *qz_symbolizer__new(void);
QZ_API void qz_symbolizer__free(struct qz_symbolizer *sym);

/*
 * Feed a MMAP2, COMM, FORK or EXIT record (others are ignored): the map
 * cache follows the processes from them. 0, or a negative error for a
 * record that does not parse.
 */
QZ_API int qz_symbolizer__record(struct qz_symbolizer *sym,
				 const struct perf_event_header *rec,
				 const struct qz_sample_format *fmt);
/*
 * Read pid's executable mappings from /proc/PID/maps; pid -1: every
 * process's. Done once per process: cheap when already known. 0 or -errno.
 */
QZ_API int qz_symbolizer__seed(struct qz_symbolizer *sym, pid_t pid);
/* qz_symbolizer__seed of one pid, for older callers. */
QZ_API void qz_symbolizer__prepare(struct qz_symbolizer *sym, pid_t pid);
/*
 * The generation of pid's mappings now: keep it with a sample's user
 * addresses and resolve them later against the mappings of that time,
 * even after an exec, a munmap or the process's exit. Generations are
 * never reused, by any process: (pid, generation, address) names one
 * code location for good. 0 for pid 0 (idle) or without memory.
 */
QZ_API uint64_t qz_symbolizer__gen(struct qz_symbolizer *sym, pid_t pid);

/* Set sz (QZ_OPTS): the library fills what it covers. Strings borrowed. */
struct qz_symbol_info {
	size_t sz;
	const char *name;	/* NULL: no symbol: the frame is [unknown] */
	uint64_t offset;	/* addr - symbol start */
	const char *module;	/* "[kernel]", "[ext4]", a file's base name,
				 * "[vdso]", "perf-PID.map"; NULL: not mapped */
	const char *path;	/* the mapped file's path, or NULL */
	const char *build_id;	/* hex, or NULL */
	uint64_t file_offset;	/* addr as an offset in the mapped file */
};

/*
 * Resolve addr: a kernel address (user false; pid and gen unused) or one
 * of pid's user addresses at generation gen. 0 with a name, -ENOENT when
 * there is none (module and build_id may still be set), -EINVAL when
 * out->sz is too small.
 */
QZ_API int qz_symbolizer__resolve(struct qz_symbolizer *sym, pid_t pid,
				  uint64_t gen, bool user, uint64_t addr,
				  struct qz_symbol_info *out);

/*
 * Names one kernel address as the kernel's "%pS" prints it, into buf:
 * "name+0xOFF/0xSIZE", then " [module]" for a module's symbol. 0, or a
 * negative errno (or a bare "0x...") when addr has no symbol.
 */
typedef int (*qz_kernel_lookup_fn)(void *ctx, uint64_t addr, char *buf, size_t len);

/*
 * Name kernel addresses through fn, each asked once and remembered,
 * instead of reading /proc/kallsyms whole at the first one (~40 ms of
 * kernel time on a 120,000-symbol kernel). libquazar-bpf's
 * qz_bpf_ksym__lookup asks the kernel itself. Set it before the first
 * kernel address is resolved (-EBUSY after). fn NULL takes it back: the
 * names it gave are freed, and kallsyms names the addresses from then on.
 * 0, -EBUSY or -ENOMEM.
 */
QZ_API int qz_symbolizer__set_kernel_lookup(struct qz_symbolizer *sym,
					    qz_kernel_lookup_fn fn, void *ctx);

/*
 * Drop what only the past needed: processes that had exited at the
 * previous call, and mappings replaced before the last generation. Call
 * once each report is resolved.
 */
QZ_API void qz_symbolizer__reap(struct qz_symbolizer *sym);

/* Set sz to sizeof(struct qz_symbolizer_stats): the library fills what it covers. */
struct qz_symbolizer_stats {
	size_t sz;
	uint64_t procs, maps, dsos;	/* held now */
	uint64_t procs_evicted;		/* dropped for the bounds, still alive */
	uint64_t maps_evicted;		/* mappings they took with them */
	uint64_t dsos_evicted;		/* symbol tables dropped for the bound */
	uint64_t resolved;		/* frames with a name */
	uint64_t unknown;		/* frames without: [unknown] */
	uint64_t bad_records;		/* records that did not parse */
};
/* 0, or -EINVAL when stats->sz is too small. */
QZ_API int qz_symbolizer__stats(const struct qz_symbolizer *sym,
				struct qz_symbolizer_stats *stats);

/* What the older calls fill: name, offset and module only. */
struct qz_symbol {
	const char *name;	/* borrowed; NULL when unknown */
	uint64_t offset;	/* addr - symbol start */
	const char *module;	/* "[kernel]" or the file's name; may be NULL */
};

/* Resolve a kernel address. 0, or -ENOENT. */
QZ_API int qz_symbolizer__kernel(struct qz_symbolizer *sym, uint64_t addr,
				 struct qz_symbol *out);
/* Resolve a user address of pid, with its mappings as they are now. */
QZ_API int qz_symbolizer__user(struct qz_symbolizer *sym, pid_t pid,
			       uint64_t addr, struct qz_symbol *out);

#ifdef __cplusplus
}
#endif

#endif
