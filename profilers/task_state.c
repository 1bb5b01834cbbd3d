// SPDX-License-Identifier: MIT
#include <errno.h>
#include <quazar/session.h>
#include "profilers.h"
static int init(struct qz_session *s, void **ctx) { (void)s; (void)ctx; return -ENOSYS; }
static void sample(void *ctx, const struct qz_event *ev) { (void)ctx; (void)ev; }
const struct qz_profiler qz_profiler_task_state = { .name = "task-state", .help = "stub", .init = init, .sample = sample };
