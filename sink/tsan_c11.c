// SPDX-License-Identifier: MIT
/*
 * ThreadSanitizer builds only. Debian's librdkafka makes its threads, locks
 * and condition variables with glibc's C11 <threads.h> (thrd_create,
 * mtx_lock, ...), which clang 14's TSan runtime does not intercept: it never
 * sees those threads start, and its allocator crashes on their first
 * malloc. These definitions in the executable take the place of glibc's for
 * librdkafka and map C11 threads onto pthreads, which TSan intercepts, so
 * it sees librdkafka's threads and their synchronisation. librdkafka's own
 * code stays uninstrumented; ours, including the callbacks it calls, is
 * checked.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <threads.h>

/* The project builds with -fvisibility=hidden: these must be seen. */
#define QZ_TSAN_VISIBLE __attribute__((visibility("default")))

struct qz_tsan_start {
	thrd_start_t func;
	void *arg;
};

static int qz_tsan_result(int err)
{
	switch (err) {
	case 0: return thrd_success;
	case EBUSY: return thrd_busy;
	case ETIMEDOUT: return thrd_timedout;
	case ENOMEM: return thrd_nomem;
	default: return thrd_error;
	}
}

static void *qz_tsan_trampoline(void *p)
{
	struct qz_tsan_start st = *(struct qz_tsan_start *)p;

	free(p);
	return (void *)(intptr_t)st.func(st.arg);
}

QZ_TSAN_VISIBLE int thrd_create(thrd_t *thr, thrd_start_t func, void *arg)
{
	struct qz_tsan_start *st = malloc(sizeof(*st));
	int err;

	if (!st)
		return thrd_nomem;
	st->func = func;
	st->arg = arg;
	err = pthread_create(thr, NULL, qz_tsan_trampoline, st);
	if (err)
		free(st);
	return qz_tsan_result(err);
}

QZ_TSAN_VISIBLE int thrd_join(thrd_t thr, int *res)
{
	void *ret;
	int err = pthread_join(thr, &ret);

	if (!err && res)
		*res = (int)(intptr_t)ret;
	return qz_tsan_result(err);
}

QZ_TSAN_VISIBLE int mtx_init(mtx_t *m, int type)
{
	pthread_mutexattr_t attr;
	int err;

	pthread_mutexattr_init(&attr);
	if (type & mtx_recursive)
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	err = pthread_mutex_init((pthread_mutex_t *)m, &attr);
	pthread_mutexattr_destroy(&attr);
	return qz_tsan_result(err);
}

QZ_TSAN_VISIBLE int mtx_lock(mtx_t *m)
{
	return qz_tsan_result(pthread_mutex_lock((pthread_mutex_t *)m));
}

QZ_TSAN_VISIBLE int mtx_unlock(mtx_t *m)
{
	return qz_tsan_result(pthread_mutex_unlock((pthread_mutex_t *)m));
}

QZ_TSAN_VISIBLE void mtx_destroy(mtx_t *m)
{
	pthread_mutex_destroy((pthread_mutex_t *)m);
}

QZ_TSAN_VISIBLE int cnd_init(cnd_t *c)
{
	return qz_tsan_result(pthread_cond_init((pthread_cond_t *)c, NULL));
}

QZ_TSAN_VISIBLE int cnd_signal(cnd_t *c)
{
	return qz_tsan_result(pthread_cond_signal((pthread_cond_t *)c));
}

QZ_TSAN_VISIBLE int cnd_broadcast(cnd_t *c)
{
	return qz_tsan_result(pthread_cond_broadcast((pthread_cond_t *)c));
}

QZ_TSAN_VISIBLE int cnd_wait(cnd_t *c, mtx_t *m)
{
	return qz_tsan_result(pthread_cond_wait((pthread_cond_t *)c, (pthread_mutex_t *)m));
}

QZ_TSAN_VISIBLE int cnd_timedwait(cnd_t *restrict c, mtx_t *restrict m, const struct timespec *restrict ts)
{
	return qz_tsan_result(pthread_cond_timedwait((pthread_cond_t *)c,
						     (pthread_mutex_t *)m, ts));
}

QZ_TSAN_VISIBLE void cnd_destroy(cnd_t *c)
{
	pthread_cond_destroy((pthread_cond_t *)c);
}

QZ_TSAN_VISIBLE void call_once(once_flag *flag, void (*func)(void))
{
	pthread_once((pthread_once_t *)flag, func);
}
