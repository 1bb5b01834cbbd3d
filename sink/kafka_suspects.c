// SPDX-License-Identifier: MIT
/*
 * Suspects: spooled reports that failed after they were sent, so the
 * brokers may hold them already. Each keeps where in its partition it can
 * be (after the last offset acked before it failed) until the topic has
 * been read back. Under the sink's lock.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "kafka_internal.h"

void qz_suspects__acked(struct suspects *ss, int32_t partition, int64_t offset)
{
	if (partition < 0 || offset < 0)
		return;
	if (partition >= ss->nr_acked) {
		int64_t *v = realloc(ss->acked, (size_t)(partition + 1) * sizeof(*v));

		if (!v)
			return;
		for (int32_t p = ss->nr_acked; p <= partition; p++)
			v[p] = -1;
		ss->acked = v;
		ss->nr_acked = partition + 1;
	}
	if (offset > ss->acked[partition])
		ss->acked[partition] = offset;
}

int64_t qz_suspects__from(const struct suspects *ss, int32_t partition)
{
	if (partition < 0 || partition >= ss->nr_acked || ss->acked[partition] < 0)
		return -1;
	return ss->acked[partition] + 1;
}

struct suspect *qz_suspects__find(struct suspects *ss, uint64_t index)
{
	for (size_t i = 0; i < ss->n; i++)
		if (ss->v[i].index == index)
			return &ss->v[i];
	return NULL;
}

int qz_suspects__add(struct suspects *ss, uint64_t index, int32_t partition, int64_t from,
		 uint64_t hash)
{
	struct suspect *sp = qz_suspects__find(ss, index);

	if (sp) {	/* failed again: read back from the earlier place */
		if (from < 0 || (sp->from >= 0 && sp->from < from))
			from = sp->from;
	} else {
		if (ss->n == ss->cap) {
			size_t cap = ss->cap ? ss->cap * 2 : 64;
			struct suspect *v = realloc(ss->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			ss->v = v;
			ss->cap = cap;
		}
		sp = &ss->v[ss->n++];
	}
	*sp = (struct suspect){ .index = index, .hash = hash, .from = from,
				.partition = partition, .state = SUSPECT_UNKNOWN };
	return 0;
}

void qz_suspects__prune(struct suspects *ss, uint64_t head)
{
	size_t kept = 0;

	for (size_t i = 0; i < ss->n; i++)
		if (ss->v[i].index >= head)
			ss->v[kept++] = ss->v[i];
	ss->n = kept;
}

size_t qz_suspects__count(const struct suspects *ss, enum suspect_state state)
{
	size_t n = 0;

	for (size_t i = 0; i < ss->n; i++)
		n += ss->v[i].state == state;
	return n;
}

void qz_suspects__free(struct suspects *ss)
{
	free(ss->v);
	free(ss->acked);
	memset(ss, 0, sizeof(*ss));
}
