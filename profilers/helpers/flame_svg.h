/* SPDX-License-Identifier: MIT */
/* An interactive SVG flame graph of a qz_flame_tree. */
#ifndef QUAZAR_PROFILERS_FLAME_SVG_H
#define QUAZAR_PROFILERS_FLAME_SVG_H

#include <stdio.h>
#include "flame_tree.h"

struct qz_flame_svg_opts {
	const char *title;	/* NULL: "Flame Graph" */
	const char *subtitle;	/* a line under the title, or NULL */
	const char *count_name;	/* NULL: "samples" */
	int diff;		/* colour each frame by its self NEW - BASE */
	int negate;		/* diff: draw the base's widths, not NEW's */
	unsigned width;		/* pixels; 0: 1200 */
};

/*
 * Write the graph to out. Frames too narrow to see, or past the size
 * budget, are merged into one grey box per parent. 0, -ENODATA when the
 * drawn side has no samples, -ENOMEM, or -EIO when out failed.
 */
int qz_flame_svg__write(const struct qz_flame_tree *t,
			const struct qz_flame_svg_opts *o, FILE *out);

#endif
