// SPDX-License-Identifier: MIT
/*
 * Event attributes: the /ATTR/ parts of sys:name/filter/ATTR/.../, as
 * perf-prof documents them. Values that are expressions stay raw text; the
 * handler that uses them compiles them against the event's format.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "select_internal.h"

enum attr_type {
	A_FLAG,		/* stack */
	A_INT,		/* max-stack=N */
	A_U64,		/* period=N */
	A_STR,		/* alias=NAME, key=EXPR, ... */
	A_LIST,		/* top-by=EXPR (repeatable; commas also split) */
	A_CPUS,		/* cpus=LIST */
};

struct attr_def {
	const char *name;
	const char *hint;	/* how the help spells the value */
	enum attr_type type;
	size_t off;		/* into struct qz_event_spec */
	size_t nr_off;		/* A_LIST: the count */
};

#define F(field) offsetof(struct qz_event_spec, field)

static const struct attr_def attrs[] = {
	{ "stack", NULL, A_FLAG, F(stack), 0 },
	{ "max-stack", "N", A_INT, F(max_stack), 0 },
	{ "alias", "NAME", A_STR, F(alias), 0 },
	{ "top-by", "EXPR", A_LIST, F(top_by), F(nr_top_by) },
	{ "top-add", "EXPR", A_LIST, F(top_add), F(nr_top_add) },
	{ "comm", "EXPR", A_STR, F(comm), 0 },
	{ "ptr", "EXPR", A_STR, F(ptr), 0 },
	{ "size", "EXPR", A_STR, F(size), 0 },
	{ "delay", "EXPR", A_STR, F(delay), 0 },
	{ "key", "EXPR", A_STR, F(key), 0 },
	{ "printkey", "EXPR", A_STR, F(printkey), 0 },
	{ "role", "EXPR", A_STR, F(role), 0 },
	{ "untraced", NULL, A_FLAG, F(untraced), 0 },
	{ "trigger", NULL, A_FLAG, F(trigger), 0 },
	{ "cpus", "LIST", A_CPUS, F(cpus), 0 },
	{ "period", "N", A_U64, F(period), 0 },
	{ "freq", "HZ", A_U64, F(freq), 0 },
};

#define NR_ATTRS (sizeof(attrs) / sizeof(attrs[0]))

/* "stack, max-stack=N, alias=NAME, ..." for messages. */
static void valid_list(char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < NR_ATTRS && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s%s%s", i ? ", " : "",
				 attrs[i].name, attrs[i].hint ? "=" : "",
				 attrs[i].hint ? attrs[i].hint : "");
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

static const struct attr_def *find_attr(const char *name, size_t len)
{
	for (size_t i = 0; i < NR_ATTRS; i++)
		if (strlen(attrs[i].name) == len && !memcmp(attrs[i].name, name, len))
			return &attrs[i];
	return NULL;
}

static const char *closest_attr(const char *name, size_t len)
{
	const char *best = NULL;
	int best_d = qz__suggest_limit(len);

	for (size_t i = 0; i < NR_ATTRS; i++) {
		int d = qz__edit_distance(name, len, attrs[i].name,
					  strlen(attrs[i].name), best_d);
		if (d <= best_d && (!best || d < best_d)) {
			best = attrs[i].name;
			best_d = d;
		}
	}
	return best;
}

/* A value wholly inside "..." loses its quotes: top-by="runtime/1000". */
static void unquote(const char *text, int *start, int *end)
{
	if (*end - *start >= 2 && text[*start] == '"' && text[*end - 1] == '"') {
		for (int i = *start + 1; i < *end - 1; i++)
			if (text[i] == '"')
				return;
		(*start)++;
		(*end)--;
	}
}

static int parse_number(const char *text, int start, int end, uint64_t *out)
{
	char buf[32], *stop;
	int len = end - start;

	if (len <= 0 || len >= (int)sizeof(buf) || !isdigit((unsigned char)text[start]))
		return -1;
	memcpy(buf, text + start, (size_t)len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoull(buf, &stop, 0);
	return errno || *stop ? -1 : 0;
}

/* 0-3,6: digits, '-' ranges and ',' lists, each range ascending. */
static int check_cpus(const char *text, int start, int end,
		      struct qz_parse_error *err)
{
	int i = start;

	while (i < end) {
		unsigned long lo = 0, hi;
		int d = i;

		while (i < end && isdigit((unsigned char)text[i]))
			lo = lo * 10 + (unsigned long)(text[i++] - '0');
		if (i == d || lo > 1u << 20)
			goto bad;
		hi = lo;
		if (i < end && text[i] == '-') {
			d = ++i;
			hi = 0;
			while (i < end && isdigit((unsigned char)text[i]))
				hi = hi * 10 + (unsigned long)(text[i++] - '0');
			if (i == d || hi > 1u << 20)
				goto bad;
			if (hi < lo) {
				qz__parse_error(err, d, "cpu range %lu-%lu goes backwards", lo, hi);
				return -QZ_ERR_SELECTOR;
			}
		}
		if (i < end && text[i] != ',')
			goto bad;
		if (i < end && ++i == end)
			goto bad;
	}
	return 0;
bad:
	qz__parse_error(err, i, "bad cpu list: expected N, N-M or a comma list such as cpus=0-3,6");
	return -QZ_ERR_SELECTOR;
}

static int add_list(struct qz_event_spec *spec, const struct attr_def *a,
		    const char *text, int start, int end,
		    struct qz_parse_error *err)
{
	char **list = (char **)((char *)spec + a->off);
	int *nr = (int *)((char *)spec + a->nr_off);
	int depth = 0, item = start;
	char quote = 0;

	/* Split at commas outside parentheses and quotes. */
	for (int i = start; i <= end; i++) {
		char c = i < end ? text[i] : ',';
		int s = item, e = i;

		if (quote) {
			if (c == '\\' && i + 1 < end)
				i++;
			else if (c == quote)
				quote = 0;
			continue;
		}
		if (c == '"' || c == '\'') {
			quote = c;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')')
			depth--;
		if (c != ',' || depth > 0)
			continue;
		item = i + 1;
		unquote(text, &s, &e);
		if (s == e) {
			qz__parse_error(err, s, "empty %s value", a->name);
			return -QZ_ERR_SELECTOR;
		}
		if (*nr >= QZ_SPEC_MAX_FIELDS) {
			qz__parse_error(err, s, "too many %s values (at most %d)",
					a->name, QZ_SPEC_MAX_FIELDS);
			return -QZ_ERR_SELECTOR;
		}
		list[*nr] = strndup(text + s, (size_t)(e - s));
		if (!list[*nr])
			return -ENOMEM;
		(*nr)++;
	}
	return 0;
}

int qz__parse_attr(struct qz_event_spec *spec, const char *text, int start,
		   int end, struct qz_parse_error *err)
{
	const struct attr_def *a;
	int eq = start, vstart, vend;
	void *slot;
	uint64_t v;

	while (eq < end && text[eq] != '=')
		eq++;
	a = find_attr(text + start, (size_t)(eq - start));
	if (!a) {
		const char *near = closest_attr(text + start, (size_t)(eq - start));
		char valid[200];
		int len = eq - start > 32 ? 32 : eq - start;

		valid_list(valid, sizeof(valid));
		if (near)
			qz__parse_error(err, start, "unknown attribute '%.*s'; did you mean '%s'? (valid: %s)",
					len, text + start, near, valid);
		else
			qz__parse_error(err, start, "unknown attribute '%.*s' (valid: %s)",
					len, text + start, valid);
		return -QZ_ERR_SELECTOR;
	}
	slot = (char *)spec + a->off;
	if (a->type == A_FLAG) {
		if (eq < end) {
			qz__parse_error(err, eq, "attribute '%s' takes no value", a->name);
			return -QZ_ERR_SELECTOR;
		}
		*(bool *)slot = true;
		return 0;
	}
	vstart = eq + 1;
	vend = end;
	if (eq >= end || vstart >= vend) {
		qz__parse_error(err, eq, "attribute '%s' needs a value: %s=%s",
				a->name, a->name, a->hint);
		return -QZ_ERR_SELECTOR;
	}
	switch (a->type) {
	case A_INT:
		if (parse_number(text, vstart, vend, &v) || v > 65535) {
			qz__parse_error(err, vstart, "%s needs a number from 0 to 65535, got '%.*s'",
					a->name, vend - vstart > 32 ? 32 : vend - vstart,
					text + vstart);
			return -QZ_ERR_SELECTOR;
		}
		*(int *)slot = (int)v;
		spec->max_stack_set = 1;
		return 0;
	case A_U64:
		if (parse_number(text, vstart, vend, &v)) {
			qz__parse_error(err, vstart, "%s needs a number, got '%.*s'",
					a->name, vend - vstart > 32 ? 32 : vend - vstart,
					text + vstart);
			return -QZ_ERR_SELECTOR;
		}
		*(uint64_t *)slot = v;
		return 0;
	case A_LIST:
		return add_list(spec, a, text, vstart, vend, err);
	case A_CPUS: {
		int ret = check_cpus(text, vstart, vend, err);

		if (ret)
			return ret;
	}
		/* fall through */
	case A_STR:
		unquote(text, &vstart, &vend);
		free(*(char **)slot);
		*(char **)slot = strndup(text + vstart, (size_t)(vend - vstart));
		return *(char **)slot ? 0 : -ENOMEM;
	case A_FLAG:
		break;
	}
	return 0;
}
