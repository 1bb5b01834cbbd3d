/* SPDX-License-Identifier: MIT */
/*
 * Thread maps: tids to open events for; refcounted. A single -1 entry means
 * any thread (system wide, needs CPUs).
 */
#ifndef QUAZAR_THREADMAP_H
#define QUAZAR_THREADMAP_H

#include <stddef.h>
#include <sys/types.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_thread_map;

QZ_API struct qz_thread_map *qz_thread_map__new_any(void);
/* Exactly these tids. */
QZ_API struct qz_thread_map *qz_thread_map__new_tids(const pid_t *tids,
						     int nr);
/* Each pid expanded to all its threads (/proc/PID/task); ESRCH if gone. */
QZ_API struct qz_thread_map *qz_thread_map__new_pids(const pid_t *pids,
						     int nr);
/*
 * From -p / -t style comma lists (either may be NULL, not both): pids are
 * expanded to their threads, tids taken as they are. NULL + errno EINVAL
 * (message in errbuf) on a bad list, ESRCH for a missing process.
 */
QZ_API struct qz_thread_map *qz_thread_map__new_str(const char *pids,
						    const char *tids,
						    char *errbuf, size_t errlen);
QZ_API struct qz_thread_map *qz_thread_map__get(struct qz_thread_map *map);
QZ_API void qz_thread_map__put(struct qz_thread_map *map);
QZ_API int qz_thread_map__nr(const struct qz_thread_map *map);
QZ_API pid_t qz_thread_map__tid(const struct qz_thread_map *map, int idx);

#ifdef __cplusplus
}
#endif

#endif
