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
	/* Settles the report itself, later; NULL: settled when write returns. */
	int (*write_tracked)(struct qz_sink *s, const char *line, size_t len,
			     const char *key, void *owner, uint64_t id);
	/* NULL: nothing is spooled. */
	char *(*last_spooled)(struct qz_sink *s, size_t *len);
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
	qz_sink_settled_fn settled;
};

/* A tracked report is safe, or given up on (err < 0). */
static inline void qz_sink_settle(struct qz_sink *s, void *owner, uint64_t id, int err)
{
	if (owner && s->settled)
		s->settled(owner, id, err);
}

/* Milliseconds on CLOCK_MONOTONIC. */
long long qz_sink_now_ms(void);

#endif
