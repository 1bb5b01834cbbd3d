/* SPDX-License-Identifier: MIT */
/*
 * The executable mappings of sampled processes and the build-ids of the
 * files behind them: what pprof's Mapping records need and the
 * symbolizer does not expose.
 */
#ifndef QUAZAR_PROFILERS_PROC_MAPS_H
#define QUAZAR_PROFILERS_PROC_MAPS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct qz_proc_map {
	uint64_t start, end, offset;
	const char *path;	/* "/usr/lib/.../libc.so.6", "[vdso]" (borrowed) */
};

struct qz_proc_maps;

struct qz_proc_maps *qz_proc_maps__new(void);
void qz_proc_maps__free(struct qz_proc_maps *m);
/* Read pid's mappings the first time it is seen, while it lives. */
void qz_proc_maps__prepare(struct qz_proc_maps *m, pid_t pid);
/* pid's executable as /proc/PID/exe named it (borrowed), or NULL. */
const char *qz_proc_maps__exe(const struct qz_proc_maps *m, pid_t pid);
/* pid's mapping that holds addr, into out (path borrowed). 0 or -ENOENT. */
int qz_proc_maps__find(const struct qz_proc_maps *m, pid_t pid, uint64_t addr,
		       struct qz_proc_map *out);

/*
 * The GNU build-id of an ELF file as hex, into hex; tried through
 * /proc/PID/root first (other mount namespaces), then as is. 0 or -errno.
 */
int qz_build_id__file(pid_t pid, const char *path, char *hex, size_t len);
/* The running kernel's build-id, from /sys/kernel/notes. 0 or -errno. */
int qz_build_id__kernel(char *hex, size_t len);

#endif
