/* SPDX-License-Identifier: MIT */
/* Each profiler file defines one of these. */
#ifndef QUAZAR_PROFILERS_H
#define QUAZAR_PROFILERS_H

#include <quazar/profiler.h>

#endif
