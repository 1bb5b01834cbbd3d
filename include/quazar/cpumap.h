/* SPDX-License-Identifier: MIT */
/* CPU maps: sorted, unique CPU numbers; refcounted. */
#ifndef QUAZAR_CPUMAP_H
#define QUAZAR_CPUMAP_H

#include <stddef.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_cpu_map;

/*
 * Parse a list such as "0-3,6". NULL means the online CPUs. On a bad list
 * returns NULL with errno EINVAL and, when errbuf is given, a message.
 */
QZ_API struct qz_cpu_map *qz_cpu_map__new(const char *list, char *errbuf,
					  size_t errlen);
/* The online CPUs, from /sys/devices/system/cpu/online. */
QZ_API struct qz_cpu_map *qz_cpu_map__new_online(void);
/* A map of one entry, -1: "any CPU", for per-thread events. */
QZ_API struct qz_cpu_map *qz_cpu_map__new_any(void);
QZ_API struct qz_cpu_map *qz_cpu_map__get(struct qz_cpu_map *map);
/* Drop a reference; accepts NULL. */
QZ_API void qz_cpu_map__put(struct qz_cpu_map *map);
QZ_API int qz_cpu_map__nr(const struct qz_cpu_map *map);
/* CPU at idx, or -1 when out of range (also the "any" entry). */
QZ_API int qz_cpu_map__cpu(const struct qz_cpu_map *map, int idx);
/* Index of cpu in the map, or -ENOENT. */
QZ_API int qz_cpu_map__idx(const struct qz_cpu_map *map, int cpu);

#ifdef __cplusplus
}
#endif

#endif
