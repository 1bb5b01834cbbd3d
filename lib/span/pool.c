// SPDX-License-Identifier: MIT
/*
 * The worker pool. Task handles come from a slab allocated with the pool,
 * so submit and wait never allocate; one lock guards the queue and the
 * handles, and each handle has its own condition for its waiter.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/quazar.h>
#include "pool_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#else
#define cpu_relax() __asm__ volatile("" ::: "memory")
#endif

static __thread int current_cpu = -1;

QZ_API int qz_pool__current_cpu(void)
{
	return current_cpu;
}

#define now_ns qz__pool_now_ns

/* Under the lock: the task has its result. */
static void complete(struct qz_pool *pool, struct qz_task *t)
{
	t->state = TASK_DONE;
	if (t->detached) {
		t->state = TASK_FREE;
		t->next = pool->free_list;
		pool->free_list = t;
		return;
	}
	pthread_cond_signal(&t->cond);
}

/* Under the lock: finish every queued task with status. */
static void fail_queued(struct qz_pool *pool, int status)
{
	struct qz_task *t;

	while ((t = pool->head)) {
		pool->head = t->next;
		memset(&t->res, 0, sizeof(t->res));
		t->res.sz = sizeof(t->res);
		t->res.span.sz = sizeof(t->res.span);
		t->res.status = status;
		t->res.cpu = -1;
		complete(pool, t);
	}
	pool->tail = NULL;
	__atomic_store_n(&pool->queued, 0, __ATOMIC_RELAXED);
}

struct running {
	struct worker *w;
	struct qz_task *t;
	struct qz_span *span;
};

/* The function ended the thread (pthread_exit, cancel): say so, go on. */
static void died(void *arg)
{
	struct running *r = arg;
	struct qz_pool *pool = r->w->pool;
	int left;

	qz_span__set_attr(r->span, "pool.error",
			  "the function ended its worker thread");
	if (qz_span__end_copy(r->span, &r->t->res.span) == -EINVAL) {
		memset(&r->t->res.span, 0, sizeof(r->t->res.span));
		r->t->res.span.sz = sizeof(r->t->res.span);
	}
	pthread_mutex_lock(&pool->lock);
	left = --pool->alive;
	pthread_mutex_unlock(&pool->lock);
	/* Logged before the waiter learns of it. */
	qz_log(&pool->log, QZ_LOG_ERROR,
	       "pool: a task ended its worker thread on CPU %d (pthread_exit or cancellation); %d workers left",
	       r->w->cpu, left);
	pthread_mutex_lock(&pool->lock);
	r->t->res.status = -EOWNERDEAD;
	complete(pool, r->t);
	if (!pool->alive)
		fail_queued(pool, -EOWNERDEAD);
	pthread_mutex_unlock(&pool->lock);
}

static void run_task(struct worker *w, struct qz_task *t)
{
	QZ_OPTS(qz_span_opts, so, .tracer = w->pool->tracer,
		.parent = t->has_parent ? &t->parent : NULL);
	struct running r = { .w = w, .t = t };
	uint64_t start = now_ns();

	memset(&t->res, 0, offsetof(struct qz_task_result, span));
	t->res.sz = sizeof(t->res);
	t->res.span.sz = sizeof(t->res.span);
	t->res.queue_ns = start - t->submit_ns;
	t->res.cpu = w->cpu;
	r.span = qz_span__begin(t->name, &so);
	pthread_cleanup_push(died, &r);
	t->res.ret = t->fn(t->arg, r.span);
	pthread_cleanup_pop(0);
	if (r.span) {
		qz_span__end_copy(r.span, &t->res.span);
	} else {
		memset(&t->res.span, 0, sizeof(t->res.span));
		t->res.span.sz = sizeof(t->res.span);
		t->res.span.unavailable = "no span: out of memory";
	}
}

/* Under the lock: the next task, or NULL once stopping with none left. */
static struct qz_task *next_task(struct qz_pool *pool)
{
	struct qz_task *t;

	while (!pool->head && !pool->stopping) {
		if (pool->spin_ns) {
			uint64_t until = now_ns() + pool->spin_ns;

			pthread_mutex_unlock(&pool->lock);
			while (!__atomic_load_n(&pool->queued,
						__ATOMIC_RELAXED) &&
			       now_ns() < until)
				cpu_relax();
			pthread_mutex_lock(&pool->lock);
			if (pool->head || pool->stopping)
				break;
		}
		pool->idle++;
		pthread_cond_wait(&pool->work, &pool->lock);
		pool->idle--;
	}
	t = pool->head;
	if (!t)
		return NULL;
	pool->head = t->next;
	if (!pool->head)
		pool->tail = NULL;
	__atomic_store_n(&pool->queued, pool->queued - 1, __ATOMIC_RELAXED);
	t->state = TASK_RUNNING;
	return t;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct qz_pool *pool = w->pool;
	struct qz_task *t;

	current_cpu = w->cpu;
	/* Each worker has its counter group before its first task. */
	qz_span__open_thread(pool->tracer ? pool->tracer :
					    qz__tracer_default());
	pthread_mutex_lock(&pool->lock);
	while ((t = next_task(pool))) {
		pthread_mutex_unlock(&pool->lock);
		run_task(w, t);
		pthread_mutex_lock(&pool->lock);
		complete(pool, t);
	}
	pool->alive--;
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static int start_worker(struct qz_pool *pool, struct worker *w)
{
	pthread_attr_t attr;
	cpu_set_t set;
	int err;

	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	pthread_attr_init(&attr);
	/* Pinned from its first instruction: no task runs elsewhere. */
	err = pthread_attr_setaffinity_np(&attr, sizeof(set), &set);
	if (!err)
		err = pthread_create(&w->thread, &attr, worker_main, w);
	pthread_attr_destroy(&attr);
	if (err) {
		qz_log(&pool->log, QZ_LOG_ERROR,
		       "pool: cannot start a worker on CPU %d: %s", w->cpu,
		       strerror(err));
		return -err;
	}
	w->started = true;
	return 0;
}

static int parse_cpus(struct qz_pool *pool, const char *list)
{
	char errbuf[256] = "";
	struct qz_cpu_map *map = list ? qz_cpu_map__new(list, errbuf,
							sizeof(errbuf)) :
					qz_cpu_map__new_online();
	int n;

	if (!map) {
		qz_log(&pool->log, QZ_LOG_ERROR, "pool: CPU list: %s",
		       errbuf[0] ? errbuf : strerror(errno));
		return -EINVAL;
	}
	n = qz_cpu_map__nr(map);
	pool->workers = calloc((size_t)n, sizeof(*pool->workers));
	if (!pool->workers) {
		qz_cpu_map__put(map);
		return -ENOMEM;
	}
	for (int i = 0; i < n; i++) {
		pool->workers[i].pool = pool;
		pool->workers[i].cpu = qz_cpu_map__cpu(map, i);
	}
	pool->nr_workers = n;
	qz_cpu_map__put(map);
	return n > 0 ? 0 : -EINVAL;
}

static void join_workers(struct qz_pool *pool)
{
	for (int i = 0; i < pool->nr_workers; i++)
		if (pool->workers[i].started)
			pthread_join(pool->workers[i].thread, NULL);
}

static void destroy(struct qz_pool *pool)
{
	for (size_t i = 0; i < pool->nr_tasks; i++)
		pthread_cond_destroy(&pool->tasks[i].cond);
	pthread_cond_destroy(&pool->work);
	pthread_mutex_destroy(&pool->lock);
	free(pool->tasks);
	free(pool->workers);
	free(pool);
}

QZ_API struct qz_pool *qz_pool__new(const struct qz_pool_opts *opts)
{
	struct qz_pool *pool;
	int err = -ENOMEM;

	QZ_OPTS_CHECK_OR_NULL(opts);
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		goto fail;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pool->log.fn = QZ_OPT(opts, log, NULL);
	pool->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	pool->tracer = QZ_OPT(opts, tracer, NULL);
	pool->spin_ns = QZ_OPT(opts, spin_us, 0u) * 1000ull;
	pool->nr_tasks = QZ_OPT(opts, queue, (size_t)0) ?: 1024;
	pool->tasks = calloc(pool->nr_tasks, sizeof(*pool->tasks));
	if (!pool->tasks)
		goto undo;
	for (size_t i = pool->nr_tasks; i-- > 0;) {
		pthread_cond_init(&pool->tasks[i].cond, NULL);
		pool->tasks[i].pool = pool;
		pool->tasks[i].next = pool->free_list;
		pool->free_list = &pool->tasks[i];
	}
	err = parse_cpus(pool, QZ_OPT(opts, cpus, NULL));
	if (err)
		goto undo;
	for (int i = 0; i < pool->nr_workers; i++) {
		err = start_worker(pool, &pool->workers[i]);
		if (err)
			goto undo;
		pool->alive++;
	}
	return pool;
undo:
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	if (pool->workers)
		join_workers(pool);
	destroy(pool);
fail:
	errno = -err;
	return NULL;
}

QZ_API int qz_pool__nr_workers(const struct qz_pool *pool)
{
	return pool->nr_workers;
}

QZ_API int qz_pool__shutdown(struct qz_pool *pool, enum qz_pool_stop how)
{
	if (!pool)
		return -EINVAL;
	pthread_mutex_lock(&pool->lock);
	if (pool->joined) {
		pthread_mutex_unlock(&pool->lock);
		return 0;
	}
	pool->stopping = true;
	if (how == QZ_POOL_CANCEL)
		fail_queued(pool, -ECANCELED);
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	join_workers(pool);
	pthread_mutex_lock(&pool->lock);
	pool->joined = true;
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

QZ_API void qz_pool__free(struct qz_pool *pool)
{
	if (!pool)
		return;
	qz_pool__shutdown(pool, QZ_POOL_DRAIN);
	destroy(pool);
}
