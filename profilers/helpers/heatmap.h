/* SPDX-License-Identifier: MIT */
/* A time x latency heatmap, written as SVG (fixed memory: ~480 KiB). */
#ifndef QUAZAR_PROFILERS_HEATMAP_H
#define QUAZAR_PROFILERS_HEATMAP_H

#include <stdint.h>

struct heatmap;

/* col_ns: time per column to start with (0: 100 ms). NULL on ENOMEM. */
struct heatmap *qz_heatmap__new(const char *path, uint64_t col_ns);
void qz_heatmap__free(struct heatmap *h);
void qz_heatmap__add(struct heatmap *h, uint64_t time, uint64_t latency);
/* Write the SVG. 0 or -errno. */
int qz_heatmap__write(struct heatmap *h, const char *title);

#endif
