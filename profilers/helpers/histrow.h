/* SPDX-License-Identifier: MIT */
/*
 * A row of statistics from a qz_hist, as the latency tables print it:
 * calls, total, min, avg, p50, p95, p99, max. Times are shown in
 * microseconds (3 decimals); plain numbers (num-dist) as they are.
 */
#ifndef QUAZAR_PROFILERS_HISTROW_H
#define QUAZAR_PROFILERS_HISTROW_H

#include <stdbool.h>
#include <stdio.h>
#include <quazar/hist.h>
#include <quazar/json.h>

/* The header's columns after the caller's own: " calls total(us) ...". */
void qz_histrow__header(FILE *f, bool us);
/* The columns of one row (no newline). */
void qz_histrow__text(const struct qz_hist *h, FILE *f, bool us);
/* "calls","total","min","avg","p50","p95","p99","max" members. */
void qz_histrow__json(const struct qz_hist *h, struct qz_json *j);

#endif
