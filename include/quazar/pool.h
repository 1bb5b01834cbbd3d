/* SPDX-License-Identifier: MIT */
/*
 * A pool of workers, each pinned to one CPU with its own counter group. A
 * submitted function runs on a worker inside a span, so waiting on it
 * gives the function's result and the counters measured on that pinned
 * thread (the seed's PoolManager and Poolable).
 *
 *	struct qz_task *t = qz_pool__submit(pool, handle, req);
 *	struct qz_task_result r = { .sz = sizeof(r) };
 *	qz_task__wait(t, &r);	// r.ret, r.span.values[QZ_SPAN_PAGE_FAULTS]
 *
 * Crashes are not hidden. A function that faults (SIGSEGV, abort) takes the
 * process down, as it would on any thread: the pool installs no signal
 * handler, because nothing can be trusted after a fault. A function that
 * ends its own thread (pthread_exit, or cancellation) completes its task
 * with -EOWNERDEAD and a logged error; the pool goes on with one worker
 * fewer, and once none is left, pending and new tasks fail the same way.
 */
#ifndef QUAZAR_POOL_H
#define QUAZAR_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>
#include <quazar/span.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_pool;
struct qz_task;

struct qz_pool_opts {
	size_t sz;
	const char *cpus;	/* CPU list ("0-1"): one worker each; default online */
	/* Tasks submitted and not yet waited for (or detached); default 1024. */
	size_t queue;
	struct qz_tracer *tracer;	/* of the tasks' spans; NULL: default */
	unsigned spin_us;	/* an idle worker polls this long before sleeping */
	qz_log_fn log;
	void *log_ctx;
};

/* Runs on a worker inside span (borrowed for the call: add attributes). */
typedef void *(*qz_pool_fn)(void *arg, struct qz_span *span);

struct qz_submit_opts {
	size_t sz;
	const char *name;	/* of the task's span; default "pool.task" */
	/* Parent span; default: the submitting thread's current span. */
	const struct qz_span_context *parent;
};

/* Set sz to sizeof(struct qz_task_result); the library fills the rest. */
struct qz_task_result {
	size_t sz;
	void *ret;		/* what fn returned */
	int status;		/* 0, -ECANCELED (not run) or -EOWNERDEAD */
	int cpu;		/* the worker's CPU */
	uint64_t queue_ns;	/* from submit to the function's start */
	struct qz_span_data span;
};

/* Start the workers, pinned; NULL with errno if any cannot start. */
QZ_API struct qz_pool *qz_pool__new(const struct qz_pool_opts *opts);
/* Drain (if not shut down yet) and free; task handles die with it. */
QZ_API void qz_pool__free(struct qz_pool *pool);
QZ_API int qz_pool__nr_workers(const struct qz_pool *pool);

/*
 * Queue fn(arg). The handle (borrowed from the pool) is released by
 * qz_task__wait or qz_task__detach. NULL with errno EAGAIN when `queue`
 * handles are in use, ESHUTDOWN after shutdown, EOWNERDEAD with no worker.
 * Submitting does not allocate.
 */
QZ_API struct qz_task *qz_pool__submit(struct qz_pool *pool, qz_pool_fn fn,
				       void *arg);
QZ_API struct qz_task *qz_pool__submit_opts(struct qz_pool *pool,
					    qz_pool_fn fn, void *arg,
					    const struct qz_submit_opts *opts);
/*
 * Wait for the task, fill out (may be NULL), release the handle; returns
 * the task's status, or -EINVAL (handle kept) when out->sz is too small.
 */
QZ_API int qz_task__wait(struct qz_task *task, struct qz_task_result *out);
/* Release the handle when the task ends; its result is discarded. */
QZ_API void qz_task__detach(struct qz_task *task);

enum qz_pool_stop {
	QZ_POOL_DRAIN,	/* run every queued task, then stop */
	QZ_POOL_CANCEL,	/* queued tasks end -ECANCELED; running ones finish */
};

/* Stop the workers and join them; handles stay valid until __free. */
QZ_API int qz_pool__shutdown(struct qz_pool *pool, enum qz_pool_stop how);
/* The pinned CPU of the calling worker, -1 on a thread of no pool. */
QZ_API int qz_pool__current_cpu(void);

#ifdef __cplusplus
}
#endif

#endif
