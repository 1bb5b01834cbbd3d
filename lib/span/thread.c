// SPDX-License-Identifier: MIT
/*
 * Per-thread span state: the span stack and the counter group, allocated
 * with the thread's first span and freed when the thread exits. A forked
 * child starts over: the group it inherited counts its parent's thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "span_internal.h"

static __thread struct qz_span_thread *self;
static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned int fork_gen;

/* The reason spans have no counters: logged once per process. */
static pthread_mutex_t reason_lock = PTHREAD_MUTEX_INITIALIZER;
static char reason[sizeof(((struct qz_counter_group *)0)->reason) + 64];
static bool reason_set, reason_logged, opened_logged;

static void destroy(void *p)
{
	struct qz_span_thread *th = p;

	if (th->state == 1)
		qz__counter_group_close(&th->group);
	if (self == th)
		self = NULL;
	free(th);
}

static void after_fork_child(void)
{
	__atomic_add_fetch(&fork_gen, 1, __ATOMIC_RELAXED);
}

static void init_once(void)
{
	pthread_key_create(&key, destroy);
	pthread_atfork(NULL, NULL, after_fork_child);
}

/* In a forked child: new ids, a group of its own, open spans uncounted. */
static void restart_after_fork(struct qz_span_thread *th)
{
	if (th->state == 1)
		qz__counter_group_close(&th->group);
	th->state = 0;
	th->tid = gettid();
	th->rng = qz__span_rng_seed();
	for (int i = 0; i < th->depth; i++)
		th->slots[i].counting = false;
	th->fork_gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
}

struct qz_span_thread *qz__span_thread_peek(void)
{
	struct qz_span_thread *th = self;

	if (th && th->fork_gen != __atomic_load_n(&fork_gen, __ATOMIC_RELAXED))
		restart_after_fork(th);
	return th;
}

struct qz_span_thread *qz__span_thread_get(void)
{
	struct qz_span_thread *th = self;

	if (__builtin_expect(th != NULL, 1)) {
		if (__builtin_expect(th->fork_gen != __atomic_load_n(
				    &fork_gen, __ATOMIC_RELAXED), 0))
			restart_after_fork(th);
		return th;
	}
	pthread_once(&once, init_once);
	th = calloc(1, sizeof(*th));
	if (!th)
		return NULL;
	th->tid = gettid();
	th->rng = qz__span_rng_seed();
	th->fork_gen = __atomic_load_n(&fork_gen, __ATOMIC_RELAXED);
	if (pthread_setspecific(key, th)) {
		free(th);
		errno = ENOMEM;
		return NULL;
	}
	self = th;
	return th;
}

static const struct qz_logger *logger(const struct qz_tracer *t)
{
	return t && t->log.fn ? &t->log : NULL;
}

/* The first failure's reason is the one every span without counters
 * points to, and the only one logged. */
static void failed(struct qz_span_thread *th, const struct qz_tracer *t)
{
	bool log_it = false;

	pthread_mutex_lock(&reason_lock);
	if (!reason_set) {
		snprintf(reason, sizeof(reason), "%s", th->group.reason);
		reason_set = true;
	}
	/* Logged by the first failure that has somewhere to log it. */
	if (!reason_logged && logger(t)) {
		reason_logged = true;
		log_it = true;
	}
	pthread_mutex_unlock(&reason_lock);
	th->unavailable = reason;
	if (log_it)
		qz_log(logger(t), QZ_LOG_WARN,
		       "spans carry no perf counters: %s", reason);
}

static void opened(const struct qz_span_thread *th, const struct qz_tracer *t)
{
	const struct qz_counter_group *g = &th->group;
	bool log_it;

	pthread_mutex_lock(&reason_lock);
	log_it = !opened_logged && logger(t);
	opened_logged |= log_it;
	pthread_mutex_unlock(&reason_lock);
	if (log_it)
		qz_log(logger(t), g->flags & QZ_SPAN_F_USER_ONLY ?
			       QZ_LOG_WARN : QZ_LOG_INFO,
		       "span counters: %u events, read with %s%s%s", g->nr,
		       g->rdpmc ? "rdpmc" : "read()",
		       g->reason[0] ? "; " : "", g->reason);
}

void qz__span_thread_counters(struct qz_span_thread *th,
			      struct qz_tracer *tracer)
{
	int err;

	if (th->state)
		return;
	err = qz__counter_group_open(&th->group,
				     tracer ? tracer->counters : 0,
				     !(tracer && tracer->no_rdpmc));
	th->state = err ? -1 : 1;
	th->open_err = err;
	if (err)
		failed(th, tracer);
	else
		opened(th, tracer);
}

QZ_API int qz_span__open_thread(struct qz_tracer *tracer)
{
	struct qz_span_thread *th = qz__span_thread_get();

	if (!th)
		return -ENOMEM;
	if (tracer && tracer->no_counters)
		return 0;
	qz__span_thread_counters(th, tracer);
	return th->state == 1 ? 0 : th->open_err;
}

QZ_API void qz_span__close_thread(void)
{
	struct qz_span_thread *th = self;

	if (!th)
		return;
	pthread_setspecific(key, NULL);
	destroy(th);
}

QZ_API int qz_span__probe(struct qz_tracer *tracer,
			  struct qz_span_probe *probe)
{
	struct qz_span_probe p = { .sz = sizeof(p), .read_path = "none" };
	struct qz_span_thread *th;
	const struct qz_counter_group *g;
	int err = -ENOMEM;

	if (!probe || probe->sz < sizeof(p))
		return -EINVAL;
	th = qz__span_thread_get();
	if (!th)
		goto out;
	qz__span_thread_counters(th, tracer);
	g = &th->group;
	snprintf(p.reason, sizeof(p.reason), "%s",
		 th->state == 1 ? g->reason : th->unavailable);
	err = th->state == 1 ? 0 : th->open_err;
	if (err)
		goto out;
	p.counters = g->mask;
	p.flags = g->flags;
	p.pmu = g->pmu;
	p.rdpmc = g->rdpmc;
	p.read_path = g->rdpmc ? "rdpmc" : "read";
out:
	qz__copy_sized(probe, &p, sizeof(p));
	return err;
}
