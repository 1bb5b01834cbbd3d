/* SPDX-License-Identifier: MIT */
/* The filter's syntax tree, shared by its parser and its evaluator. */
#ifndef QUAZAR_FILTER_INTERNAL_H
#define QUAZAR_FILTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/event.h>
#include <quazar/filter.h>
#include <quazar/tp.h>

enum qz_fop {
	/* leaves */
	FOP_INT, FOP_STR, FOP_IDENT, FOP_FIELD, FOP_VAR,
	/* unary */
	FOP_NOT, FOP_NEG, FOP_BNOT,
	FOP_CAST,			/* (type)l: ival bytes wide, uns */
	FOP_CALL,			/* str(args...): fn once resolved */
	FOP_SIZEOF,			/* sizeof(str): a field or a type */
	/* cond ? l : r, with cond in `cond` */
	FOP_COND,
	FOP_COMMA,			/* l, r: r's value */
	/* binary, lowest precedence first */
	FOP_OR, FOP_AND, FOP_BOR, FOP_BXOR, FOP_BAND,
	FOP_EQ, FOP_NE, FOP_GLOB,
	FOP_LT, FOP_LE, FOP_GT, FOP_GE,
	FOP_SHL, FOP_SHR, FOP_ADD, FOP_SUB, FOP_MUL, FOP_DIV, FOP_MOD,
};

/* The built-in variables (FOP_VAR). */
enum qz_fvar { FVAR_CPU, FVAR_PID, FVAR_TID, FVAR_TIME, FVAR_PERIOD, FVAR_KEY };

/* The built-in functions (FOP_CALL). */
enum qz_ffn {
	FFN_KSYMBOL, FFN_COMM_GET, FFN_SYSCALL_NAME, FFN_EXIT_REASON_STR,
	FFN_NTOHL, FFN_NTOHS, FFN_STRNCMP, FFN_PRINTF,
};

#define QZ_FCALL_MAX_ARGS 8		/* printf: a format and 6 values, with room */

struct qz_fnode {
	enum qz_fop op;
	int col;			/* into the filter text */
	struct qz_fnode *l, *r;
	struct qz_fnode *cond;		/* FOP_COND */
	int64_t ival;			/* FOP_INT; FOP_CAST: width in bytes */
	bool uns;			/* compares as unsigned 64-bit */
	bool is_str;			/* evaluates to a string */
	char *str;			/* FOP_STR text, FOP_IDENT/FOP_CALL name */
	size_t slen;
	long index;			/* ident[index], -1 when none */
	const struct qz_tp_field *field; /* FOP_FIELD */
	int var;			/* FOP_VAR: enum qz_fvar */
	int fn;				/* FOP_CALL: enum qz_ffn */
	struct qz_fnode *args[QZ_FCALL_MAX_ARGS]; /* FOP_CALL */
	int nargs;
};

struct qz_filter {
	char *text;
	struct qz_fnode *root;		/* NULL: matches everything */
	const struct qz_tp_event *ev;	/* NULL: no fields, variables only */
	struct qz_filter_opts opts;	/* helpers and flags, as given */
};

/* What one evaluation reads besides the tree. */
struct qz__ectx {
	const struct qz_filter *f;
	const void *raw;
	size_t size;
	const struct qz_sample *smp;	/* NULL: variables read 0 */
	uint64_t key;			/* FVAR_KEY */
	char *out;			/* printf()'s output, or NULL */
	size_t out_len, out_pos;
};

/* Parse text into a tree of FOP_IDENT leaves; NULL root for empty text. */
int qz__filter_parse(const char *text, struct qz_fnode **root,
		     struct qz_parse_error *err);
void qz__fnode_free(struct qz_fnode *n);
bool qz__fnode_kernel_ok(const struct qz_fnode *n);

/* filter_funcs.c: the built-in functions, by name and signature. */
struct qz__ffn_def {
	const char *name;
	int fn;				/* enum qz_ffn */
	int min_args, max_args;
	const char *args;		/* per argument: 's' string, 'n' number */
	bool str_result;
	const char *usage;		/* for messages */
};
const struct qz__ffn_def *qz__ffn_find(const char *name);
/* The closest known name to name, or NULL. */
const char *qz__ffn_closest(const char *name, size_t len);
/* "ksymbol(ADDR), comm_get(PID), ...", for messages. */
const char *qz__ffn_list(void);
/* Check printf's literal format against its arguments: 0, or an error. */
int qz__printf_check(const struct qz_fnode *call, struct qz_parse_error *err);
/* Run printf into ctx->out; returns the characters it printed. */
int64_t qz__printf_run(const struct qz_fnode *call, struct qz__ectx *ctx);

/* filter_eval.c, for filter_funcs.c */
int64_t qz__feval(const struct qz_fnode *n, struct qz__ectx *ctx);
const char *qz__feval_str(const struct qz_fnode *n, struct qz__ectx *ctx, size_t *len);

static inline bool qz__fop_is_compare(enum qz_fop op)
{
	return op >= FOP_EQ && op <= FOP_GE;
}

#endif
