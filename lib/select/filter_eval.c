// SPDX-License-Identifier: MIT
/*
 * Filters against a tracepoint format: names resolve to field handles
 * once, at compile time, so matching a record is a walk over the tree
 * reading fields at fixed offsets. Arithmetic wraps like unsigned C and
 * division by zero gives 0: a filter never traps on strange data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_internal.h"
#include "select_internal.h"

static const struct qz_tp_field *lookup(const struct qz_tp_event *ev,
					const struct qz_fnode *n)
{
	return n->op == FOP_IDENT ? qz_tp_event__field(ev, n->str) : NULL;
}

static int unknown_field(const struct qz_tp_event *ev, const struct qz_fnode *n,
			 struct qz_parse_error *err)
{
	char near[160] = "", all[160] = "";
	size_t nn = 0, na = 0;
	int limit = qz__suggest_limit(n->slen), nr = qz_tp_event__nr_fields(ev);

	for (int d = 0; d <= limit; d++) {
		for (int i = 0; i < nr; i++) {
			const char *name = qz_tp_field__name(qz_tp_event__field_at(ev, i));

			if (qz__edit_distance(n->str, n->slen, name, strlen(name), d) == d &&
			    nn + strlen(name) + 3 < sizeof(near))
				nn += (size_t)snprintf(near + nn, sizeof(near) - nn, "%s%s",
						       nn ? " or " : "", name);
		}
	}
	for (int i = 0; i < nr; i++) {
		const struct qz_tp_field *f = qz_tp_event__field_at(ev, i);
		const char *name = qz_tp_field__name(f);

		if (qz_tp_field__flags(f) & QZ_TP_FIELD_COMMON)
			continue;
		if (na + strlen(name) + 6 >= sizeof(all)) {
			snprintf(all + na, sizeof(all) - na, ", ...");
			break;
		}
		na += (size_t)snprintf(all + na, sizeof(all) - na, "%s%s", na ? ", " : "", name);
	}
	if (nn)
		qz__parse_error(err, n->col, "unknown field '%.40s' in %s:%s; did you mean %s?",
				n->str, qz_tp_event__sys(ev), qz_tp_event__name(ev), near);
	else
		qz__parse_error(err, n->col, "unknown field '%.40s' in %s:%s (fields: %s)",
				n->str, qz_tp_event__sys(ev), qz_tp_event__name(ev), all);
	return -QZ_ERR_UNKNOWN_FIELD;
}

static int bind_field(const struct qz_tp_event *ev, struct qz_fnode *n,
		      struct qz_parse_error *err)
{
	const struct qz_tp_field *f = lookup(ev, n);
	unsigned flags, elem;

	if (!f)
		return unknown_field(ev, n, err);
	flags = qz_tp_field__flags(f);
	elem = qz_tp_field__elem_size(f);
	if (n->index >= 0) {
		if (!(flags & QZ_TP_FIELD_ARRAY)) {
			qz__parse_error(err, n->col, "field '%s' is not an array", n->str);
			return -QZ_ERR_FILTER;
		}
		if (!(flags & QZ_TP_FIELD_DYNAMIC) && elem &&
		    (unsigned long)n->index >= qz_tp_field__size(f) / elem) {
			qz__parse_error(err, n->col, "index %ld is past the end of '%s' (%u elements)",
					n->index, n->str, qz_tp_field__size(f) / elem);
			return -QZ_ERR_FILTER;
		}
	} else if (flags & QZ_TP_FIELD_STRING) {
		n->is_str = true;
	} else if (flags & QZ_TP_FIELD_ARRAY) {
		qz__parse_error(err, n->col, "field '%s' is an array; compare an element, e.g. %s[0]",
				n->str, n->str);
		return -QZ_ERR_FILTER;
	}
	n->op = FOP_FIELD;
	n->field = f;
	n->uns = !(flags & QZ_TP_FIELD_SIGNED) && elem == 8;
	return 0;
}

static int resolve(const struct qz_tp_event *ev, struct qz_fnode *n,
		   struct qz_parse_error *err)
{
	int ret;

	switch (n->op) {
	case FOP_INT:
	case FOP_STR:
	case FOP_FIELD:
		return 0;
	case FOP_IDENT:
		return bind_field(ev, n, err);
	default:
		break;
	}

	if (n->op == FOP_EQ || n->op == FOP_NE || n->op == FOP_GLOB) {
		/* ftrace's unquoted strings: prev_comm == bash */
		for (int side = 0; side < 2; side++) {
			struct qz_fnode *a = side ? n->r : n->l, *b = side ? n->l : n->r;
			const struct qz_tp_field *fa = lookup(ev, a);

			if (fa && a->index < 0 && (qz_tp_field__flags(fa) & QZ_TP_FIELD_STRING) &&
			    b->op == FOP_IDENT && b->index < 0 && !lookup(ev, b)) {
				b->op = FOP_STR;
				b->is_str = true;
			}
		}
	}
	if ((n->cond && (ret = resolve(ev, n->cond, err))) ||
	    (ret = resolve(ev, n->l, err)) || (n->r && (ret = resolve(ev, n->r, err))))
		return ret;

	switch (n->op) {
	case FOP_EQ:
	case FOP_NE:
	case FOP_GLOB:
		if (n->op == FOP_GLOB && !(n->l->is_str && n->r->is_str)) {
			qz__parse_error(err, n->col,
					"'~' matches a string field against a glob such as \"bash*\"");
			return -QZ_ERR_FILTER;
		}
		if (n->l->is_str != n->r->is_str) {
			qz__parse_error(err, n->col, "cannot compare a string with a number");
			return -QZ_ERR_FILTER;
		}
		if (n->op == FOP_GLOB && n->l->op == FOP_STR && n->r->op == FOP_FIELD) {
			struct qz_fnode *t = n->l;

			n->l = n->r;
			n->r = t;
		}
		break;
	default:
		if (n->op == FOP_COND && n->cond->is_str) {
			qz__parse_error(err, n->cond->col, "a string alone is not a condition");
			return -QZ_ERR_FILTER;
		}
		if (n->l->is_str || (n->r && n->r->is_str)) {
			const struct qz_fnode *s = n->l->is_str ? n->l : n->r;

			if (qz__fop_is_compare(n->op))
				qz__parse_error(err, n->col, "strings compare only with ==, != and ~");
			else
				qz__parse_error(err, s->col, "a string cannot be used in arithmetic");
			return -QZ_ERR_FILTER;
		}
		n->uns = n->l->uns || (n->r && n->r->uns);
		break;
	}
	return 0;
}

static const char *eval_str(const struct qz_fnode *n, const void *raw,
			    size_t size, size_t *len)
{
	const char *s;

	if (n->op == FOP_STR) {
		*len = n->slen;
		return n->str;
	}
	s = qz_tp_field__str(n->field, raw, size, len);
	if (!s) {
		*len = 0;
		return "";
	}
	return s;
}

static bool str_compare(const struct qz_fnode *n, const void *raw, size_t size)
{
	size_t llen, rlen;
	const char *l = eval_str(n->l, raw, size, &llen);
	const char *r = eval_str(n->r, raw, size, &rlen);

	if (n->op == FOP_GLOB)
		return qz__glob_match(r, rlen, l, llen);
	return (llen == rlen && !memcmp(l, r, llen)) == (n->op == FOP_EQ);
}

static int64_t eval(const struct qz_fnode *n, const void *raw, size_t size)
{
	uint64_t a, b;
	bool u;

	switch (n->op) {
	case FOP_INT:
		return n->ival;
	case FOP_FIELD:
		if (n->index < 0)
			return qz_tp_field__s64(n->field, raw, size);
		return qz_tp_field__elem_s64(n->field, raw, size, (size_t)n->index);
	case FOP_NOT:
		return !eval(n->l, raw, size);
	case FOP_NEG:
		return (int64_t)(0 - (uint64_t)eval(n->l, raw, size));
	case FOP_BNOT:
		return ~eval(n->l, raw, size);
	case FOP_COND:
		return eval(n->cond, raw, size) ? eval(n->l, raw, size) : eval(n->r, raw, size);
	case FOP_OR:
		return eval(n->l, raw, size) || eval(n->r, raw, size);
	case FOP_AND:
		return eval(n->l, raw, size) && eval(n->r, raw, size);
	case FOP_EQ:
	case FOP_NE:
	case FOP_GLOB:
		if (n->l->is_str)
			return str_compare(n, raw, size);
		break;
	default:
		break;
	}

	a = (uint64_t)eval(n->l, raw, size);
	b = (uint64_t)eval(n->r, raw, size);
	u = n->l->uns || n->r->uns;
	switch (n->op) {
	case FOP_BOR: return (int64_t)(a | b);
	case FOP_BXOR: return (int64_t)(a ^ b);
	case FOP_BAND: return (int64_t)(a & b);
	case FOP_EQ: return a == b;
	case FOP_NE: return a != b;
	case FOP_LT: return u ? a < b : (int64_t)a < (int64_t)b;
	case FOP_LE: return u ? a <= b : (int64_t)a <= (int64_t)b;
	case FOP_GT: return u ? a > b : (int64_t)a > (int64_t)b;
	case FOP_GE: return u ? a >= b : (int64_t)a >= (int64_t)b;
	case FOP_SHL: return (int64_t)(a << (b & 63));
	case FOP_SHR:
		return u ? (int64_t)(a >> (b & 63)) : (int64_t)a >> (b & 63);
	case FOP_ADD: return (int64_t)(a + b);
	case FOP_SUB: return (int64_t)(a - b);
	case FOP_MUL: return (int64_t)(a * b);
	case FOP_DIV:
		if (!b)
			return 0;
		if (u)
			return (int64_t)(a / b);
		if ((int64_t)b == -1)
			return (int64_t)(0 - a);
		return (int64_t)a / (int64_t)b;
	case FOP_MOD:
		if (!b)
			return 0;
		if (u)
			return (int64_t)(a % b);
		if ((int64_t)b == -1)
			return 0;
		return (int64_t)a % (int64_t)b;
	default:
		return 0;
	}
}

static bool field_leaf(const struct qz_fnode *n)
{
	return (n->op == FOP_IDENT || n->op == FOP_FIELD) && n->index < 0;
}

bool qz__fnode_kernel_ok(const struct qz_fnode *n)
{
	if (!n)
		return true;
	switch (n->op) {
	case FOP_OR:
	case FOP_AND:
		return qz__fnode_kernel_ok(n->l) && qz__fnode_kernel_ok(n->r);
	case FOP_NOT:
		return qz__fnode_kernel_ok(n->l);
	case FOP_EQ: case FOP_NE: case FOP_GLOB:
	case FOP_LT: case FOP_LE: case FOP_GT: case FOP_GE:
	case FOP_BAND:
		/* ftrace predicates are "field op constant", nothing else. */
		return field_leaf(n->l) && (n->r->op == FOP_INT || n->r->op == FOP_STR);
	default:
		return false;
	}
}

QZ_API struct qz_filter *qz_filter__compile(const char *text,
					    const struct qz_tp_event *ev,
					    struct qz_parse_error *err)
{
	struct qz_parse_error scratch;
	struct qz_filter *f;
	int ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (!text || !ev) {
		qz__parse_error(err, 0, "no filter text or event");
		errno = EINVAL;
		return NULL;
	}
	f = calloc(1, sizeof(*f));
	if (!f || !(f->text = strdup(text))) {
		free(f);
		errno = ENOMEM;
		return NULL;
	}
	f->ev = ev;
	ret = qz__filter_parse(text, &f->root, err);
	if (!ret && f->root)
		ret = resolve(ev, f->root, err);
	if (!ret && f->root && f->root->is_str) {
		qz__parse_error(err, f->root->col, "a string alone is not a condition");
		ret = -QZ_ERR_FILTER;
	}
	if (ret) {
		qz_filter__free(f);
		errno = -ret;
		return NULL;
	}
	return f;
}

QZ_API void qz_filter__free(struct qz_filter *f)
{
	if (!f)
		return;
	qz__fnode_free(f->root);
	free(f->text);
	free(f);
}

QZ_API bool qz_filter__match(const struct qz_filter *f, const void *raw,
			     size_t size)
{
	if (!f || !f->root)
		return true;
	return eval(f->root, raw, size) != 0;
}

QZ_API int64_t qz_filter__eval(const struct qz_filter *f, const void *raw,
			       size_t size)
{
	if (!f || !f->root)
		return 0;
	return eval(f->root, raw, size);
}

QZ_API const char *qz_filter__text(const struct qz_filter *f)
{
	return f ? f->text : NULL;
}

QZ_API bool qz_filter__needs_user_space(const struct qz_filter *f)
{
	return f && !qz__fnode_kernel_ok(f->root);
}

QZ_API int qz_filter__text_needs_user_space(const char *text,
					    struct qz_parse_error *err)
{
	struct qz_fnode *root;
	int ret;

	if (!text)
		return -EINVAL;
	if (err)
		memset(err, 0, sizeof(*err));
	ret = qz__filter_parse(text, &root, err);
	if (ret)
		return ret;
	ret = !qz__fnode_kernel_ok(root);
	qz__fnode_free(root);
	return ret;
}
