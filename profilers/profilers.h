/* SPDX-License-Identifier: MIT */
/* Each profiler file defines one of these. */
#ifndef QUAZAR_PROFILERS_H
#define QUAZAR_PROFILERS_H

#include <quazar/profiler.h>

extern const struct qz_profiler qz_profiler_trace;
extern const struct qz_profiler qz_profiler_top;
extern const struct qz_profiler qz_profiler_stat;
extern const struct qz_profiler qz_profiler_kvm;

#endif
