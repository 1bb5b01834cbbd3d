/* SPDX-License-Identifier: MIT */
/*
 * OTLP/HTTP span export: ExportTraceServiceRequest in protobuf, POSTed to
 * /v1/traces with libcurl. Not part of libquazar (it needs libcurl and
 * protobuf-c): link the quazar-otlp static library.
 *
 * A request answered 429, 502, 503 or 504, or lost to a network error, is
 * sent again after the Retry-After header's delay when there is one, else
 * after an exponential backoff with jitter, until the retries or the
 * exporter's deadline run out. Other answers fail the batch at once.
 *
 *	struct qz_span_exporter *e = qz_otlp_exporter__new(&otlp_opts, NULL);
 *	QZ_OPTS(qz_tracer_opts, to, .exporter = e);
 */
#ifndef QUAZAR_OTLP_H
#define QUAZAR_OTLP_H

#include <stdint.h>
#include <quazar/span_export.h>

struct qz_otlp;

struct qz_otlp_opts {
	size_t sz;
	/*
	 * Where to POST. Default: $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
	 * $OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else
	 * http://localhost:4318/v1/traces.
	 */
	const char *endpoint;
	/* service.name; default $OTEL_SERVICE_NAME, else the program's name. */
	const char *service_name;
	unsigned int timeout_ms;	/* per request; 0: 10000 */
	unsigned int retries;		/* after the first attempt; 0: 5 */
	unsigned int backoff_ms;	/* first backoff, doubling; 0: 500 */
	unsigned int max_backoff_ms;	/* 0: 30000; caps Retry-After too */
	qz_log_fn log;
	void *log_ctx;
};

/* Set sz to sizeof(struct qz_otlp_stats); the library fills the rest. */
struct qz_otlp_stats {
	size_t sz;
	uint64_t requests;	/* POSTs made */
	uint64_t retries;	/* of them, attempts after the first */
	uint64_t spans;		/* spans in accepted requests */
	uint64_t rejected;	/* spans the receiver said it rejected */
	long last_status;	/* HTTP status of the last answer, 0 if none */
};

/* The client: resource attributes, the endpoint, one curl handle. */
struct qz_otlp *qz_otlp__new(const struct qz_otlp_opts *opts);
void qz_otlp__free(struct qz_otlp *otlp);
/* A qz_span_export_fn: ctx is the struct qz_otlp. One thread at a time. */
int qz_otlp__export(const struct qz_span_data *const *spans, size_t n,
		    uint64_t deadline_ns, void *otlp);
/* 0, or -EINVAL when st->sz is too small. */
int qz_otlp__stats(const struct qz_otlp *otlp, struct qz_otlp_stats *st);

/*
 * A span exporter that owns a new client (freed with the exporter); queue
 * sets the buffer and batches (its export, close and ctx must be unset).
 */
struct qz_span_exporter *
qz_otlp_exporter__new(const struct qz_otlp_opts *opts,
		      const struct qz_span_exporter_opts *queue);

#endif
