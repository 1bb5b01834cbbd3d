/* SPDX-License-Identifier: MIT */
/* The filter's syntax tree, shared by its parser and its evaluator. */
#ifndef QUAZAR_FILTER_INTERNAL_H
#define QUAZAR_FILTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/filter.h>
#include <quazar/tp.h>

enum qz_fop {
	/* leaves */
	FOP_INT, FOP_STR, FOP_IDENT, FOP_FIELD,
	/* unary */
	FOP_NOT, FOP_NEG, FOP_BNOT,
	/* cond ? l : r, with cond in `cond` */
	FOP_COND,
	/* binary, lowest precedence first */
	FOP_OR, FOP_AND, FOP_BOR, FOP_BXOR, FOP_BAND,
	FOP_EQ, FOP_NE, FOP_GLOB,
	FOP_LT, FOP_LE, FOP_GT, FOP_GE,
	FOP_SHL, FOP_SHR, FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_MOD,
};

struct qz_fnode {
	enum qz_fop op;
	int col;			/* into the filter text */
	struct qz_fnode *l, *r;
	struct qz_fnode *cond;		/* FOP_COND */
	int64_t ival;			/* FOP_INT */
	bool uns;			/* compares as unsigned 64-bit */
	bool is_str;			/* evaluates to a string */
	char *str;			/* FOP_STR text, FOP_IDENT name */
	size_t slen;
	long index;			/* ident[index], -1 when none */
	const struct qz_tp_field *field; /* FOP_FIELD */
};

struct qz_filter {
	char *text;
	struct qz_fnode *root;		/* NULL: matches everything */
	const struct qz_tp_event *ev;
};

/* Parse text into a tree of FOP_IDENT leaves; NULL root for empty text. */
int qz__filter_parse(const char *text, struct qz_fnode **root,
		     struct qz_parse_error *err);
void qz__fnode_free(struct qz_fnode *n);
bool qz__fnode_kernel_ok(const struct qz_fnode *n);

static inline bool qz__fop_is_compare(enum qz_fop op)
{
	return op >= FOP_EQ && op <= FOP_GE;
}

#endif
