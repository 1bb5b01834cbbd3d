// SPDX-License-Identifier: MIT
/* Folded files to an SVG: read, merge, sort, draw, then rename into place. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "flame_svg.h"
#include "flamegraph.h"

static int write_svg(const struct qz_flame_tree *t, const struct qz_flame_svg_opts *so,
		     const char *svg_path, char *err, size_t err_len)
{
	size_t len = strlen(svg_path) + 32;
	char *tmp;
	FILE *out;
	int ret;

	if (!strcmp(svg_path, "-")) {
		ret = qz_flame_svg__write(t, so, stdout);
		if (ret)
			snprintf(err, err_len, "standard output: %s", strerror(-ret));
		return ret;
	}
	tmp = malloc(len);
	if (!tmp)
		return -ENOMEM;
	/* A reader never sees half a file: write beside it, then rename. */
	snprintf(tmp, len, "%s.tmp.%d", svg_path, (int)getpid());
	out = fopen(tmp, "w");
	if (!out) {
		ret = -errno;
		snprintf(err, err_len, "%s: %s", tmp, strerror(errno));
		free(tmp);
		return ret;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	ret = qz_flame_svg__write(t, so, out);
	if (fclose(out) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, svg_path))
		ret = -errno;
	if (ret) {
		snprintf(err, err_len, "%s: %s", svg_path, strerror(-ret));
		unlink(tmp);
	}
	free(tmp);
	return ret;
}

int qz_flamegraph__render(const char *folded_path, const char *before_path,
			  const char *svg_path,
			  const struct qz_flamegraph_opts *o, char *err,
			  size_t err_len)
{
	struct qz_flame_tree *t = qz_flame_tree__new();
	struct qz_flame_svg_opts so = {
		.title = o->title,
		.count_name = o->count_name,
		.negate = o->negate,
		.width = o->width,
	};
	char subtitle[512];
	int ret;

	if (!t) {
		snprintf(err, err_len, "%s: out of memory", folded_path);
		return -ENOMEM;
	}
	ret = qz_flame_tree__read(t, folded_path, QZ_FLAME_NEW, err, err_len);
	if (!ret && before_path)
		ret = qz_flame_tree__read(t, before_path, QZ_FLAME_BASE, err, err_len);
	if (ret)
		goto out;
	so.diff = before_path || qz_flame_tree__has_base(t);
	if (so.diff && !so.title)
		so.title = "Differential Flame Graph";
	if (before_path) {
		snprintf(subtitle, sizeof(subtitle), "base %s, new %s", before_path,
			 folded_path);
		so.subtitle = subtitle;
	}
	ret = qz_flame_tree__sort(t);
	if (ret) {
		snprintf(err, err_len, "%s: out of memory", folded_path);
		goto out;
	}
	ret = write_svg(t, &so, svg_path, err, err_len);
	if (ret == -ENODATA)
		snprintf(err, err_len, "%s: no stack counts to draw",
			 so.diff && so.negate && before_path ? before_path : folded_path);
out:
	qz_flame_tree__free(t);
	return ret;
}

int qz_flamegraph__svg_from_folded(const char *folded_path,
				   const char *before_path,
				   const char *svg_path, const char *title,
				   char *err, size_t err_len)
{
	struct qz_flamegraph_opts o = { .title = title };

	return qz_flamegraph__render(folded_path, before_path, svg_path, &o, err,
				     err_len);
}
