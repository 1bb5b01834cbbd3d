// SPDX-License-Identifier: MIT
/*
 * The OTLP/HTTP client: one POST per batch, retried on the answers the
 * OTLP specification calls transient, honouring Retry-After.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <curl/curl.h>
#include "otlp_internal.h"
#include "internal.h"

#define RESPONSE_MAX (64 * 1024)

struct qz_otlp {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	unsigned int timeout_ms, retries, backoff_ms, max_backoff_ms;
	uint64_t rng;
	struct qz_logger log;
	struct qz_otlp_resource res;
	struct qz_otlp_stats st;
	/* Of the current attempt. */
	long long retry_after_ms;
	char body[RESPONSE_MAX];
	size_t body_len;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_err;

static void init_curl(void)
{
	curl_init_err = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	struct qz_otlp *o = ctx;
	size_t len = size * n;
	char value[128];

	if (len > 12 && !strncasecmp(line, "Retry-After:", 12)) {
		size_t vlen = len - 12 < sizeof(value) - 1 ? len - 12 :
							     sizeof(value) - 1;

		memcpy(value, line + 12, vlen);
		value[vlen] = '\0';
		o->retry_after_ms = qz__otlp_retry_after(value, time(NULL));
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct qz_otlp *o = ctx;
	size_t len = size * n, room = sizeof(o->body) - o->body_len;

	memcpy(o->body + o->body_len, data, len < room ? len : room);
	o->body_len += len < room ? len : room;
	return len;
}

static const char *endpoint(const char *given, char *buf, size_t len)
{
	const char *env;

	if (given)
		return given;
	env = getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	if (env && *env)
		return env;
	env = getenv("OTEL_EXPORTER_OTLP_ENDPOINT");
	if (env && *env) {
		size_t l = strlen(env);

		snprintf(buf, len, "%.*s/v1/traces",
			 (int)(l && env[l - 1] == '/' ? l - 1 : l), env);
		return buf;
	}
	return "http://localhost:4318/v1/traces";
}

struct qz_otlp *qz_otlp__new(const struct qz_otlp_opts *opts)
{
	const char *service = QZ_OPT(opts, service_name, NULL);
	struct qz_otlp *o;
	char buf[1024];
	int err = ENOMEM;

	QZ_OPTS_CHECK_OR_NULL(opts);
	o = calloc(1, sizeof(*o));
	if (!o)
		goto fail;
	pthread_once(&curl_once, init_curl);
	if (curl_init_err) {
		err = EIO;
		goto fail;
	}
	if (!service)
		service = getenv("OTEL_SERVICE_NAME");
	if (!service || !*service)
		service = program_invocation_short_name;
	o->url = strdup(endpoint(QZ_OPT(opts, endpoint, NULL), buf,
				 sizeof(buf)));
	o->curl = curl_easy_init();
	o->headers = curl_slist_append(NULL,
				       "Content-Type: application/x-protobuf");
	if (!o->url || !o->curl || !o->headers)
		goto fail;
	o->timeout_ms = QZ_OPT(opts, timeout_ms, 0u) ?: 10000;
	o->retries = QZ_OPT(opts, retries, 0u) ?: 5;
	o->backoff_ms = QZ_OPT(opts, backoff_ms, 0u) ?: 500;
	o->max_backoff_ms = QZ_OPT(opts, max_backoff_ms, 0u) ?: 30000;
	o->log.fn = QZ_OPT(opts, log, NULL);
	o->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	o->rng = mono_ns() ^ (uint64_t)(uintptr_t)o;
	qz__otlp_resource_init(&o->res, service);
	curl_easy_setopt(o->curl, CURLOPT_URL, o->url);
	curl_easy_setopt(o->curl, CURLOPT_HTTPHEADER, o->headers);
	curl_easy_setopt(o->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(o->curl, CURLOPT_HEADERDATA, o);
	curl_easy_setopt(o->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(o->curl, CURLOPT_WRITEDATA, o);
	curl_easy_setopt(o->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(o->curl, CURLOPT_TIMEOUT_MS, (long)o->timeout_ms);
	return o;
fail:
	qz_otlp__free(o);
	errno = err;
	return NULL;
}

void qz_otlp__free(struct qz_otlp *o)
{
	if (!o)
		return;
	if (o->curl)
		curl_easy_cleanup(o->curl);
	curl_slist_free_all(o->headers);
	free(o->url);
	free(o);
}

int qz_otlp__stats(const struct qz_otlp *o, struct qz_otlp_stats *st)
{
	struct qz_otlp_stats all = o->st;

	if (!st || st->sz < sizeof(all))
		return -EINVAL;
	all.sz = sizeof(all);
	qz__copy_sized(st, &all, sizeof(all));
	return 0;
}

/* A 200's body may report spans the receiver would not take. */
static void partial_success(struct qz_otlp *o)
{
	QzOtlp__Collector__Trace__V1__ExportTraceServiceResponse *r;

	r = qz_otlp__collector__trace__v1__export_trace_service_response__unpack(
		NULL, o->body_len, (const uint8_t *)o->body);
	if (!r)
		return;
	if (r->partial_success && r->partial_success->rejected_spans > 0) {
		o->st.rejected += (uint64_t)r->partial_success->rejected_spans;
		qz_log(&o->log, QZ_LOG_WARN,
		       "otlp: the receiver rejected %lld spans: %s",
		       (long long)r->partial_success->rejected_spans,
		       r->partial_success->error_message);
	}
	qz_otlp__collector__trace__v1__export_trace_service_response__free_unpacked(
		r, NULL);
}

/* One POST: 0 accepted, -EAGAIN to retry, another -errno to give up. */
static int post(struct qz_otlp *o, const uint8_t *buf, size_t len)
{
	CURLcode rc;
	long status = 0;

	o->retry_after_ms = -1;
	o->body_len = 0;
	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDS, buf);
	curl_easy_setopt(o->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	o->st.requests++;
	rc = curl_easy_perform(o->curl);
	if (rc != CURLE_OK) {
		o->st.last_status = 0;
		qz_log(&o->log, QZ_LOG_WARN, "otlp: POST %s: %s", o->url,
		       curl_easy_strerror(rc));
		return -EAGAIN;
	}
	curl_easy_getinfo(o->curl, CURLINFO_RESPONSE_CODE, &status);
	o->st.last_status = status;
	if (status >= 200 && status < 300) {
		partial_success(o);
		return 0;
	}
	qz_log(&o->log, qz__otlp_retryable(status) ? QZ_LOG_INFO : QZ_LOG_ERROR,
	       "otlp: POST %s: HTTP %ld%s", o->url, status,
	       qz__otlp_retryable(status) ? ", will retry" : "");
	return qz__otlp_retryable(status) ? -EAGAIN : -EPROTO;
}

/* Sleep ms, but never past the deadline: false if it would be passed. */
static bool wait_ms(uint64_t ms, uint64_t deadline_ns)
{
	uint64_t until = mono_ns() + ms * 1000000ull;
	struct timespec ts = { .tv_sec = (time_t)(until / 1000000000ull),
			       .tv_nsec = (long)(until % 1000000000ull) };

	if (until > deadline_ns)
		return false;
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) ==
	       EINTR)
		;
	return true;
}

int qz_otlp__export(const struct qz_span_data *const *spans, size_t n,
		    uint64_t deadline_ns, void *ctx)
{
	struct qz_otlp *o = ctx;
	size_t len;
	uint8_t *buf = qz__otlp_encode(&o->res, spans, n, &len);
	int err = -ENOMEM;

	if (!buf)
		return err;
	for (unsigned int attempt = 0;; attempt++) {
		uint64_t ms;

		err = post(o, buf, len);
		if (err != -EAGAIN)
			break;
		if (attempt >= o->retries) {
			err = -ETIMEDOUT;
			break;
		}
		ms = o->retry_after_ms >= 0 ?
			     (uint64_t)o->retry_after_ms :
			     qz__otlp_backoff_ms(attempt, o->backoff_ms,
						 o->max_backoff_ms, &o->rng);
		if (ms > o->max_backoff_ms)
			ms = o->max_backoff_ms;
		if (!wait_ms(ms, deadline_ns)) {
			err = -ETIMEDOUT;
			break;
		}
		o->st.retries++;
	}
	if (!err)
		o->st.spans += n;
	free(buf);
	return err;
}

static void close_otlp(void *ctx)
{
	qz_otlp__free(ctx);
}

struct qz_span_exporter *
qz_otlp_exporter__new(const struct qz_otlp_opts *opts,
		      const struct qz_span_exporter_opts *queue)
{
	struct qz_span_exporter_opts q = { .sz = sizeof(q) };
	struct qz_span_exporter *e;
	struct qz_otlp *o;

	QZ_OPTS_CHECK_OR_NULL(queue);
	if (QZ_OPT(queue, export, NULL) || QZ_OPT(queue, close, NULL) ||
	    QZ_OPT(queue, ctx, NULL)) {
		errno = EINVAL;
		return NULL;
	}
	o = qz_otlp__new(opts);
	if (!o)
		return NULL;
	q.capacity = QZ_OPT(queue, capacity, (size_t)0);
	q.batch_size = QZ_OPT(queue, batch_size, (size_t)0);
	q.batch_age_ms = QZ_OPT(queue, batch_age_ms, 0u);
	q.shutdown_ms = QZ_OPT(queue, shutdown_ms, 0u);
	q.log = QZ_OPT(queue, log, NULL);
	q.log_ctx = QZ_OPT(queue, log_ctx, NULL);
	if (!q.log) {
		q.log = QZ_OPT(opts, log, NULL);
		q.log_ctx = QZ_OPT(opts, log_ctx, NULL);
	}
	q.export = qz_otlp__export;
	q.close = close_otlp;
	q.ctx = o;
	e = qz_span_exporter__new(&q);
	if (!e)
		qz_otlp__free(o);
	return e;
}
