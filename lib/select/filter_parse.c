// SPDX-License-Identifier: MIT
/*
 * Filter text to a syntax tree: a hand-written lexer and a precedence
 * climbing parser with C's operator levels, casts, calls and the comma.
 * Field, variable and function names stay names here; filter_eval.c
 * resolves them against an event's format and the built-ins.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "filter_internal.h"
#include "select_internal.h"

#define MAX_DEPTH 128
/*
 * Binary operators and commas chain without nesting (a+a+...+a), yet the
 * tree they build is as deep as the chain, and eval, resolve and free walk
 * it recursively: bound them, so a huge filter is an error, not a crash.
 */
#define MAX_CHAIN 4096

enum tok {
	T_END, T_INT, T_STR, T_IDENT, T_LPAREN, T_RPAREN, T_LBRACK, T_RBRACK,
	T_QUESTION, T_COLON, T_COMMA, T_OP,
};

struct lexer {
	const char *s;
	int pos;		/* next char */
	struct qz_parse_error *err;
	int depth;
	int chain;		/* binary operators and commas so far */
	/* the current token */
	enum tok tok;
	int col;
	enum qz_fop op;		/* T_OP; FOP_NOT/FOP_BNOT/FOP_SUB also unary */
	uint64_t num;
	char *str;
	size_t slen;
};

static const struct {
	const char *text;
	enum qz_fop op;
} ops[] = {
	/* two-char operators before their one-char prefixes */
	{ "||", FOP_OR }, { "&&", FOP_AND }, { "==", FOP_EQ }, { "!=", FOP_NE },
	{ "<=", FOP_LE }, { ">=", FOP_GE }, { "<<", FOP_SHL }, { ">>", FOP_SHR },
	{ "|", FOP_BOR }, { "^", FOP_BXOR }, { "&", FOP_BAND }, { "~", FOP_GLOB },
	{ "<", FOP_LT }, { ">", FOP_GT }, { "+", FOP_ADD }, { "-", FOP_SUB },
	{ "*", FOP_MUL }, { "/", FOP_DIV }, { "%", FOP_MOD }, { "!", FOP_NOT },
};

static int fail(struct lexer *lx, int col, const char *msg, const char *what)
{
	if (what)
		qz__parse_error(lx->err, col, "%s '%s'", msg, what);
	else
		qz__parse_error(lx->err, col, "%s", msg);
	return -QZ_ERR_FILTER;
}

static int lex_string(struct lexer *lx)
{
	const char *s = lx->s;
	char quote = s[lx->pos], *out;
	int i = lx->pos + 1;
	size_t n = 0;

	out = malloc(strlen(s + i) + 1);
	if (!out)
		return -ENOMEM;
	for (; s[i] && s[i] != quote; i++) {
		if (s[i] == '\\' && s[i + 1])
			i++;
		out[n++] = s[i];
	}
	if (!s[i]) {
		free(out);
		return fail(lx, lx->pos, "unterminated string", NULL);
	}
	out[n] = '\0';
	lx->tok = T_STR;
	lx->str = out;
	lx->slen = n;
	lx->pos = i + 1;
	return 0;
}

/* Advance to the next token. */
static int next(struct lexer *lx)
{
	const char *s = lx->s;
	char c;

	free(lx->str);
	lx->str = NULL;
	while (isspace((unsigned char)s[lx->pos]))
		lx->pos++;
	lx->col = lx->pos;
	c = s[lx->pos];
	if (!c) {
		lx->tok = T_END;
		return 0;
	}
	if (isdigit((unsigned char)c)) {
		char *stop;

		errno = 0;
		lx->num = strtoull(s + lx->pos, &stop, 0);
		if (errno)
			return fail(lx, lx->col, "number too large", NULL);
		if (isalnum((unsigned char)*stop) || *stop == '_')
			return fail(lx, (int)(stop - s), "bad character in number", NULL);
		lx->pos = (int)(stop - s);
		lx->tok = T_INT;
		return 0;
	}
	if (isalpha((unsigned char)c) || c == '_') {
		int start = lx->pos;

		while (isalnum((unsigned char)s[lx->pos]) || s[lx->pos] == '_' ||
		       s[lx->pos] == '.')
			lx->pos++;
		lx->str = strndup(s + start, (size_t)(lx->pos - start));
		if (!lx->str)
			return -ENOMEM;
		lx->slen = (size_t)(lx->pos - start);
		lx->tok = T_IDENT;
		return 0;
	}
	if (c == '"' || c == '\'')
		return lex_string(lx);
	lx->pos++;
	switch (c) {
	case '(': lx->tok = T_LPAREN; return 0;
	case ')': lx->tok = T_RPAREN; return 0;
	case '[': lx->tok = T_LBRACK; return 0;
	case ']': lx->tok = T_RBRACK; return 0;
	case '?': lx->tok = T_QUESTION; return 0;
	case ':': lx->tok = T_COLON; return 0;
	case ',': lx->tok = T_COMMA; return 0;
	}
	lx->pos--;
	if ((c == '+' || c == '-') && s[lx->pos + 1] == c)
		return fail(lx, lx->col, c == '+' ?
			    "'++' would change a value; expressions here only read the event" :
			    "'--' would change a value; expressions here only read the event (for a minus sign on a negative, write '- -x')",
			    NULL);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].text);

		if (!strncmp(s + lx->pos, ops[i].text, n)) {
			lx->pos += (int)n;
			lx->tok = T_OP;
			lx->op = ops[i].op;
			return 0;
		}
	}
	if (c == '=')
		return fail(lx, lx->col, "'=' is not a comparison; use '==' (fields are read-only)",
			    NULL);
	if (isprint((unsigned char)c)) {
		char what[2] = { c, 0 };

		return fail(lx, lx->col, "unexpected character", what);
	}
	return fail(lx, lx->col, "unexpected non-printable character", NULL);
}

static int precedence(enum qz_fop op)
{
	switch (op) {
	case FOP_OR: return 1;
	case FOP_AND: return 2;
	case FOP_BOR: return 3;
	case FOP_BXOR: return 4;
	case FOP_BAND: return 5;
	case FOP_EQ: case FOP_NE: return 6;
	/* perf-prof's '~' binds as the relational operators do. */
	case FOP_GLOB: case FOP_LT: case FOP_LE: case FOP_GT: case FOP_GE: return 7;
	case FOP_SHL: case FOP_SHR: return 8;
	case FOP_ADD: case FOP_SUB: return 9;
	case FOP_MUL: case FOP_DIV: case FOP_MOD: return 10;
	default: return 0;	/* not binary */
	}
}

static struct qz_fnode *node(enum qz_fop op, int col)
{
	struct qz_fnode *n = calloc(1, sizeof(*n));

	if (n) {
		n->op = op;
		n->col = col;
		n->index = -1;
	}
	return n;
}

void qz__fnode_free(struct qz_fnode *n)
{
	if (!n)
		return;
	qz__fnode_free(n->cond);
	qz__fnode_free(n->l);
	qz__fnode_free(n->r);
	for (int i = 0; i < n->nargs; i++)
		qz__fnode_free(n->args[i]);
	free(n->str);
	free(n);
}

static int parse_binary(struct lexer *lx, int min_prec, struct qz_fnode **out);
static int parse_expr(struct lexer *lx, struct qz_fnode **out);
static int parse_cond(struct lexer *lx, struct qz_fnode **out);
static int parse_unary(struct lexer *lx, struct qz_fnode **out);

/* The words of a C type in a cast: (unsigned long), (u32), (char *). */
static const struct {
	const char *name;
	int width;		/* 0: a qualifier or a modifier */
	int uns;		/* 1 unsigned, 0 signed, -1 as the others say */
} type_words[] = {
	{ "char", 1, -1 }, { "short", 2, -1 }, { "int", 4, -1 }, { "long", 8, -1 },
	{ "unsigned", 0, 1 }, { "signed", 0, 0 }, { "const", 0, -1 }, { "volatile", 0, -1 },
	{ "bool", 1, 1 }, { "_Bool", 1, 1 },
	{ "u8", 1, 1 }, { "u16", 2, 1 }, { "u32", 4, 1 }, { "u64", 8, 1 },
	{ "s8", 1, 0 }, { "s16", 2, 0 }, { "s32", 4, 0 }, { "s64", 8, 0 },
	{ "__u8", 1, 1 }, { "__u16", 2, 1 }, { "__u32", 4, 1 }, { "__u64", 8, 1 },
	{ "__s8", 1, 0 }, { "__s16", 2, 0 }, { "__s32", 4, 0 }, { "__s64", 8, 0 },
	{ "uint8_t", 1, 1 }, { "uint16_t", 2, 1 }, { "uint32_t", 4, 1 }, { "uint64_t", 8, 1 },
	{ "int8_t", 1, 0 }, { "int16_t", 2, 0 }, { "int32_t", 4, 0 }, { "int64_t", 8, 0 },
	{ "size_t", 8, 1 }, { "pid_t", 4, 0 },
};

static int type_word(const char *name)
{
	for (size_t i = 0; i < sizeof(type_words) / sizeof(type_words[0]); i++)
		if (!strcmp(type_words[i].name, name))
			return (int)i;
	return -1;
}

/*
 * The rest of a cast after '(' with its first type word current: the
 * words, any '*' (a pointer is a 64-bit number here) and ')'. Sets width
 * and signedness on n.
 */
static int parse_type(struct lexer *lx, struct qz_fnode *n)
{
	int base = 0, longs = 0, uns = -1, ret;

	while (lx->tok == T_IDENT) {
		int w = type_word(lx->str);

		if (w < 0)
			return fail(lx, lx->col, "unknown type word", lx->str);
		if (type_words[w].uns >= 0)
			uns = type_words[w].uns;
		if (!strcmp(type_words[w].name, "long"))
			longs++;
		else if (type_words[w].width && strcmp(type_words[w].name, "int"))
			base = type_words[w].width;	/* int only fills in */
		if ((ret = next(lx)))
			return ret;
	}
	n->ival = base ? base : longs ? 8 : 4;
	n->uns = uns == 1;
	if (lx->tok == T_OP && lx->op == FOP_MUL) {
		/* A pointer is a 64-bit number here. */
		while (lx->tok == T_OP && lx->op == FOP_MUL)
			if ((ret = next(lx)))
				return ret;
		n->ival = 8;
		n->uns = true;
	}
	if (lx->tok != T_RPAREN)
		return fail(lx, lx->col, "expected ')' to close the cast", NULL);
	return next(lx);
}

/* name(arg, ...) with name current and '(' next; args are not commas. */
static int parse_call(struct lexer *lx, struct qz_fnode *n)
{
	int ret;

	n->op = FOP_CALL;
	if ((ret = next(lx)) || (ret = next(lx)))	/* the name, '(' */
		return ret;
	if (lx->tok == T_RPAREN)
		return next(lx);
	for (;;) {
		struct qz_fnode *arg = NULL;

		if (n->nargs == QZ_FCALL_MAX_ARGS)
			return fail(lx, lx->col, "too many arguments", NULL);
		if ((ret = parse_cond(lx, &arg))) {
			qz__fnode_free(arg);
			return ret;
		}
		n->args[n->nargs++] = arg;
		if (lx->tok == T_RPAREN)
			return next(lx);
		if (lx->tok != T_COMMA) {
			if (lx->tok == T_END)
				return fail(lx, n->col, "unbalanced '(' of this call: missing ')'",
					    NULL);
			return fail(lx, lx->col, "expected ',' or ')' in the arguments", NULL);
		}
		if ((ret = next(lx)))
			return ret;
	}
}

static int expect_operand(struct lexer *lx)
{
	if (lx->tok == T_END)
		return fail(lx, lx->col, "expected a field, number or string at the end", NULL);
	return fail(lx, lx->col, "expected a field, number or string", NULL);
}

/* The next character past the current token, spaces skipped. */
static char peek(const struct lexer *lx)
{
	int i = lx->pos;

	while (isspace((unsigned char)lx->s[i]))
		i++;
	return lx->s[i];
}

static int parse_unary(struct lexer *lx, struct qz_fnode **out)
{
	struct qz_fnode *n = NULL;
	int col = lx->col, ret;

	if (++lx->depth > MAX_DEPTH)
		return fail(lx, col, "filter nests too deeply", NULL);
	switch (lx->tok) {
	case T_OP: {
		enum qz_fop op;

		if (lx->op == FOP_NOT)
			op = FOP_NOT;
		else if (lx->op == FOP_SUB)
			op = FOP_NEG;
		else if (lx->op == FOP_GLOB)
			op = FOP_BNOT;
		else if (lx->op == FOP_ADD)
			op = FOP_ADD;	/* unary plus: the operand itself */
		else if (lx->op == FOP_MUL || lx->op == FOP_BAND)
			return fail(lx, col, lx->op == FOP_MUL ?
				    "'*' would read memory through a pointer; expressions read the event's own fields" :
				    "'&' would take an address; expressions read the event's own fields",
				    NULL);
		else
			return expect_operand(lx);
		if ((ret = next(lx)) || (ret = parse_unary(lx, &n))) {
			qz__fnode_free(n);
			return ret;
		}
		if (op == FOP_ADD) {
			*out = n;
			break;
		}
		/* Fold -5 so a negative literal stays a literal. */
		if (op == FOP_NEG && n->op == FOP_INT) {
			n->ival = (int64_t)(0 - (uint64_t)n->ival);
			n->col = col;
			*out = n;
			break;
		}
		*out = node(op, col);
		if (!*out) {
			qz__fnode_free(n);
			return -ENOMEM;
		}
		(*out)->l = n;
		break;
	}
	case T_LPAREN:
		if ((ret = next(lx)))
			return ret;
		if (lx->tok == T_IDENT && type_word(lx->str) >= 0) {
			/* (type)operand */
			if (!(n = node(FOP_CAST, col)))
				return -ENOMEM;
			if ((ret = parse_type(lx, n)) || (ret = parse_unary(lx, &n->l))) {
				qz__fnode_free(n);
				return ret;
			}
			*out = n;
			break;
		}
		if ((ret = parse_expr(lx, &n)))
			return ret;
		if (lx->tok != T_RPAREN) {
			qz__fnode_free(n);
			if (lx->tok == T_END)
				return fail(lx, col, "unbalanced '(': missing ')'", NULL);
			return fail(lx, lx->col, "expected ')'", NULL);
		}
		if ((ret = next(lx))) {
			qz__fnode_free(n);
			return ret;
		}
		*out = n;
		break;
	case T_INT:
		if (!(n = node(FOP_INT, col)))
			return -ENOMEM;
		n->ival = (int64_t)lx->num;
		n->uns = lx->num > INT64_MAX;
		*out = n;
		if ((ret = next(lx)))
			return ret;
		break;
	case T_STR:
	case T_IDENT:
		if (!(n = node(lx->tok == T_STR ? FOP_STR : FOP_IDENT, col)))
			return -ENOMEM;
		n->str = lx->str;
		n->slen = lx->slen;
		n->is_str = lx->tok == T_STR;
		lx->str = NULL;
		*out = n;
		if (n->op == FOP_IDENT && peek(lx) == '(') {
			if (!strcmp(n->str, "sizeof")) {
				/* sizeof(field) or sizeof(type): a constant */
				n->op = FOP_SIZEOF;
				free(n->str);
				n->str = NULL;
				if ((ret = next(lx)) || (ret = next(lx)))
					return ret;
				if (lx->tok != T_IDENT)
					return fail(lx, lx->col, "sizeof takes a field or a type", NULL);
				if (type_word(lx->str) >= 0) {
					struct qz_fnode t = { .op = FOP_CAST };

					if ((ret = parse_type(lx, &t)))
						return ret;
					n->op = FOP_INT;
					n->ival = t.ival;
					break;
				}
				n->str = lx->str;
				n->slen = lx->slen;
				n->col = lx->col;
				lx->str = NULL;
				if ((ret = next(lx)))
					return ret;
				if (lx->tok != T_RPAREN)
					return fail(lx, lx->col, "expected ')' after the sizeof operand",
						    NULL);
				if ((ret = next(lx)))
					return ret;
				break;
			}
			if ((ret = parse_call(lx, n)))
				return ret;
			break;
		}
		if ((ret = next(lx)))
			return ret;
		if (n->op == FOP_IDENT && lx->tok == T_LBRACK) {
			int icol;

			if ((ret = next(lx)))
				return ret;
			icol = lx->col;
			if (lx->tok != T_INT || lx->num > 1u << 20)
				return fail(lx, icol, "an array index must be a number", NULL);
			n->index = (long)lx->num;
			if ((ret = next(lx)))
				return ret;
			if (lx->tok != T_RBRACK)
				return fail(lx, lx->col, "expected ']'", NULL);
			if ((ret = next(lx)))
				return ret;
		}
		break;
	case T_RPAREN:
		return fail(lx, col, "unbalanced ')'", NULL);
	default:
		return expect_operand(lx);
	}
	lx->depth--;
	return 0;
}

static int parse_binary(struct lexer *lx, int min_prec, struct qz_fnode **out)
{
	struct qz_fnode *lhs = NULL, *rhs, *n;
	int ret;

	ret = parse_unary(lx, &lhs);
	if (ret) {
		qz__fnode_free(lhs);
		return ret;
	}
	while (lx->tok == T_OP &&
	       (precedence(lx->op) >= min_prec || lx->op == FOP_NOT)) {
		enum qz_fop op = lx->op;
		int col = lx->col;

		if (op == FOP_NOT) {
			ret = fail(lx, col, "'!' goes before an operand; did you mean '!='?", NULL);
			break;
		}
		if (++lx->chain > MAX_CHAIN) {
			ret = fail(lx, col, "filter has too many operators (at most 4096)", NULL);
			break;
		}
		rhs = NULL;
		if ((ret = next(lx)) || (ret = parse_binary(lx, precedence(op) + 1, &rhs))) {
			qz__fnode_free(rhs);
			break;
		}
		if (!(n = node(op, col))) {
			qz__fnode_free(rhs);
			ret = -ENOMEM;
			break;
		}
		n->l = lhs;
		n->r = rhs;
		lhs = n;
	}
	if (ret) {
		qz__fnode_free(lhs);
		return ret;
	}
	*out = lhs;
	return 0;
}

/* A binary expression, or C's `cond ? a : b` (right to left). */
static int parse_cond(struct lexer *lx, struct qz_fnode **out)
{
	struct qz_fnode *cond = NULL, *n;
	int col, ret;

	if ((ret = parse_binary(lx, 1, &cond)))
		return ret;
	if (lx->tok != T_QUESTION) {
		*out = cond;
		return 0;
	}
	col = lx->col;
	if (!(n = node(FOP_COND, col))) {
		qz__fnode_free(cond);
		return -ENOMEM;
	}
	n->cond = cond;
	/* a ? b : c ? d : ... nests too: bound it like parentheses. */
	if (++lx->depth > MAX_DEPTH) {
		ret = fail(lx, col, "filter nests too deeply", NULL);
		goto fail;
	}
	if ((ret = next(lx)) || (ret = parse_expr(lx, &n->l)))
		goto fail;
	if (lx->tok != T_COLON) {
		ret = fail(lx, lx->col, "expected ':' of the '?' here", NULL);
		goto fail;
	}
	if ((ret = next(lx)) || (ret = parse_cond(lx, &n->r)))
		goto fail;
	lx->depth--;
	*out = n;
	return 0;
fail:
	qz__fnode_free(n);
	return ret;
}

/* C's comma, the lowest: `a, b` evaluates a, then gives b. */
static int parse_expr(struct lexer *lx, struct qz_fnode **out)
{
	struct qz_fnode *lhs = NULL, *n;
	int ret;

	if ((ret = parse_cond(lx, &lhs)))
		return ret;
	while (lx->tok == T_COMMA) {
		if (++lx->chain > MAX_CHAIN) {
			qz__fnode_free(lhs);
			return fail(lx, lx->col, "filter has too many operators (at most 4096)", NULL);
		}
		if (!(n = node(FOP_COMMA, lx->col))) {
			qz__fnode_free(lhs);
			return -ENOMEM;
		}
		n->l = lhs;
		lhs = n;
		if ((ret = next(lx)) || (ret = parse_cond(lx, &n->r))) {
			qz__fnode_free(lhs);
			return ret;
		}
	}
	*out = lhs;
	return 0;
}

int qz__filter_parse(const char *text, struct qz_fnode **root,
		     struct qz_parse_error *err)
{
	struct lexer lx = { .s = text, .err = err };
	struct qz_fnode *n = NULL;
	int ret;

	*root = NULL;
	if ((ret = next(&lx)))
		goto out;
	if (lx.tok == T_END)
		goto out;	/* empty: matches everything */
	if ((ret = parse_expr(&lx, &n)))
		goto out;
	if (lx.tok != T_END) {
		qz__fnode_free(n);
		n = NULL;
		if (lx.tok == T_RPAREN)
			ret = fail(&lx, lx.col, "unbalanced ')'", NULL);
		else if (lx.tok == T_COLON)
			ret = fail(&lx, lx.col, "':' without a '?' before it", NULL);
		else
			ret = fail(&lx, lx.col, "expected an operator such as && or == here", NULL);
		goto out;
	}
	*root = n;
out:
	free(lx.str);
	if (ret == -ENOMEM)
		qz__parse_error(err, lx.col, "out of memory");
	return ret;
}
