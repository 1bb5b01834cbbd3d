// SPDX-License-Identifier: MIT
/*
 * Filters against a tracepoint format: names resolve to field handles,
 * variables and functions once, at compile time, so matching a record is
 * a walk over the tree reading fields at fixed offsets. Arithmetic wraps
 * like unsigned C and division by zero gives 0: a filter never traps on
 * strange data.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "filter_internal.h"
#include "select_internal.h"
#include "../internal.h"

static const char *const var_names[] = {
	[FVAR_CPU] = "_cpu", [FVAR_PID] = "_pid", [FVAR_TID] = "_tid",
	[FVAR_TIME] = "_time", [FVAR_PERIOD] = "_period", [FVAR_KEY] = "key",
};

/* A built-in variable of the event's context (not `key`), or -1. */
static int event_var(const char *name)
{
	for (int i = 0; i < FVAR_KEY; i++)
		if (!strcmp(var_names[i], name))
			return i;
	return -1;
}

static const struct qz_tp_field *lookup(const struct qz_filter *f,
					const struct qz_fnode *n)
{
	return n->op == FOP_IDENT && f->ev ? qz_tp_event__field(f->ev, n->str) : NULL;
}

static int unknown_field(const struct qz_filter *f, const struct qz_fnode *n,
			 struct qz_parse_error *err)
{
	const struct qz_tp_event *ev = f->ev;
	char near[160] = "", all[160] = "";
	size_t nn = 0, na = 0;
	int limit = qz__suggest_limit(n->slen), nr = qz_tp_event__nr_fields(ev);

	for (int d = 0; d <= limit; d++) {
		for (int i = 0; i <= nr + FVAR_KEY; i++) {
			const char *name = i < nr ? qz_tp_field__name(qz_tp_event__field_at(ev, i)) :
					   i < nr + FVAR_KEY ? var_names[i - nr] : NULL;

			if (name && qz__edit_distance(n->str, n->slen, name, strlen(name), d) == d &&
			    nn + strlen(name) + 5 < sizeof(near))
				nn += (size_t)snprintf(near + nn, sizeof(near) - nn, "%s%s",
						       nn ? " or " : "", name);
		}
	}
	for (int i = 0; i < nr; i++) {
		const struct qz_tp_field *fl = qz_tp_event__field_at(ev, i);
		const char *name = qz_tp_field__name(fl);

		if (qz_tp_field__flags(fl) & QZ_TP_FIELD_COMMON)
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
		qz__parse_error(err, n->col, "unknown field '%.40s' in %s:%s (fields: %s; and _cpu, _pid, _tid, _time, _period)",
				n->str, qz_tp_event__sys(ev), qz_tp_event__name(ev), all);
	return -QZ_ERR_UNKNOWN_FIELD;
}

static int bind_ident(const struct qz_filter *f, struct qz_fnode *n,
		      struct qz_parse_error *err)
{
	const struct qz_tp_field *fl;
	unsigned flags, elem;
	int var;

	if (f->opts.flags & QZ_FILTER_KEY) {
		if (strcmp(n->str, "key") || n->index >= 0) {
			qz__parse_error(err, n->col, "'%.40s': printkey= reads only the variable key, e.g. printkey=printf(\"%%d\",key)",
					n->str);
			return -QZ_ERR_UNKNOWN_FIELD;
		}
		n->op = FOP_VAR;
		n->var = FVAR_KEY;
		n->uns = true;
		return 0;
	}
	fl = lookup(f, n);
	if (!fl && (var = event_var(n->str)) >= 0 && n->index < 0) {
		n->op = FOP_VAR;
		n->var = var;
		n->uns = var != FVAR_CPU && var != FVAR_PID && var != FVAR_TID;
		return 0;
	}
	if (!fl && f->ev)
		return unknown_field(f, n, err);
	if (!fl) {
		qz__parse_error(err, n->col, "'%.40s': this event has no fields (only tracepoints and probes do); it has _cpu, _pid, _tid, _time and _period",
				n->str);
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	flags = qz_tp_field__flags(fl);
	elem = qz_tp_field__elem_size(fl);
	if (n->index >= 0) {
		if (!(flags & QZ_TP_FIELD_ARRAY)) {
			qz__parse_error(err, n->col, "field '%s' is not an array", n->str);
			return -QZ_ERR_FILTER;
		}
		if (!(flags & QZ_TP_FIELD_DYNAMIC) && elem &&
		    (unsigned long)n->index >= qz_tp_field__size(fl) / elem) {
			qz__parse_error(err, n->col, "index %ld is past the end of '%s' (%u elements)",
					n->index, n->str, qz_tp_field__size(fl) / elem);
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
	n->field = fl;
	n->uns = !(flags & QZ_TP_FIELD_SIGNED) && elem == 8;
	return 0;
}

static int resolve(const struct qz_filter *f, struct qz_fnode *n,
		   struct qz_parse_error *err);

static int resolve_call(const struct qz_filter *f, struct qz_fnode *n,
			struct qz_parse_error *err)
{
	const struct qz__ffn_def *def = qz__ffn_find(n->str);
	int ret;

	if (!def) {
		const char *near = qz__ffn_closest(n->str, n->slen);

		if (!strcmp(n->str, "system"))
			qz__parse_error(err, n->col, "system() would run a command for every event; quazar does not run commands from expressions");
		else if (near)
			qz__parse_error(err, n->col, "unknown function '%.40s'; did you mean %s()?",
					n->str, near);
		else
			qz__parse_error(err, n->col, "unknown function '%.40s' (functions: %s)",
					n->str, qz__ffn_list());
		return -QZ_ERR_FILTER;
	}
	if (n->nargs < def->min_args || n->nargs > def->max_args) {
		qz__parse_error(err, n->col, "%s takes %s arguments: %s", def->name,
				n->nargs < def->min_args ? "more" : "fewer", def->usage);
		return -QZ_ERR_FILTER;
	}
	if ((def->fn == FFN_KSYMBOL && !f->opts.ksymbol) ||
	    (def->fn == FFN_COMM_GET && !f->opts.comm)) {
		qz__parse_error(err, n->col, "%s needs %s, which this expression is not given",
				def->usage, def->fn == FFN_KSYMBOL ? "kernel symbols" : "task names");
		return -QZ_ERR_FILTER;
	}
	if (def->fn == FFN_PRINTF && !(f->opts.flags & QZ_FILTER_PRINTF)) {
		qz__parse_error(err, n->col, "printf() formats printkey=; here it would print once per event");
		return -QZ_ERR_FILTER;
	}
	for (int i = 0; i < n->nargs; i++) {
		char want = def->args[i < (int)strlen(def->args) ? i : 0];

		if ((ret = resolve(f, n->args[i], err)))
			return ret;
		if (def->fn == FFN_PRINTF && i > 0)
			continue;	/* checked against the format below */
		if ((want == 's') != n->args[i]->is_str) {
			qz__parse_error(err, n->args[i]->col, "argument %d of %s is a %s: %s",
					i + 1, def->name, want == 's' ? "string" : "number",
					def->usage);
			return -QZ_ERR_FILTER;
		}
	}
	n->fn = def->fn;
	n->is_str = def->str_result;
	if (def->fn == FFN_PRINTF)
		return qz__printf_check(n, err);
	return 0;
}

static int resolve(const struct qz_filter *f, struct qz_fnode *n,
		   struct qz_parse_error *err)
{
	int ret;

	switch (n->op) {
	case FOP_INT:
	case FOP_STR:
	case FOP_FIELD:
	case FOP_VAR:
		return 0;
	case FOP_IDENT:
		return bind_ident(f, n, err);
	case FOP_CALL:
		return resolve_call(f, n, err);
	case FOP_SIZEOF: {
		const struct qz_tp_field *fl = f->ev ? qz_tp_event__field(f->ev, n->str) : NULL;

		if (!fl) {
			qz__parse_error(err, n->col, "sizeof(%.40s): no such field or type", n->str);
			return -QZ_ERR_UNKNOWN_FIELD;
		}
		n->op = FOP_INT;
		n->ival = qz_tp_field__size(fl);
		return 0;
	}
	default:
		break;
	}

	if (n->op == FOP_EQ || n->op == FOP_NE || n->op == FOP_GLOB) {
		/* ftrace's unquoted strings: prev_comm == bash */
		for (int side = 0; side < 2; side++) {
			struct qz_fnode *a = side ? n->r : n->l, *b = side ? n->l : n->r;
			const struct qz_tp_field *fa = lookup(f, a);

			if (fa && a->index < 0 && (qz_tp_field__flags(fa) & QZ_TP_FIELD_STRING) &&
			    b->op == FOP_IDENT && b->index < 0 && !lookup(f, b) &&
			    event_var(b->str) < 0) {
				b->op = FOP_STR;
				b->is_str = true;
			}
		}
	}
	if ((n->cond && (ret = resolve(f, n->cond, err))) ||
	    (ret = resolve(f, n->l, err)) || (n->r && (ret = resolve(f, n->r, err))))
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
		if (n->op == FOP_GLOB && n->l->op == FOP_STR && n->r->op != FOP_STR) {
			struct qz_fnode *t = n->l;

			n->l = n->r;
			n->r = t;
		}
		break;
	case FOP_COMMA:
		n->is_str = n->r->is_str;
		n->uns = n->r->uns;
		break;
	case FOP_COND:
		if (n->cond->is_str) {
			qz__parse_error(err, n->cond->col, "a string alone is not a condition");
			return -QZ_ERR_FILTER;
		}
		if (n->l->is_str != n->r->is_str) {
			qz__parse_error(err, n->r->col,
					"both sides of ':' must be strings, or both numbers");
			return -QZ_ERR_FILTER;
		}
		n->is_str = n->l->is_str;
		n->uns = n->l->uns || n->r->uns;
		break;
	case FOP_CAST:
		if (n->l->is_str) {
			qz__parse_error(err, n->l->col, "a string cannot be cast to a number");
			return -QZ_ERR_FILTER;
		}
		break;
	default:
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

static const char *or_empty(const char *s, size_t *len)
{
	if (!s)
		s = "";
	*len = strlen(s);
	return s;
}

const char *qz__feval_str(const struct qz_fnode *n, struct qz__ectx *ctx, size_t *len)
{
	const struct qz_filter_opts *o = &ctx->f->opts;
	const char *s;

	switch (n->op) {
	case FOP_STR:
		*len = n->slen;
		return n->str;
	case FOP_COND:
		return qz__feval(n->cond, ctx) ? qz__feval_str(n->l, ctx, len) :
						 qz__feval_str(n->r, ctx, len);
	case FOP_COMMA:
		if (n->l->is_str)
			qz__feval_str(n->l, ctx, len);
		else
			qz__feval(n->l, ctx);
		return qz__feval_str(n->r, ctx, len);
	case FOP_CALL:
		switch (n->fn) {
		case FFN_KSYMBOL:
			return or_empty(o->ksymbol((uint64_t)qz__feval(n->args[0], ctx), o->ctx), len);
		case FFN_COMM_GET:
			return or_empty(o->comm((int)qz__feval(n->args[0], ctx), o->ctx), len);
		case FFN_SYSCALL_NAME:
			return or_empty(qz_syscall_name((long)qz__feval(n->args[0], ctx)), len);
		case FFN_EXIT_REASON_STR: {
			uint64_t isa = (uint64_t)qz__feval(n->args[0], ctx);

			return or_empty(qz__exit_reason(isa, (uint64_t)qz__feval(n->args[1], ctx)),
					len);
		}
		default:
			break;
		}
		break;
	case FOP_FIELD:
		s = qz_tp_field__str(n->field, ctx->raw, ctx->size, len);
		if (s)
			return s;
		break;
	default:
		break;
	}
	*len = 0;
	return "";
}

static bool str_compare(const struct qz_fnode *n, struct qz__ectx *ctx)
{
	size_t llen, rlen;
	const char *l = qz__feval_str(n->l, ctx, &llen);
	const char *r = qz__feval_str(n->r, ctx, &rlen);

	if (n->op == FOP_GLOB)
		return qz__glob_match(r, rlen, l, llen);
	return (llen == rlen && !memcmp(l, r, llen)) == (n->op == FOP_EQ);
}

/* strncmp over two bounded strings, each ending at its length or a NUL. */
static int64_t bounded_strncmp(const char *a, size_t alen, const char *b, size_t blen,
			       uint64_t n)
{
	for (uint64_t i = 0; i < n; i++) {
		unsigned char ca = i < alen ? (unsigned char)a[i] : 0;
		unsigned char cb = i < blen ? (unsigned char)b[i] : 0;

		if (ca != cb)
			return (int64_t)ca - (int64_t)cb;
		if (!ca)
			break;
	}
	return 0;
}

static int64_t call(const struct qz_fnode *n, struct qz__ectx *ctx)
{
	switch (n->fn) {
	case FFN_NTOHL:
		return (int32_t)__builtin_bswap32((uint32_t)qz__feval(n->args[0], ctx));
	case FFN_NTOHS:
		return (int16_t)__builtin_bswap16((uint16_t)qz__feval(n->args[0], ctx));
	case FFN_STRNCMP: {
		size_t alen, blen;
		const char *a = qz__feval_str(n->args[0], ctx, &alen);
		const char *b = qz__feval_str(n->args[1], ctx, &blen);

		return bounded_strncmp(a, alen, b, blen, (uint64_t)qz__feval(n->args[2], ctx));
	}
	case FFN_PRINTF:
		return qz__printf_run(n, ctx);
	default:
		return 0;	/* string functions are not numbers: resolve refused it */
	}
}

static int64_t var(const struct qz_fnode *n, const struct qz__ectx *ctx)
{
	const struct qz_sample *smp = ctx->smp;

	if (n->var == FVAR_KEY)
		return (int64_t)ctx->key;
	if (!smp)
		return n->var == FVAR_PERIOD ? (int64_t)ctx->f->opts.period : 0;
	switch (n->var) {
	case FVAR_CPU: return smp->cpu;
	case FVAR_PID: return smp->pid;
	case FVAR_TID: return smp->tid;
	case FVAR_TIME: return (int64_t)smp->time;
	case FVAR_PERIOD:
		return (int64_t)((smp->type & PERF_SAMPLE_PERIOD) ? smp->period :
								    ctx->f->opts.period);
	default: return 0;
	}
}

static int64_t cast(int64_t v, int64_t width, bool uns)
{
	switch (width) {
	case 1: return uns ? (int64_t)(uint8_t)v : (int64_t)(int8_t)v;
	case 2: return uns ? (int64_t)(uint16_t)v : (int64_t)(int16_t)v;
	case 4: return uns ? (int64_t)(uint32_t)v : (int64_t)(int32_t)v;
	default: return v;
	}
}

int64_t qz__feval(const struct qz_fnode *n, struct qz__ectx *ctx)
{
	uint64_t a, b;
	bool u;

	switch (n->op) {
	case FOP_INT:
		return n->ival;
	case FOP_STR:
		return 0;	/* a string as a number: only a value's root can be one */
	case FOP_FIELD:
		if (n->index < 0)
			return qz_tp_field__s64(n->field, ctx->raw, ctx->size);
		return qz_tp_field__elem_s64(n->field, ctx->raw, ctx->size, (size_t)n->index);
	case FOP_VAR:
		return var(n, ctx);
	case FOP_CALL:
		return call(n, ctx);
	case FOP_CAST:
		return cast(qz__feval(n->l, ctx), n->ival, n->uns);
	case FOP_NOT:
		return !qz__feval(n->l, ctx);
	case FOP_NEG:
		return (int64_t)(0 - (uint64_t)qz__feval(n->l, ctx));
	case FOP_BNOT:
		return ~qz__feval(n->l, ctx);
	case FOP_COND:
		return qz__feval(n->cond, ctx) ? qz__feval(n->l, ctx) : qz__feval(n->r, ctx);
	case FOP_COMMA:
		if (n->l->is_str) {
			size_t len;

			qz__feval_str(n->l, ctx, &len);
		} else {
			qz__feval(n->l, ctx);
		}
		return qz__feval(n->r, ctx);
	case FOP_OR:
		return qz__feval(n->l, ctx) || qz__feval(n->r, ctx);
	case FOP_AND:
		return qz__feval(n->l, ctx) && qz__feval(n->r, ctx);
	case FOP_EQ:
	case FOP_NE:
	case FOP_GLOB:
		if (n->l->is_str)
			return str_compare(n, ctx);
		break;
	default:
		break;
	}

	a = (uint64_t)qz__feval(n->l, ctx);
	b = (uint64_t)qz__feval(n->r, ctx);
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
	return (n->op == FOP_FIELD || (n->op == FOP_IDENT && event_var(n->str) < 0)) &&
	       n->index < 0;
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

QZ_API struct qz_filter *qz_filter__compile_opts(const char *text,
						 const struct qz_tp_event *ev,
						 const struct qz_filter_opts *opts,
						 struct qz_parse_error *err)
{
	struct qz_parse_error scratch;
	struct qz_filter *f;
	int ret;

	if (!err)
		err = &scratch;
	memset(err, 0, sizeof(*err));
	if (QZ_OPTS_CHECK(opts)) {
		qz__parse_error(err, 0, "struct qz_filter_opts is newer than this library");
		errno = E2BIG;
		return NULL;
	}
	if (!text) {
		qz__parse_error(err, 0, "no filter text");
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
	f->opts.sz = sizeof(f->opts);
	f->opts.ksymbol = QZ_OPT(opts, ksymbol, NULL);
	f->opts.comm = QZ_OPT(opts, comm, NULL);
	f->opts.ctx = QZ_OPT(opts, ctx, NULL);
	f->opts.period = QZ_OPT(opts, period, 0);
	f->opts.flags = QZ_OPT(opts, flags, 0);
	ret = qz__filter_parse(text, &f->root, err);
	if (!ret && f->root)
		ret = resolve(f, f->root, err);
	if (!ret && f->root && f->root->is_str && !(f->opts.flags & QZ_FILTER_VALUE)) {
		/* A filter is a condition; a value may be a string. */
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

QZ_API struct qz_filter *qz_filter__compile(const char *text,
					    const struct qz_tp_event *ev,
					    struct qz_parse_error *err)
{
	if (!ev) {
		if (err) {
			memset(err, 0, sizeof(*err));
			qz__parse_error(err, 0, "no filter text or event");
		}
		errno = EINVAL;
		return NULL;
	}
	return qz_filter__compile_opts(text, ev, NULL, err);
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
	struct qz__ectx ctx = { .f = f, .raw = raw, .size = size };

	if (!f || !f->root)
		return true;
	if (f->root->is_str) {
		size_t len;

		qz__feval_str(f->root, &ctx, &len);
		return len > 0;
	}
	return qz__feval(f->root, &ctx) != 0;
}

QZ_API int64_t qz_filter__eval(const struct qz_filter *f, const void *raw,
			       size_t size)
{
	struct qz__ectx ctx = { .f = f, .raw = raw, .size = size };

	if (!f || !f->root || f->root->is_str)
		return 0;
	return qz__feval(f->root, &ctx);
}

QZ_API bool qz_filter__match_sample(const struct qz_filter *f,
				    const struct qz_sample *smp)
{
	struct qz__ectx ctx = { .f = f, .raw = smp->raw, .size = smp->raw_size, .smp = smp };

	if (!f || !f->root)
		return true;
	if (f->root->is_str) {
		/* A value (QZ_FILTER_VALUE) that is a string: true when not empty. */
		size_t len;

		qz__feval_str(f->root, &ctx, &len);
		return len > 0;
	}
	return qz__feval(f->root, &ctx) != 0;
}

QZ_API int64_t qz_filter__eval_sample(const struct qz_filter *f,
				      const struct qz_sample *smp)
{
	struct qz__ectx ctx = { .f = f, .raw = smp->raw, .size = smp->raw_size, .smp = smp };

	if (!f || !f->root || f->root->is_str)
		return 0;
	return qz__feval(f->root, &ctx);
}

QZ_API bool qz_filter__is_str(const struct qz_filter *f)
{
	return f && f->root && f->root->is_str;
}

QZ_API int qz_filter__eval_str(const struct qz_filter *f,
			       const struct qz_sample *smp, uint64_t key,
			       char *buf, size_t len)
{
	struct qz__ectx ctx = {
		.f = f, .smp = smp, .key = key, .out = buf, .out_len = len,
		.raw = smp ? smp->raw : NULL, .size = smp ? smp->raw_size : 0,
	};
	int64_t v;

	if (len)
		buf[0] = '\0';
	if (!f || !f->root)
		return 0;
	if (f->root->is_str) {
		size_t n;
		const char *s = qz__feval_str(f->root, &ctx, &n);

		if (!ctx.out_pos)
			return snprintf(buf, len, "%.*s", n > INT32_MAX ? INT32_MAX : (int)n, s);
	} else {
		v = qz__feval(f->root, &ctx);
		if (!ctx.out_pos)
			return snprintf(buf, len, f->root->uns ? "%llu" : "%lld", (long long)v);
	}
	/* Something printed: the text is what it printed (cut at len). */
	if (len)
		buf[ctx.out_pos < len ? ctx.out_pos : len - 1] = '\0';
	return ctx.out_pos > INT32_MAX ? INT32_MAX : (int)ctx.out_pos;
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
