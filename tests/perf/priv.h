/* SPDX-License-Identifier: MIT */
/* Shared bits of the perf priv tests. */
#ifndef QZ_PERF_PRIV_H
#define QZ_PERF_PRIV_H

#include <errno.h>
#include <quazar/evsel.h>
#include <quazar/select.h>
#include "../test.h"

static inline void test_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	fprintf(stderr, "[log %d] %s\n", (int)level, msg);
}

static inline struct qz_evsel *tracepoint_evsel(const char *sys, const char *name)
{
	struct qz_event_spec spec = { .kind = QZ_SPEC_TRACEPOINT,
				      .sys = (char *)sys, .name = (char *)name,
				      .text = (char *)name };
	QZ_OPTS(qz_attr_opts, o, .log = test_log);

	return qz_evsel__new_from_spec(&spec, &o);
}

static inline struct qz_evsel *named_evsel(const char *name)
{
	struct qz_event_spec spec = { .kind = QZ_SPEC_SOFTWARE,
				      .name = (char *)name, .text = (char *)name };

	return qz_evsel__new_from_spec(&spec, NULL);
}

static inline int priv_require(void)
{
	if (!test_require_root())
		return test_skip("needs root");
	return 0;
}

#endif
