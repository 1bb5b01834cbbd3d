// SPDX-License-Identifier: MIT
/*
 * /healthz: one reason object per thing wrong, so a probe can tell what
 * to look at: {"reason": "...", "collector"|"sink": NAME, "message": "..."}.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include "agent_internal.h"

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void reason(struct qz_json *j, const char *why, const char *key,
		   const char *name, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void reason(struct qz_json *j, const char *why, const char *key,
		   const char *name, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	qz_json__begin_object(j);
	qz_json__key_str(j, "reason", why);
	qz_json__key_str(j, key, name);
	qz_json__key_str(j, "message", msg);
	qz_json__end_object(j);
}

int qz_health__collector(struct qz_json *j, const char *name, int exit_err)
{
	if (exit_err)
		reason(j, "collector_stopped", "collector", name,
		       "its thread stopped on an error: %s", qz_strerror(exit_err));
	else
		reason(j, "collector_stopped", "collector", name,
		       "its thread stopped: the session ended");
	return 1;
}

int qz_health__sink(struct qz_json *j, const char *name,
		    const struct qz_sink_stats *st, struct health_drops *d,
		    long long now_ms)
{
	int n = 0;

	if (st->fatal) {
		reason(j, "sink_fatal", "sink", name,
		       "the producer failed fatally and could not be recreated yet "
		       "(%" PRIu64 " fatal errors); reports go to the spool", st->fatal_errors);
		n++;
	}
	if (st->spool_max_bytes &&
	    st->spool_bytes * 100 > st->spool_max_bytes * QZ_HEALTH_SPOOL_PCT) {
		reason(j, "spool_full", "sink", name,
		       "the spool holds %" PRIu64 " bytes, %" PRIu64 "%% of its bound "
		       "(%" PRIu64 "); at 100%% the oldest reports are dropped",
		       st->spool_bytes, st->spool_bytes * 100 / st->spool_max_bytes,
		       st->spool_max_bytes);
		n++;
	}
	/* A drop keeps the sink unhealthy for a window, from when it is seen. */
	if (st->spool_dropped > d->seen) {
		if (!d->at_ms || now_ms - d->at_ms >= QZ_HEALTH_DROP_WINDOW_MS)
			d->base = d->seen;
		d->seen = st->spool_dropped;
		d->at_ms = now_ms;
	}
	if (d->at_ms && now_ms - d->at_ms < QZ_HEALTH_DROP_WINDOW_MS) {
		reason(j, "spool_dropped", "sink", name,
		       "%" PRIu64 " reports dropped from the full spool in the last %d s",
		       d->seen - d->base, QZ_HEALTH_DROP_WINDOW_MS / 1000);
		n++;
	}
	return n;
}

int qz_agent_health__page(struct qz_json *j, void *ctx)
{
	struct qz_agent *a = ctx;
	long long now = now_ms();
	int n = 0;

	/* set_config swaps the lists under the lock. */
	pthread_mutex_lock(&a->lock);
	for (size_t i = 0; i < a->nr_collectors; i++) {
		struct collector *c = a->collectors[i];

		/* Running means its thread was started and not joined. */
		if (__atomic_load_n(&c->running, __ATOMIC_ACQUIRE) &&
		    __atomic_load_n(&c->exited, __ATOMIC_ACQUIRE))
			n += qz_health__collector(j, c->name, c->exit_err);
	}
	for (size_t i = 0; i < a->nr_sinks; i++) {
		struct agent_sink *s = a->sinks[i];
		struct qz_sink_stats st = { .sz = sizeof(st) };

		qz_sink__stats(s->sink, &st);
		n += qz_health__sink(j, s->name, &st, &s->drops, now);
	}
	pthread_mutex_unlock(&a->lock);
	return qz_json__error(j) ?: n;
}
