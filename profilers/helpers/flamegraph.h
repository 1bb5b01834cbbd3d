/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks to an interactive SVG flame graph, written by quazar
 * itself: what --flame-graph FILE and `quazar flamegraph` call.
 */
#ifndef QUAZAR_PROFILERS_FLAMEGRAPH_H
#define QUAZAR_PROFILERS_FLAMEGRAPH_H

#include <stddef.h>

/*
 * Render folded_path ("comm;root;...;leaf COUNT" lines) as svg_path.
 * With before_path, a differential graph: widths are folded_path's, and a
 * frame is red where its self samples grew from before_path (the base) and
 * blue where they shrank. title may be NULL. Returns 0, or -errno with
 * err naming the file and the problem ("cpu.folded:3: no sample count at
 * the end of the line"). svg_path is written whole or not at all.
 */
int qz_flamegraph__svg_from_folded(const char *folded_path,
				   const char *before_path,
				   const char *svg_path, const char *title,
				   char *err, size_t err_len);

struct qz_flamegraph_opts {
	const char *title;	/* NULL: "Flame Graph" or "Differential Flame Graph" */
	const char *count_name;	/* NULL: "samples"; "bytes" for memory */
	int negate;		/* diff: draw the base's widths; colours keep their meaning */
	unsigned width;		/* pixels; 0: 1200 */
};

/* The same with options; svg_path "-" is standard output. */
int qz_flamegraph__render(const char *folded_path, const char *before_path,
			  const char *svg_path,
			  const struct qz_flamegraph_opts *o, char *err,
			  size_t err_len);

#endif
