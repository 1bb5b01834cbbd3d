// SPDX-License-Identifier: MIT
/*
 * The span exporter: a bounded ring of span copies and one thread that
 * exports them in batches. Producers (span ends) only copy a span in under
 * the lock and wake the thread when a batch fills; the thread keeps the age
 * deadline, calls the export function outside the lock on slots it owns,
 * and logs drops, at most once a second.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "span_internal.h"

#define NSEC 1000000000ull
#define MSEC 1000000ull

struct qz_span_exporter {
	pthread_mutex_t lock;
	pthread_cond_t wake;		/* the thread: work, or stop */
	pthread_cond_t done;		/* flushers: slots released */
	pthread_t thread;
	struct qz_span_data *slots;
	uint64_t *pushed_ns;		/* CLOCK_MONOTONIC, per slot */
	const struct qz_span_data **batch;
	size_t capacity, batch_size;
	/* release <= tail <= head: [release, tail) is being exported. */
	uint64_t head, tail, release;
	bool stop, sleeping;
	unsigned int flushers;
	uint64_t batch_age_ns, shutdown_ns, stop_deadline;
	struct qz_span_exporter_stats st;
	uint64_t dropped_logged, drop_log_ns;
	qz_span_export_fn export;
	void (*close)(void *ctx);
	void *ctx;
	struct qz_logger log;
};

static uint64_t now_ns(void)
{
	return qz__clock_ns(CLOCK_MONOTONIC);
}

static struct timespec to_ts(uint64_t ns)
{
	return (struct timespec){ .tv_sec = (time_t)(ns / NSEC),
				  .tv_nsec = (long)(ns % NSEC) };
}

static void wait_until(struct qz_span_exporter *e, pthread_cond_t *c,
		       uint64_t deadline)
{
	struct timespec ts = to_ts(deadline);

	if (deadline == UINT64_MAX)
		pthread_cond_wait(c, &e->lock);
	else
		pthread_cond_timedwait(c, &e->lock, &ts);
}

/* Under the lock: a line for drops not yet logged, at most once a second. */
static uint64_t drops_to_log(struct qz_span_exporter *e, uint64_t now)
{
	uint64_t n = e->st.dropped - e->dropped_logged;

	if (!n || (!e->stop && now - e->drop_log_ns < NSEC))
		return 0;
	e->dropped_logged = e->st.dropped;
	e->drop_log_ns = now;
	return n;
}

static void export_batch(struct qz_span_exporter *e, size_t n)
{
	uint64_t deadline = e->stop ? e->stop_deadline : UINT64_MAX;
	int err = -ETIMEDOUT;

	for (size_t i = 0; i < n; i++)
		e->batch[i] = &e->slots[(e->tail + i) % e->capacity];
	e->tail += n;
	pthread_mutex_unlock(&e->lock);
	if (deadline != UINT64_MAX && now_ns() >= deadline) {
		qz_log(&e->log, QZ_LOG_ERROR,
		       "span exporter: shutdown deadline passed: %zu spans not exported",
		       n);
	} else {
		err = e->export(e->batch, n, deadline, e->ctx);
		if (err)
			qz_log(&e->log, QZ_LOG_ERROR,
			       "span exporter: a batch of %zu spans failed: %s",
			       n, qz_strerror(err));
	}
	pthread_mutex_lock(&e->lock);
	e->release += n;
	e->st.batches++;
	if (err)
		e->st.failed += n;
	else
		e->st.exported += n;
	pthread_cond_broadcast(&e->done);
}

static void *run(void *arg)
{
	struct qz_span_exporter *e = arg;

	pthread_mutex_lock(&e->lock);
	for (;;) {
		uint64_t now = now_ns(), n = e->head - e->tail, drops;
		uint64_t deadline = UINT64_MAX;

		drops = drops_to_log(e, now);
		if (drops) {
			pthread_mutex_unlock(&e->lock);
			qz_log(&e->log, QZ_LOG_WARN,
			       "span exporter: buffer full (%zu spans): dropped %llu spans",
			       e->capacity, (unsigned long long)drops);
			pthread_mutex_lock(&e->lock);
			continue;
		}
		if (n >= e->batch_size ||
		    (n && (e->stop || e->flushers ||
			   now - e->pushed_ns[e->tail % e->capacity] >=
				   e->batch_age_ns))) {
			export_batch(e, n < e->batch_size ? n : e->batch_size);
			continue;
		}
		if (e->stop && !n)
			break;
		if (n)
			deadline = e->pushed_ns[e->tail % e->capacity] +
				   e->batch_age_ns;
		if (e->st.dropped != e->dropped_logged &&
		    e->drop_log_ns + NSEC < deadline)
			deadline = e->drop_log_ns + NSEC;
		e->sleeping = !n;
		wait_until(e, &e->wake, deadline);
		e->sleeping = false;
	}
	pthread_mutex_unlock(&e->lock);
	return NULL;
}

QZ_API struct qz_span_exporter *
qz_span_exporter__new(const struct qz_span_exporter_opts *opts)
{
	struct qz_span_exporter *e;
	pthread_condattr_t ca;
	int err = -ENOMEM;

	QZ_OPTS_CHECK_OR_NULL(opts);
	e = calloc(1, sizeof(*e));
	if (!e)
		goto fail;
	e->export = QZ_OPT(opts, export, NULL);
	e->close = QZ_OPT(opts, close, NULL);
	e->ctx = QZ_OPT(opts, ctx, NULL);
	e->capacity = QZ_OPT(opts, capacity, (size_t)0) ?: 4096;
	e->batch_size = QZ_OPT(opts, batch_size, (size_t)0) ?: 512;
	e->batch_age_ns = (QZ_OPT(opts, batch_age_ms, 0u) ?: 1000) * MSEC;
	e->shutdown_ns = (QZ_OPT(opts, shutdown_ms, 0u) ?: 5000) * MSEC;
	e->log.fn = QZ_OPT(opts, log, NULL);
	e->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	if (e->batch_size > e->capacity)
		e->batch_size = e->capacity;
	if (!e->export) {
		err = -EINVAL;
		goto fail;
	}
	e->slots = calloc(e->capacity, sizeof(*e->slots));
	e->pushed_ns = calloc(e->capacity, sizeof(*e->pushed_ns));
	e->batch = calloc(e->batch_size, sizeof(*e->batch));
	if (!e->slots || !e->pushed_ns || !e->batch)
		goto fail;
	pthread_mutex_init(&e->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&e->wake, &ca);
	pthread_cond_init(&e->done, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&e->thread, NULL, run, e);
	if (err) {
		pthread_cond_destroy(&e->wake);
		pthread_cond_destroy(&e->done);
		pthread_mutex_destroy(&e->lock);
		goto fail;
	}
	return e;
fail:
	if (e) {
		free(e->slots);
		free(e->pushed_ns);
		free(e->batch);
		free(e);
	}
	errno = -err;
	return NULL;
}

QZ_API int qz_span_exporter__push(struct qz_span_exporter *e,
				  const struct qz_span_data *span)
{
	/* A span's age counts from its end, read a moment ago. */
	uint64_t now;
	bool wake;

	if (!e || !span)
		return -EINVAL;
	now = span->mono_end_ns ? span->mono_end_ns : now_ns();
	pthread_mutex_lock(&e->lock);
	if (e->head - e->release >= e->capacity || e->stop) {
		e->st.dropped++;
		pthread_mutex_unlock(&e->lock);
		return -ENOBUFS;
	}
	qz__span_data_copy(&e->slots[e->head % e->capacity], span);
	e->slots[e->head % e->capacity].sz = sizeof(*span);
	e->pushed_ns[e->head % e->capacity] = now;
	e->head++;
	e->st.queued++;
	/* Wake only to start the age clock or on a full batch. */
	wake = e->sleeping || e->head - e->tail == e->batch_size;
	pthread_mutex_unlock(&e->lock);
	if (wake)
		pthread_cond_signal(&e->wake);
	return 0;
}

QZ_API int qz_span_exporter__flush(struct qz_span_exporter *e,
				   unsigned int timeout_ms)
{
	uint64_t deadline = now_ns() + timeout_ms * MSEC, target;
	int err = 0;

	pthread_mutex_lock(&e->lock);
	target = e->head;
	e->flushers++;
	pthread_cond_signal(&e->wake);
	while (e->release < target) {
		if (now_ns() >= deadline) {
			err = -ETIMEDOUT;
			break;
		}
		wait_until(e, &e->done, deadline);
	}
	e->flushers--;
	pthread_mutex_unlock(&e->lock);
	return err;
}

QZ_API int qz_span_exporter__stats(struct qz_span_exporter *e,
				   struct qz_span_exporter_stats *st)
{
	struct qz_span_exporter_stats all;

	if (!e || !st || st->sz < sizeof(all))
		return -EINVAL;
	pthread_mutex_lock(&e->lock);
	all = e->st;
	all.pending = e->head - e->release;
	pthread_mutex_unlock(&e->lock);
	all.sz = sizeof(all);
	qz__copy_sized(st, &all, sizeof(all));
	return 0;
}

QZ_API void qz_span_exporter__free(struct qz_span_exporter *e)
{
	struct qz_span_exporter_stats st;

	if (!e)
		return;
	pthread_mutex_lock(&e->lock);
	e->stop = true;
	e->stop_deadline = now_ns() + e->shutdown_ns;
	pthread_cond_signal(&e->wake);
	pthread_mutex_unlock(&e->lock);
	pthread_join(e->thread, NULL);
	if (e->close)
		e->close(e->ctx);
	st = e->st;	/* the thread is gone: no lock */
	if (st.dropped || st.failed)
		qz_log(&e->log, QZ_LOG_WARN,
		       "span exporter: %llu spans exported, %llu dropped (buffer full), %llu failed",
		       (unsigned long long)st.exported,
		       (unsigned long long)st.dropped,
		       (unsigned long long)st.failed);
	pthread_cond_destroy(&e->wake);
	pthread_cond_destroy(&e->done);
	pthread_mutex_destroy(&e->lock);
	free(e->slots);
	free(e->pushed_ns);
	free(e->batch);
	free(e);
}
