/* SPDX-License-Identifier: MIT */
/* What the sink implementations share. Never installed. */
#ifndef QUAZAR_SINK_INTERNAL_H
#define QUAZAR_SINK_INTERNAL_H

#include "sink.h"
#include "internal.h"

struct qz_sink;

struct qz_sink_ops {
	const char *type;
	int (*write)(struct qz_sink *s, const char *line, size_t len,
		     const char *key);
	int (*flush)(struct qz_sink *s, int deadline_ms);
	int (*close)(struct qz_sink *s, int deadline_ms);
	/* Fills a zeroed, full-sized struct. */
	void (*stats)(struct qz_sink *s, struct qz_sink_stats *st);
	void (*free)(struct qz_sink *s);
	/* NULL: always reachable. */
	int (*probe)(struct qz_sink *s, int timeout_ms);
};

/* The first member of every implementation's struct. */
struct qz_sink {
	const struct qz_sink_ops *ops;
	struct qz_logger log;
};

/* Milliseconds on CLOCK_MONOTONIC. */
long long qz_sink_now_ms(void);

#endif
