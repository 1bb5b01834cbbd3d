// SPDX-License-Identifier: MIT
/* The sink interface: dispatch to the implementation. */
#include <errno.h>
#include <string.h>
#include <time.h>
#include "sink_internal.h"

long long qz_sink_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int qz_sink__write(struct qz_sink *sink, const char *line, size_t len,
			  const char *key)
{
	if (!sink || (!line && len))
		return -EINVAL;
	return sink->ops->write(sink, line, len, key);
}

void qz_sink__set_settled(struct qz_sink *sink, qz_sink_settled_fn fn)
{
	if (sink)
		sink->settled = fn;
}

int qz_sink__write_tracked(struct qz_sink *sink, const char *line, size_t len,
			   const char *key, void *owner, uint64_t id)
{
	int err;

	if (!sink || (!line && len))
		return -EINVAL;
	if (sink->ops->write_tracked)
		return sink->ops->write_tracked(sink, line, len, key, owner, id);
	/* write(2) returned: in the page cache, safe from a crash of ours. */
	err = sink->ops->write(sink, line, len, key);
	qz_sink_settle(sink, owner, id, err);
	return err;
}

char *qz_sink__last_spooled(struct qz_sink *sink, size_t *len)
{
	if (!sink || !sink->ops->last_spooled) {
		errno = sink ? ENOENT : EINVAL;
		return NULL;
	}
	return sink->ops->last_spooled(sink, len);
}

int qz_sink__flush(struct qz_sink *sink, int deadline_ms)
{
	if (!sink)
		return -EINVAL;
	return sink->ops->flush(sink, deadline_ms);
}

int qz_sink__close(struct qz_sink *sink, int deadline_ms)
{
	if (!sink)
		return -EINVAL;
	return sink->ops->close(sink, deadline_ms);
}

void qz_sink__free(struct qz_sink *sink)
{
	if (!sink)
		return;
	sink->ops->close(sink, 0);
	sink->ops->free(sink);
}

int qz_sink__stats(struct qz_sink *sink, struct qz_sink_stats *stats)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	size_t sz;

	if (!sink || !stats)
		return -EINVAL;
	sz = stats->sz && stats->sz < sizeof(st) ? stats->sz : sizeof(st);
	sink->ops->stats(sink, &st);
	st.sz = sz;
	memcpy(stats, &st, sz);
	return 0;
}

const char *qz_sink__type(const struct qz_sink *sink)
{
	return sink ? sink->ops->type : "";
}

int qz_sink__probe(struct qz_sink *sink, int timeout_ms)
{
	if (!sink)
		return -EINVAL;
	return sink->ops->probe ? sink->ops->probe(sink, timeout_ms) : 0;
}
