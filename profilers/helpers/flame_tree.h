/* SPDX-License-Identifier: MIT */
/*
 * Folded stacks merged into a tree of frames: what a flame graph draws.
 * Each node counts two profiles, [QZ_FLAME_NEW] and [QZ_FLAME_BASE], so
 * one tree holds both sides of a differential graph.
 */
#ifndef QUAZAR_PROFILERS_FLAME_TREE_H
#define QUAZAR_PROFILERS_FLAME_TREE_H

#include <stddef.h>
#include <stdint.h>

enum { QZ_FLAME_NEW, QZ_FLAME_BASE };

/* Node 0 is the root ("all"); 0 in child/next means none. */
struct qz_flame_node {
	uint32_t name;		/* offset in the tree's names */
	uint32_t parent, child, next;
	uint64_t total[2];	/* samples through this frame */
	uint64_t self[2];	/* samples whose leaf it is */
};

struct qz_flame_tree;

struct qz_flame_tree *qz_flame_tree__new(void);
void qz_flame_tree__free(struct qz_flame_tree *t);
/*
 * Count n samples of a folded stack "a;b;c" (len bytes, no count) on side
 * which. 0, -ENOMEM or -EOVERFLOW.
 */
int qz_flame_tree__add(struct qz_flame_tree *t, const char *stack, size_t len,
		       uint64_t n, int which);
/*
 * Read a folded file ("stack COUNT" per line; "stack BASE NEW" lines, as
 * difffolded.pl writes, fill both sides) into side which. 0, or -errno
 * with "path:line: what" in err.
 */
int qz_flame_tree__read(struct qz_flame_tree *t, const char *path, int which,
			char *err, size_t err_len);
/* Order every node's children by name, as flamegraph.pl does. 0 or -ENOMEM. */
int qz_flame_tree__sort(struct qz_flame_tree *t);
/* The nodes (borrowed, valid until the next add) and how many. */
const struct qz_flame_node *qz_flame_tree__nodes(const struct qz_flame_tree *t,
						 size_t *nr);
/* A node's frame name (borrowed). */
const char *qz_flame_tree__name(const struct qz_flame_tree *t,
				const struct qz_flame_node *n);
/* Whether any line had two counts (a difffolded.pl file). */
int qz_flame_tree__has_base(const struct qz_flame_tree *t);

#endif
