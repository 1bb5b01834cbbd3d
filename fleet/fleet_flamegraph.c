// SPDX-License-Identifier: MIT
/*
 * `quazar fleet flamegraph --from T --to T [--host GLOB] [--diff T2..T3]
 * -o fleet.svg`: the profile collectors' folded stacks of a window, summed
 * across hosts, written as fleet.folded ("comm;root;...;leaf COUNT", the
 * input of flame graph writers) and drawn by qz_fleet__render_svg(). With
 * --diff, the base window's stacks go to fleet.base.folded and the graph
 * shows the change from it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_internal.h"

/*
 * Each window's stacks: every report's top stacks, summed per stack. A
 * report whose interval overlaps the window counts whole.
 */
static int folded_query(struct qz_buf *q, const struct qz_fleet_flame_opts *f,
			uint64_t from, uint64_t to)
{
	char s[256];

	q->len = 0;
	/* A report counts when its interval overlaps the window. */
	snprintf(s, sizeof(s), "SELECT %s, sum(samples) FROM profile_stacks FINAL "
		 "WHERE time >= toDateTime(%" PRIu64 ") AND interval_start < %" PRIu64
		 "000000000", f->by_host ? "concat(host, ';', stack) AS st" : "stack AS st",
		 from, to);
	qz_buf__put(q, s, strlen(s));
	if (f->host_glob) {
		qz_buf__put(q, " AND host LIKE ", 15);
		qz_fleet__sql_glob(q, f->host_glob);
	}
	snprintf(s, sizeof(s), " GROUP BY st ORDER BY st FORMAT TabSeparated");
	qz_buf__put(q, s, strlen(s) + 1);
	return q->err;
}

/* TabSeparated "stack\tcount" lines to folded "stack count" lines. */
static int write_folded(const char *path, const struct qz_buf *rows,
			uint64_t *stacks, uint64_t *samples, char *err, size_t err_len)
{
	FILE *out = fopen(path, "we");

	*stacks = *samples = 0;
	if (!out) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -errno;
	}
	for (size_t i = 0; i < rows->len;) {
		const char *line = rows->data + i, *nl, *tab;

		nl = memchr(line, '\n', rows->len - i);
		if (!nl)
			break;
		tab = memrchr(line, '\t', (size_t)(nl - line));
		i = (size_t)(nl - rows->data) + 1;
		if (!tab)
			continue;
		/* Frames hold no tab or newline; only a backslash is escaped. */
		for (const char *p = line; p < tab; p++) {
			if (*p == '\\' && p + 1 < tab)
				p++;
			fputc(*p, out);
		}
		fprintf(out, " %.*s\n", (int)(nl - tab - 1), tab + 1);
		*samples += strtoull(tab + 1, NULL, 10);
		(*stacks)++;
	}
	if (fclose(out)) {
		snprintf(err, err_len, "%s: %s", path, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int window(struct qz_ch *ch, const struct qz_fleet_flame_opts *f,
		  uint64_t from, uint64_t to, const char *path, bool json,
		  char *err, size_t err_len)
{
	struct qz_buf q = { 0 }, rows = { 0 };
	uint64_t stacks, samples;
	int ret = folded_query(&q, f, from, to);

	if (!ret)
		ret = qz_fleet__select_tsv(ch, q.data, &rows, err, err_len);
	if (!ret)
		ret = write_folded(path, &rows, &stacks, &samples, err, err_len);
	if (!ret && json)
		printf("{\"folded\":\"%s\",\"from\":%" PRIu64 ",\"to\":%" PRIu64
		       ",\"stacks\":%" PRIu64 ",\"samples\":%" PRIu64 "}\n", path, from, to,
		       stacks, samples);
	else if (!ret)
		printf("%s: %" PRIu64 " stacks, %" PRIu64 " samples from %" PRIu64
		       " to %" PRIu64 "\n", path, stacks, samples, from, to);
	if (!ret && !stacks) {
		snprintf(err, err_len, "no profile stacks between %" PRIu64 " and %" PRIu64
			 "%s%s (profile collectors need -g)", from, to,
			 f->host_glob ? " on hosts " : "", f->host_glob ? f->host_glob : "");
		ret = -ENOENT;
	}
	free(q.data);
	free(rows.data);
	return ret;
}

int qz_fleet__flamegraph(const struct qz_fleet_opts *o,
			 const struct qz_fleet_flame_opts *f, char *err,
			 size_t err_len)
{
	const char *svg = f->svg_path ? f->svg_path : "fleet.svg";
	size_t n = strlen(svg);
	char *folded = malloc(n + 16), *base = malloc(n + 16);
	struct qz_ch *ch = qz_fleet__connect(o);
	int ret = 0;

	if (!folded || !base || !ch) {
		ret = -ENOMEM;
		goto out;
	}
	if (n > 4 && !strcmp(svg + n - 4, ".svg"))
		n -= 4;
	snprintf(folded, n + 16, "%.*s.folded", (int)n, svg);
	snprintf(base, n + 16, "%.*s.base.folded", (int)n, svg);
	if (f->base_to_s)
		ret = window(ch, f, f->base_from_s, f->base_to_s, base, o->json, err,
			     err_len);
	if (!ret)
		ret = window(ch, f, f->from_s, f->to_s, folded, o->json, err, err_len);
	if (!ret)
		ret = qz_fleet__render_svg(folded, f->base_to_s ? base : NULL, svg,
					   f->title ? f->title : "quazar fleet",
					   err, err_len);
	if (!ret && !o->json)
		printf("%s: flame graph written\n", svg);
out:
	qz_ch__free(ch);
	free(folded);
	free(base);
	return ret;
}
