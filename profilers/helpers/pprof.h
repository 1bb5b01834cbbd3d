/* SPDX-License-Identifier: MIT */
/*
 * CPU samples as a pprof profile (profile.proto, gzipped): sample types
 * samples/count and cpu/nanoseconds, locations, functions, and mappings
 * with build-ids; each sample labelled with its comm and pid. Readable by
 * `go tool pprof`.
 */
#ifndef QUAZAR_PROFILERS_PPROF_H
#define QUAZAR_PROFILERS_PPROF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <quazar/event.h>
#include "callchain.h"

struct qz_pprof;

/* Samples every period_ns of CPU time, symbolized through printer (borrowed). */
struct qz_pprof *qz_pprof__new(struct qz_stack_printer *printer, uint64_t period_ns);
void qz_pprof__free(struct qz_pprof *pp);
/*
 * Count samples like smp (count of them: 1 from the ring, more from BPF):
 * its callchain, or its ip alone without one. Addresses are kept; symbols
 * are looked up when the profile is written. 0 or -ENOMEM.
 */
int qz_pprof__add(struct qz_pprof *pp, const struct qz_sample *smp, const char *comm,
		  uint64_t count);
/*
 * Read pid's mappings now, while it lives (qz_pprof__add does it too):
 * for samples counted elsewhere and added later.
 */
void qz_pprof__prepare(struct qz_pprof *pp, pid_t pid);
/* Samples counted so far. */
uint64_t qz_pprof__samples(const struct qz_pprof *pp);
/*
 * Write the profile to path (whole or not at all). 0, or -errno with err
 * naming the file and the problem.
 */
int qz_pprof__write(struct qz_pprof *pp, const char *path, char *err, size_t err_len);

#endif
