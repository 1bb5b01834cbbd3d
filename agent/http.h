/* SPDX-License-Identifier: MIT */
/*
 * The agent's HTTP endpoint (libmicrohttpd, its own thread) and the
 * Prometheus text writer behind /metrics. The server knows nothing of the
 * agent: it calls back for each page.
 *
 *	GET /healthz	JSON {"status": "ok"|"unhealthy", "reasons": [...]}:
 *			200 with no reason, 503 with one or more (ops.healthz)
 *	GET /metrics	Prometheus text exposition 0.0.4, from ops.metrics
 *	GET /data	JSON, from ops.data
 *
 *	QZ_OPTS(qz_http_ops, ops, .metrics = my_metrics, .data = my_data);
 *	struct qz_http *h = qz_http__new("127.0.0.1:0", &ops, agent);
 *	printf("listening on port %d\n", qz_http__port(h));
 */
#ifndef QUAZAR_HTTP_H
#define QUAZAR_HTTP_H

#include <stdint.h>
#include <quazar/common.h>
#include <quazar/json.h>
#include "sink.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A page of Prometheus text being written. */
struct qz_metrics;

enum qz_metric_type {
	QZ_METRIC_COUNTER,
	QZ_METRIC_GAUGE,
};

/*
 * Starts a family: its # HELP and # TYPE lines. Samples that follow belong
 * to it. Characters not allowed in a metric name become '_'.
 */
void qz_metrics__family(struct qz_metrics *m, const char *name,
			       enum qz_metric_type type, const char *help);
/*
 * One sample of the current family. labels: name, value, name, value, ...,
 * NULL (NULL: none). Label values are escaped as the format wants.
 */
void qz_metrics__sample(struct qz_metrics *m, const char *const *labels,
			       double value);
void qz_metrics__sample_u64(struct qz_metrics *m,
				   const char *const *labels, uint64_t value);
/*
 * The quazar_sink_* families for n sinks: queued, held, delivered,
 * written, spooled, replayed, spool records/bytes/dropped/corrupt, errors,
 * possible duplicates, fatal errors, each labelled sink="names[i]".
 */
void qz_metrics__sinks(struct qz_metrics *m, const char *const *names,
			      const struct qz_sink_stats *stats, size_t n);
/* -ENOMEM once a write failed; the page is then answered with a 500. */
int qz_metrics__error(const struct qz_metrics *m);

struct qz_http;

struct qz_http_ops {
	size_t sz;
	qz_log_fn log_fn;
	void *log_ctx;
	/*
	 * The pages. They run on the server's thread, so they must be safe
	 * to call alongside the agent's threads. A NULL page is a 404; an
	 * error returned (-errno) is a 500.
	 */
	int (*metrics)(struct qz_metrics *m, void *ctx);
	int (*data)(struct qz_json *j, void *ctx);
	/*
	 * Adds one JSON object per reason the service is unhealthy to j (an
	 * array being written) and returns how many: 0 is a 200, more a 503,
	 * -errno a 500. NULL: always healthy.
	 */
	int (*healthz)(struct qz_json *j, void *ctx);
	/*
	 * When set (copied), /metrics and /data answer 401 unless the request
	 * carries "Authorization: Bearer TOKEN"; /healthz never asks.
	 */
	const char *token;
};

/*
 * Listens on "host:port" ("127.0.0.1:9431", "[::1]:0", "0.0.0.0:80");
 * port 0 picks a free one. Or on "unix:/ABSOLUTE/PATH": a unix socket of
 * mode 0600 (its folder made 0700 if missing), removed by free. A stale
 * socket there is replaced; one that still answers is EADDRINUSE, and
 * anything else EEXIST. NULL with errno: EINVAL (a bad address),
 * EADDRINUSE, EACCES, ...
 */
struct qz_http *qz_http__new(const char *listen,
				    const struct qz_http_ops *ops, void *ctx);
/* The port bound; 0 for a unix socket. */
int qz_http__port(const struct qz_http *h);
/* Stops the server (waits for a page being served). NULL is fine. */
void qz_http__free(struct qz_http *h);

#ifdef __cplusplus
}
#endif

#endif
