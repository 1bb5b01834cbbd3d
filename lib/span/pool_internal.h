/* SPDX-License-Identifier: MIT */
/* The pool's handles and workers, shared by its two files. */
#ifndef QUAZAR_POOL_INTERNAL_H
#define QUAZAR_POOL_INTERNAL_H

#include <pthread.h>
#include <time.h>
#include <quazar/pool.h>
#include "span_internal.h"

enum task_state { TASK_FREE, TASK_QUEUED, TASK_RUNNING, TASK_DONE };

struct qz_task {
	struct qz_task *next;		/* in the queue or the free list */
	struct qz_pool *pool;
	qz_pool_fn fn;
	void *arg;
	enum task_state state;
	bool detached;
	bool has_parent;
	struct qz_span_context parent;
	uint64_t submit_ns;
	pthread_cond_t cond;
	char name[QZ_SPAN_NAME_MAX];
	struct qz_task_result res;
};

struct worker {
	struct qz_pool *pool;
	pthread_t thread;
	int cpu;
	bool started;
};

struct qz_pool {
	pthread_mutex_t lock;
	pthread_cond_t work;
	struct qz_task *tasks, *free_list, *head, *tail;
	size_t nr_tasks;
	uint64_t queued;		/* read unlocked by spinning workers */
	struct worker *workers;
	int nr_workers, alive, idle;
	bool stopping, joined;
	struct qz_tracer *tracer;
	uint64_t spin_ns;
	struct qz_logger log;
};

static inline uint64_t qz__pool_now_ns(void)
{
	return qz__clock_ns(CLOCK_MONOTONIC);
}

#endif
