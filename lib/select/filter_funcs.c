// SPDX-License-Identifier: MIT
/*
 * The functions expressions may call, perf-prof's: their names and
 * signatures for the resolver, and printf(), whose literal format is
 * checked against its arguments when it is compiled so that running it
 * can never read an argument that is not there or of the wrong kind.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "filter_internal.h"
#include "select_internal.h"

static const struct qz__ffn_def fns[] = {
	{ "ksymbol", FFN_KSYMBOL, 1, 1, "n", true, "ksymbol(ADDR)" },
	{ "comm_get", FFN_COMM_GET, 1, 1, "n", true, "comm_get(PID)" },
	{ "syscall_name", FFN_SYSCALL_NAME, 1, 1, "n", true, "syscall_name(NR)" },
	{ "exit_reason_str", FFN_EXIT_REASON_STR, 2, 2, "nn", true,
	  "exit_reason_str(ISA, REASON)" },
	{ "ntohl", FFN_NTOHL, 1, 1, "n", false, "ntohl(X)" },
	{ "ntohs", FFN_NTOHS, 1, 1, "n", false, "ntohs(X)" },
	{ "strncmp", FFN_STRNCMP, 3, 3, "ssn", false, "strncmp(S1, S2, N)" },
	{ "printf", FFN_PRINTF, 1, QZ_FCALL_MAX_ARGS - 1, "s", false, "printf(FMT, ...)" },
};

#define NR_FNS (sizeof(fns) / sizeof(fns[0]))

const struct qz__ffn_def *qz__ffn_find(const char *name)
{
	for (size_t i = 0; i < NR_FNS; i++)
		if (!strcmp(fns[i].name, name))
			return &fns[i];
	return NULL;
}

const char *qz__ffn_closest(const char *name, size_t len)
{
	const char *best = NULL;
	int best_d = qz__suggest_limit(len);

	for (size_t i = 0; i < NR_FNS; i++) {
		int d = qz__edit_distance(name, len, fns[i].name, strlen(fns[i].name), best_d);

		if (d <= best_d && (!best || d < best_d)) {
			best = fns[i].name;
			best_d = d;
		}
	}
	return best;
}

const char *qz__ffn_list(void)
{
	return "ksymbol(ADDR), comm_get(PID), syscall_name(NR), exit_reason_str(ISA, REASON), "
	       "ntohl(X), ntohs(X), strncmp(S1, S2, N), printf(FMT, ...)";
}

/* One conversion of a printf format: %[flags][width][.prec][len]conv. */
struct conv {
	int start, end;		/* into the format, past the '%' at start */
	char flags[8];
	int width, prec;	/* -1: none */
	int len;		/* 0 int, 1 char, 2 short, 8 long and longer */
	char conv;
};

/* Parse the conversion at fmt[i] == '%'; 0, or -1 when it is not one. */
static int parse_conv(const char *fmt, size_t n, size_t i, struct conv *c)
{
	size_t j = i + 1, nf = 0;

	memset(c, 0, sizeof(*c));
	c->start = (int)i;
	c->width = c->prec = -1;
	while (j < n && strchr("-+ #0", fmt[j]) && nf < sizeof(c->flags) - 1)
		c->flags[nf++] = fmt[j++];
	if (j < n && fmt[j] >= '0' && fmt[j] <= '9') {
		c->width = 0;
		while (j < n && fmt[j] >= '0' && fmt[j] <= '9' && c->width < 1000)
			c->width = c->width * 10 + (fmt[j++] - '0');
	}
	if (j < n && fmt[j] == '.') {
		j++;
		c->prec = 0;
		while (j < n && fmt[j] >= '0' && fmt[j] <= '9' && c->prec < 1000)
			c->prec = c->prec * 10 + (fmt[j++] - '0');
	}
	c->len = 4;
	if (j + 1 < n && fmt[j] == 'h' && fmt[j + 1] == 'h') {
		c->len = 1;
		j += 2;
	} else if (j < n && fmt[j] == 'h') {
		c->len = 2;
		j++;
	} else {
		while (j < n && strchr("lzjtq", fmt[j])) {
			c->len = 8;
			j++;
		}
	}
	if (j >= n || !strchr("diouxXcsp%", fmt[j]))
		return -1;
	c->conv = fmt[j];
	c->end = (int)j + 1;
	return 0;
}

int qz__printf_check(const struct qz_fnode *call, struct qz_parse_error *err)
{
	const struct qz_fnode *f = call->args[0];
	int arg = 1;

	if (f->op != FOP_STR) {
		qz__parse_error(err, f->col, "printf's format must be a \"string\" written out");
		return -QZ_ERR_FILTER;
	}
	for (size_t i = 0; i < f->slen; i++) {
		struct conv c;

		if (f->str[i] != '%')
			continue;
		if (parse_conv(f->str, f->slen, i, &c)) {
			qz__parse_error(err, f->col, "printf: conversion %.*s at byte %zu is not one of %%d %%i %%u %%x %%X %%o %%c %%s %%p %%%%",
					(int)(f->slen - i > 4 ? 4 : f->slen - i), f->str + i, i);
			return -QZ_ERR_FILTER;
		}
		i = (size_t)c.end - 1;
		if (c.conv == '%')
			continue;
		if (arg >= call->nargs) {
			qz__parse_error(err, call->col, "printf: the format has more conversions than arguments");
			return -QZ_ERR_FILTER;
		}
		if ((c.conv == 's') != call->args[arg]->is_str) {
			qz__parse_error(err, call->args[arg]->col, c.conv == 's' ?
					"printf: %%s needs a string here" :
					"printf: %%%c needs a number here; print a string with %%s", c.conv);
			return -QZ_ERR_FILTER;
		}
		arg++;
	}
	if (arg < call->nargs) {
		qz__parse_error(err, call->args[arg]->col,
				"printf: more arguments than the format has conversions");
		return -QZ_ERR_FILTER;
	}
	return 0;
}

__attribute__((format(printf, 2, 3)))
static void out_printf(struct qz__ectx *ctx, const char *fmt, ...)
{
	size_t room = ctx->out && ctx->out_pos < ctx->out_len ? ctx->out_len - ctx->out_pos : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? ctx->out + ctx->out_pos : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		ctx->out_pos += (size_t)n;
}

static int64_t narrow(int64_t v, int len, bool uns)
{
	switch (len) {
	case 1: return uns ? (int64_t)(uint8_t)v : (int64_t)(int8_t)v;
	case 2: return uns ? (int64_t)(uint16_t)v : (int64_t)(int16_t)v;
	case 4: return uns ? (int64_t)(uint32_t)v : (int64_t)(int32_t)v;
	default: return v;
	}
}

int64_t qz__printf_run(const struct qz_fnode *call, struct qz__ectx *ctx)
{
	const struct qz_fnode *f = call->args[0];
	size_t before = ctx->out_pos, lit = 0;
	int arg = 1;

	for (size_t i = 0; i <= f->slen; i++) {
		char spec[32];
		struct conv c;
		bool uns;

		if (i < f->slen && f->str[i] != '%')
			continue;
		if (i > lit)
			out_printf(ctx, "%.*s", (int)(i - lit), f->str + lit);
		if (i == f->slen || parse_conv(f->str, f->slen, i, &c))
			break;	/* checked at compile time: cannot happen */
		i = (size_t)c.end - 1;
		lit = i + 1;
		if (c.conv == '%') {
			out_printf(ctx, "%%");
			continue;
		}
		if (arg >= call->nargs)
			break;
		/* Rebuild the conversion from its checked parts, 64-bit. */
		if (c.conv == 's') {
			size_t len;
			const char *s = qz__feval_str(call->args[arg++], ctx, &len);
			int prec = c.prec >= 0 && (size_t)c.prec < len ? c.prec : (int)len;

			if (c.width >= 0)
				snprintf(spec, sizeof(spec), "%%%s%d.*s", c.flags, c.width);
			else
				snprintf(spec, sizeof(spec), "%%%s.*s", c.flags);
			out_printf(ctx, spec, prec, s);
			continue;
		}
		uns = strchr("ouxXp", c.conv) != NULL;
		if (c.conv == 'p') {
			out_printf(ctx, "0x%llx", (unsigned long long)qz__feval(call->args[arg++], ctx));
			continue;
		}
		{
			int64_t v = narrow(qz__feval(call->args[arg++], ctx),
					   c.conv == 'c' ? 1 : c.len, uns);
			int n = snprintf(spec, sizeof(spec), "%%%s", c.flags);

			if (c.width >= 0)
				n += snprintf(spec + n, sizeof(spec) - (size_t)n, "%d", c.width);
			if (c.prec >= 0)
				n += snprintf(spec + n, sizeof(spec) - (size_t)n, ".%d", c.prec);
			if (c.conv == 'c')
				snprintf(spec + n, sizeof(spec) - (size_t)n, "c");
			else
				snprintf(spec + n, sizeof(spec) - (size_t)n, "ll%c", c.conv);
			if (c.conv == 'c')
				out_printf(ctx, spec, (int)v);
			else
				out_printf(ctx, spec, (long long)v);
		}
	}
	return (int64_t)(ctx->out_pos - before);
}
