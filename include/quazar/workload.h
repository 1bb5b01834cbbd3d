/* SPDX-License-Identifier: MIT */
/*
 * Workloads: a command forked now, held before exec until started, so the
 * events opened on its pid see it from its first instruction.
 */
#ifndef QUAZAR_WORKLOAD_H
#define QUAZAR_WORKLOAD_H

#include <stdbool.h>
#include <sys/types.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_workload;

/* Fork argv (argv[0] looked up in PATH). NULL + errno on failure. */
QZ_API struct qz_workload *qz_workload__prepare(char *const argv[]);
QZ_API pid_t qz_workload__pid(const struct qz_workload *wl);
/*
 * Let the child exec. Returns 0, or -errno of a failed exec (e.g. -ENOENT)
 * once the child reports it.
 */
QZ_API int qz_workload__start(struct qz_workload *wl);
/*
 * Wait for the child to exit (blocking unless nohang). Returns 1 and
 * *status as from waitpid when it exited, 0 when still running (nohang).
 */
QZ_API int qz_workload__wait(struct qz_workload *wl, bool nohang, int *status);
/* Kill (SIGKILL) and reap if still running; accepts NULL. */
QZ_API void qz_workload__free(struct qz_workload *wl);

#ifdef __cplusplus
}
#endif

#endif
