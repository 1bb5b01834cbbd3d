/* SPDX-License-Identifier: MIT */
/* What the OTLP files share; the unit test includes it too. */
#ifndef QUAZAR_OTLP_INTERNAL_H
#define QUAZAR_OTLP_INTERNAL_H

#include <stdbool.h>
#include <time.h>
#include "otlp.h"
#include "common.pb-c.h"
#include "resource.pb-c.h"
#include "trace.pb-c.h"
#include "trace_service.pb-c.h"

#define QZ_OTLP_RESOURCE_ATTRS 5

/* service.name, host.name, process.pid and the SDK's, built once. */
struct qz_otlp_resource {
	QzOtlp__Resource__V1__Resource resource;
	QzOtlp__Common__V1__InstrumentationScope scope;
	QzOtlp__Common__V1__KeyValue kv[QZ_OTLP_RESOURCE_ATTRS];
	QzOtlp__Common__V1__AnyValue av[QZ_OTLP_RESOURCE_ATTRS];
	QzOtlp__Common__V1__KeyValue *kvp[QZ_OTLP_RESOURCE_ATTRS];
	char service[256];
	char host[256];
};

void qz__otlp_resource_init(struct qz_otlp_resource *r, const char *service);
/*
 * The ExportTraceServiceRequest of n spans, packed: malloc'ed (the caller
 * frees it), its size in *len. NULL if out of memory.
 */
uint8_t *qz__otlp_encode(const struct qz_otlp_resource *r,
			 const struct qz_span_data *const *spans, size_t n,
			 size_t *len);

/*
 * Retry-After: delta-seconds or an HTTP-date (against now). Milliseconds
 * to wait, or -1 when the value is neither.
 */
long long qz__otlp_retry_after(const char *value, time_t now);
/* Backoff before retry number attempt (0-based), jittered to [1/2, 1]. */
unsigned int qz__otlp_backoff_ms(unsigned int attempt, unsigned int base,
				 unsigned int max, uint64_t *rng);
/* Statuses OTLP/HTTP says to retry. */
bool qz__otlp_retryable(long status);

#endif
