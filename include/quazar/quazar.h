/* SPDX-License-Identifier: MIT */
/* libquazar: every public header. */
#ifndef QUAZAR_QUAZAR_H
#define QUAZAR_QUAZAR_H

#include <quazar/common.h>
#include <quazar/ring.h>
#include <quazar/json.h>
#include <quazar/hist.h>
#include <quazar/select.h>
#include <quazar/filter.h>
#include <quazar/tp.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include <quazar/attr.h>
#include <quazar/event.h>
#include <quazar/evsel.h>
#include <quazar/evlist.h>
#include <quazar/tasks.h>
#include <quazar/workload.h>
#include <quazar/stack.h>
#include <quazar/output.h>
#include <quazar/session.h>
#include <quazar/span.h>
#include <quazar/span_export.h>
#include <quazar/pool.h>

#endif
