// SPDX-License-Identifier: MIT
/*
 * Submitting to the pool and waiting on a handle. Neither allocates: the
 * handle comes off the pool's free list and goes back when it is waited
 * for or, detached, when its task ends.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "pool_internal.h"

QZ_API struct qz_task *qz_pool__submit_opts(struct qz_pool *pool,
					    qz_pool_fn fn, void *arg,
					    const struct qz_submit_opts *opts)
{
	const struct qz_span_context *parent = QZ_OPT(opts, parent, NULL);
	const char *name = QZ_OPT(opts, name, NULL);
	uint64_t now = qz__pool_now_ns();
	struct qz_span *cur;
	struct qz_task *t;
	int err = 0;

	QZ_OPTS_CHECK_OR_NULL(opts);
	if (!pool || !fn) {
		errno = EINVAL;
		return NULL;
	}
	if (!parent && (cur = qz_span__current()))
		parent = &qz_span__data(cur)->ctx;
	pthread_mutex_lock(&pool->lock);
	if (pool->stopping)
		err = ESHUTDOWN;
	else if (!pool->alive)
		err = EOWNERDEAD;
	else if (!pool->free_list)
		err = EAGAIN;
	if (err) {
		pthread_mutex_unlock(&pool->lock);
		errno = err;
		return NULL;
	}
	t = pool->free_list;
	pool->free_list = t->next;
	t->next = NULL;
	t->fn = fn;
	t->arg = arg;
	t->state = TASK_QUEUED;
	t->detached = false;
	t->has_parent = parent != NULL;
	if (parent)
		t->parent = *parent;
	t->submit_ns = now;
	snprintf(t->name, sizeof(t->name), "%s", name ? name : "pool.task");
	if (pool->tail)
		pool->tail->next = t;
	else
		pool->head = t;
	pool->tail = t;
	__atomic_store_n(&pool->queued, pool->queued + 1, __ATOMIC_RELAXED);
	if (pool->idle)
		pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	return t;
}

QZ_API struct qz_task *qz_pool__submit(struct qz_pool *pool, qz_pool_fn fn,
				       void *arg)
{
	return qz_pool__submit_opts(pool, fn, arg, NULL);
}

/* The caller's sz is kept, a newer caller's tail zeroed. */
static void copy_result(struct qz_task_result *out,
			const struct qz_task_result *res)
{
	size_t sz = out->sz;

	memcpy(out, res, offsetof(struct qz_task_result, span));
	out->sz = sz;
	out->span.sz = sizeof(out->span);
	qz__span_data_copy(&out->span, &res->span);
	if (sz > sizeof(*out))
		memset((char *)out + sizeof(*out), 0, sz - sizeof(*out));
}

QZ_API int qz_task__wait(struct qz_task *t, struct qz_task_result *out)
{
	struct qz_pool *pool;
	int status;

	if (!t || (out && out->sz < sizeof(*out)))
		return -EINVAL;
	pool = t->pool;
	pthread_mutex_lock(&pool->lock);
	if (t->state == TASK_FREE || t->detached) {
		pthread_mutex_unlock(&pool->lock);
		return -EINVAL;
	}
	while (t->state != TASK_DONE)
		pthread_cond_wait(&t->cond, &pool->lock);
	status = t->res.status;
	if (out)
		copy_result(out, &t->res);
	t->state = TASK_FREE;
	t->next = pool->free_list;
	pool->free_list = t;
	pthread_mutex_unlock(&pool->lock);
	return status;
}

QZ_API void qz_task__detach(struct qz_task *t)
{
	struct qz_pool *pool;

	if (!t)
		return;
	pool = t->pool;
	pthread_mutex_lock(&pool->lock);
	if (t->state == TASK_DONE) {
		t->state = TASK_FREE;
		t->next = pool->free_list;
		pool->free_list = t;
	} else if (t->state != TASK_FREE) {
		t->detached = true;
	}
	pthread_mutex_unlock(&pool->lock);
}
