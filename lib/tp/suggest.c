// SPDX-License-Identifier: MIT
/*
 * "did you mean sched:sched_switch?": the closest existing event names by
 * edit distance, on the whole sys:name and on the name alone, so both a
 * typo in the system and one in the name find their event.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tp_internal.h"
#include "../util/util.h"

#define MAX_SUGGEST 3

QZ_API int qz_tp__suggest(struct qz_tp *tp, const char *sys_name, char *buf,
			  size_t len)
{
	const char *want_name, *colon;
	size_t nr, wlen, wnlen;
	char **names;
	int best[MAX_SUGGEST], dist[MAX_SUGGEST], nbest = 0, limit, ret;

	if (!tp || !sys_name || !buf || !len)
		return -EINVAL;
	buf[0] = '\0';
	ret = qz__tp_names(tp, &names, &nr);
	if (ret)
		return ret;
	colon = strchr(sys_name, ':');
	want_name = colon ? colon + 1 : sys_name;
	wlen = strlen(sys_name);
	wnlen = strlen(want_name);
	limit = qz__suggest_limit(wnlen);

	for (size_t i = 0; i < nr; i++) {
		const char *name = strchr(names[i], ':') + 1;
		int d = qz__edit_distance(want_name, wnlen, name, strlen(name), limit);

		/* A right name in the wrong system still deserves a look. */
		if (colon) {
			int full = qz__edit_distance(sys_name, wlen, names[i],
						     strlen(names[i]), limit);
			if (full < d)
				d = full;
			else if (d <= limit)
				d++; /* the system differs too: rank below full matches */
		}
		if (d > limit)
			continue;
		/* Keep the MAX_SUGGEST closest, first found first among equals. */
		int pos = nbest;

		while (pos > 0 && dist[pos - 1] > d)
			pos--;
		if (pos >= MAX_SUGGEST)
			continue;
		if (nbest < MAX_SUGGEST)
			nbest++;
		memmove(best + pos + 1, best + pos, sizeof(*best) * (size_t)(nbest - 1 - pos));
		memmove(dist + pos + 1, dist + pos, sizeof(*dist) * (size_t)(nbest - 1 - pos));
		best[pos] = (int)i;
		dist[pos] = d;
	}
	if (nbest) {
		size_t n = (size_t)snprintf(buf, len, "did you mean ");

		for (int k = 0; k < nbest && dist[k] == dist[0] && n < len; k++)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", k ? " or " : "",
					      names[best[k]]);
		if (n < len)
			snprintf(buf + n, len - n, "?");
	}
	qz__tp_names_free(names, nr);
	return nbest ? 0 : -ENOENT;
}
