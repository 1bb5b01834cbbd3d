// SPDX-License-Identifier: MIT
/*
 * The event selector: EVENT,EVENT,... where EVENT is one of
 *	sys:name[/filter/ATTR/.../]	tracepoint (globs allowed)
 *	cycles[:u|:k][//ATTR/.../]	hardware/software name
 *	pmu/term=value,.../[:u|:k]	dynamic PMU
 *	uprobe:/path:symbol[+off][/filter/ATTR/.../], uretprobe:/path:symbol
 *	name/-options/ATTR/.../, name//ATTR/	a profiler as an event source
 *	(and a bare name that is no event, with QZ_SELECTOR_PROFILERS)
 * Commas inside a /filter/ or an attribute do not split events. Errors
 * carry the column of the offending character.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "select_internal.h"

struct cursor {
	const char *text;
	struct qz_parse_error *err;
	unsigned flags;		/* enum qz_selector_flags */
};

static bool at_end(const char *s, int i)
{
	return s[i] == '\0' || s[i] == ',';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' ||
	       c == '*' || c == '?' || c == '[' || c == ']';
}

static int bad_char(struct cursor *c, int i, const char *where)
{
	unsigned char ch = (unsigned char)c->text[i];

	if (isprint(ch))
		qz__parse_error(c->err, i, "bad character '%c' in %s", ch, where);
	else
		qz__parse_error(c->err, i, "bad character '\\x%02x' in %s", ch, where);
	return -QZ_ERR_SELECTOR;
}

static int dup_range(char **out, const char *text, int start, int end)
{
	*out = strndup(text + start, (size_t)(end - start));
	return *out ? 0 : -ENOMEM;
}

/*
 * Scan from start to the next '/' outside quotes and parentheses. Returns
 * its index, or a negative error with the column of what is unbalanced.
 */
static int scan_slash(struct cursor *c, int start, const char *what, int open,
		      int *open_end)
{
	const char *s = c->text;
	int depth = 0, outer_paren = -1, quote_at = -1;
	int code = !strcmp(what, "filter") ? -QZ_ERR_FILTER : -QZ_ERR_SELECTOR;
	char quote = 0;

	for (int i = start; s[i]; i++) {
		char ch = s[i];

		if (quote) {
			if (ch == '\\' && s[i + 1])
				i++;
			else if (ch == quote)
				quote = 0;
			continue;
		}
		switch (ch) {
		case '"':
		case '\'':
			quote = ch;
			quote_at = i;
			break;
		case '(':
			if (depth++ == 0)
				outer_paren = i;
			break;
		case ')':
			if (depth == 0) {
				qz__parse_error(c->err, i, "unbalanced ')' in %s", what);
				return code;
			}
			depth--;
			break;
		case '/':
			if (depth == 0)
				return i;
			break;
		}
	}
	if (quote) {
		qz__parse_error(c->err, quote_at, "unterminated string in %s: missing closing %c",
				what, quote);
		return code;
	}
	if (depth) {
		qz__parse_error(c->err, outer_paren, "unbalanced '(' in %s", what);
		return code;
	}
	if (open_end) {
		/* The caller words this one: it knows where the '/' belongs. */
		*open_end = 1;
		return code;
	}
	qz__parse_error(c->err, open, "unterminated %s: missing closing '/'", what);
	return code;
}

/*
 * /filter/ATTR/ATTR/.../ starting at the first '/'; *pos ends past it. A
 * profiler has its options where a tracepoint has its filter.
 */
static int parse_filter_attrs(struct cursor *c, struct qz_event_spec *spec,
			      int *pos, bool filter_ok)
{
	const char *s = c->text;
	bool prof = spec->kind == QZ_SPEC_PROFILER;
	int p = *pos, q, ret;

	q = scan_slash(c, p + 1, prof ? "options" : "filter", p, NULL);
	if (q < 0)
		return q;
	if (q > p + 1 && prof) {
		ret = dup_range(&spec->profiler_opts, s, p + 1, q);
		if (ret)
			return ret;
		spec->profiler_opts_column = p + 1;
	} else if (q > p + 1) {
		if (!filter_ok) {
			qz__parse_error(c->err, p + 1,
					"only tracepoints and uprobes take a filter; leave it empty: %s//ATTR/",
					spec->name);
			return -QZ_ERR_SELECTOR;
		}
		ret = dup_range(&spec->filter, s, p + 1, q);
		if (ret)
			return ret;
		spec->filter_column = p + 1;
	}
	p = q + 1;
	while (!at_end(s, p) && !isspace((unsigned char)s[p])) {
		if (s[p] == '/') {
			qz__parse_error(c->err, p, "empty attribute between '/'");
			return -QZ_ERR_SELECTOR;
		}
		int open_end = 0;

		q = scan_slash(c, p, "attribute", p, &open_end);
		if (q < 0 && open_end) {
			/* Point past the attribute, where the '/' belongs. */
			int e = p + (int)strlen(s + p);

			qz__parse_error(c->err, e, "missing '/' after attribute '%.*s'",
					e - p > 32 ? 32 : e - p, s + p);
		}
		if (q < 0)
			return q;
		ret = qz__parse_attr(spec, s, p, q, c->err);
		if (ret)
			return ret;
		p = q + 1;
	}
	*pos = p;
	return 0;
}

/* :u / :k after a hardware, software or PMU event. */
static int parse_modifiers(struct cursor *c, struct qz_event_spec *spec, int *pos)
{
	const char *s = c->text;
	bool u = false, k = false;
	int p = *pos + 1;

	if (!isalpha((unsigned char)s[p])) {
		qz__parse_error(c->err, p, "expected a modifier after ':' (u or k)");
		return -QZ_ERR_SELECTOR;
	}
	for (; isalpha((unsigned char)s[p]); p++) {
		if (s[p] == 'u')
			u = true;
		else if (s[p] == 'k')
			k = true;
		else {
			qz__parse_error(c->err, p, "unknown modifier '%c' (valid: u, k)", s[p]);
			return -QZ_ERR_SELECTOR;
		}
	}
	spec->exclude_kernel = u && !k;
	spec->exclude_user = k && !u;
	*pos = p;
	return 0;
}

/* pmu/term[=value],.../ */
static int parse_pmu(struct cursor *c, struct qz_event_spec *spec, int *pos)
{
	const char *s = c->text;
	int open = *pos, p = open + 1, close = p, ret;

	while (s[close] && s[close] != '/')
		close++;
	if (!s[close]) {
		qz__parse_error(c->err, open, "unterminated PMU terms: missing closing '/'");
		return -QZ_ERR_SELECTOR;
	}
	if (close == p) {
		qz__parse_error(c->err, p, "empty PMU terms: expected %s/term=value,.../",
				spec->sys);
		return -QZ_ERR_SELECTOR;
	}
	while (p < close) {
		int name = p, eq, val;

		if (!isalpha((unsigned char)s[p]) && s[p] != '_') {
			if (s[p] == ',')
				qz__parse_error(c->err, p, "empty PMU term");
			else
				bad_char(c, p, "PMU term name");
			return -QZ_ERR_SELECTOR;
		}
		while (p < close && (isalnum((unsigned char)s[p]) || s[p] == '_' || s[p] == '-'))
			p++;
		eq = p;
		if (p < close && s[p] == '=') {
			val = ++p;
			while (p < close && (isalnum((unsigned char)s[p]) || s[p] == '_' ||
					     s[p] == '.' || s[p] == '-'))
				p++;
			if (p == val) {
				qz__parse_error(c->err, val, "PMU term '%.*s' needs a value",
						eq - name, s + name);
				return -QZ_ERR_SELECTOR;
			}
			if (eq - name == 6 && !strncmp(s + name, "period", 6)) {
				char *stop;

				spec->period = strtoull(s + val, &stop, 0);
				if (stop != s + p) {
					qz__parse_error(c->err, val, "PMU term 'period' needs a number");
					return -QZ_ERR_SELECTOR;
				}
			}
		}
		if (p < close && s[p] != ',')
			return bad_char(c, p, "PMU terms");
		if (p < close && ++p == close) {
			qz__parse_error(c->err, p, "empty PMU term before '/'");
			return -QZ_ERR_SELECTOR;
		}
	}
	ret = dup_range(&spec->pmu_terms, s, open + 1, close);
	if (ret)
		return ret;
	*pos = close + 1;
	if (s[*pos] == ':')
		return parse_modifiers(c, spec, pos);
	return 0;
}

/* uprobe:PATH:SYMBOL[+OFF], p just past "uprobe:" */
static int parse_uprobe(struct cursor *c, struct qz_event_spec *spec, int *pos,
			const char *prefix)
{
	const char *s = c->text;
	int p = *pos, colon = p, sym;

	while (s[colon] && s[colon] != ':' && s[colon] != ',')
		colon++;
	if (s[colon] != ':') {
		qz__parse_error(c->err, p, "%s needs PATH:SYMBOL[+OFFSET], e.g. %s/bin/bash:readline",
				prefix, prefix);
		return -QZ_ERR_SELECTOR;
	}
	if (colon == p) {
		qz__parse_error(c->err, p, "missing binary path in %sPATH:SYMBOL", prefix);
		return -QZ_ERR_SELECTOR;
	}
	if (dup_range(&spec->path, s, p, colon))
		return -ENOMEM;
	sym = p = colon + 1;
	while (isalnum((unsigned char)s[p]) || s[p] == '_' || s[p] == '.' ||
	       s[p] == '@' || s[p] == '$')
		p++;
	if (p == sym) {
		if (at_end(s, p) || s[p] == '/' || s[p] == '+')
			qz__parse_error(c->err, p, "missing symbol after '%s%s:'", prefix,
					spec->path);
		else
			bad_char(c, p, "uprobe symbol");
		return -QZ_ERR_SELECTOR;
	}
	if (dup_range(&spec->name, s, sym, p))
		return -ENOMEM;
	if (s[p] == '+') {
		char *stop;
		int off = ++p;

		if (spec->kind == QZ_SPEC_URETPROBE) {
			qz__parse_error(c->err, p - 1, "a uretprobe takes no offset");
			return -QZ_ERR_SELECTOR;
		}
		if (!isdigit((unsigned char)s[p])) {
			qz__parse_error(c->err, off, "uprobe offset needs a number, e.g. +0x10");
			return -QZ_ERR_SELECTOR;
		}
		errno = 0;
		spec->offset = strtoull(s + p, &stop, 0);
		p = (int)(stop - s);
		if (errno) {
			qz__parse_error(c->err, off, "uprobe offset is too large");
			return -QZ_ERR_SELECTOR;
		}
	}
	*pos = p;
	if (s[p] == '/')
		return parse_filter_attrs(c, spec, pos, true);
	return 0;
}

static int parse_event(struct cursor *c, struct qz_event_spec *spec, int *pos)
{
	const char *s = c->text;
	int p = *pos, tok, tok_end, ret;

	spec->column = p;
	if (!strncmp(s + p, "uprobe:", 7) || !strncmp(s + p, "uretprobe:", 10)) {
		bool ret_probe = s[p + 1] == 'r';
		const char *prefix = ret_probe ? "uretprobe:" : "uprobe:";

		spec->kind = ret_probe ? QZ_SPEC_URETPROBE : QZ_SPEC_UPROBE;
		p += (int)strlen(prefix);
		ret = parse_uprobe(c, spec, &p, prefix);
		goto done;
	}

	tok = p;
	while (name_char(s[p]))
		p++;
	tok_end = p;
	if (tok == tok_end)
		return bad_char(c, p, "event name");

	if (s[p] == ':' && !qz__builtin_lookup(s + tok, (size_t)(p - tok),
					       &spec->kind, &spec->config)) {
		/* cycles:u */
		if ((ret = dup_range(&spec->name, s, tok, tok_end)))
			return ret;
		ret = parse_modifiers(c, spec, &p);
		if (!ret && s[p] == '/')
			ret = parse_filter_attrs(c, spec, &p, false);
		goto done;
	}
	if (s[p] == ':') {
		int name = ++p;

		spec->kind = QZ_SPEC_TRACEPOINT;
		while (name_char(s[p]))
			p++;
		if (p == name) {
			if (at_end(s, p) || s[p] == '/' || isspace((unsigned char)s[p]))
				qz__parse_error(c->err, p, "missing event name after '%.*s:'",
						tok_end - tok, s + tok);
			else
				bad_char(c, p, "event name");
			return -QZ_ERR_SELECTOR;
		}
		if (!at_end(s, p) && s[p] != '/' && !isspace((unsigned char)s[p]))
			return bad_char(c, p, "event name");
		if ((ret = dup_range(&spec->sys, s, tok, tok_end)) ||
		    (ret = dup_range(&spec->name, s, name, p)))
			return ret;
		ret = s[p] == '/' ? parse_filter_attrs(c, spec, &p, true) : 0;
		goto done;
	}
	if (s[p] == '/' && (s[p + 1] == '-' ||
			    (s[p + 1] == '/' &&
			     ((c->flags & QZ_SELECTOR_PROFILERS) ||
			      !(at_end(s, p + 2) || isspace((unsigned char)s[p + 2]))) &&
			     qz__builtin_lookup(s + tok, (size_t)(p - tok), &spec->kind,
						&spec->config)))) {
		/*
		 * name/-F 99 -g/ATTR/: a profiler with its options; name//ATTR/
		 * too when name is no event (a PMU takes terms between the
		 * slashes, and an event named so keeps its meaning).
		 */
		spec->kind = QZ_SPEC_PROFILER;
		spec->config = 0;
		if ((ret = dup_range(&spec->name, s, tok, tok_end)))
			return ret;
		ret = parse_filter_attrs(c, spec, &p, false);
		goto done;
	}
	if (!qz__builtin_lookup(s + tok, (size_t)(p - tok), &spec->kind,
				&spec->config)) {
		if ((ret = dup_range(&spec->name, s, tok, tok_end)))
			return ret;
		ret = s[p] == '/' ? parse_filter_attrs(c, spec, &p, false) : 0;
		goto done;
	}
	if (s[p] == '/') {
		spec->kind = QZ_SPEC_PMU;
		if ((ret = dup_range(&spec->sys, s, tok, tok_end)))
			return ret;
		ret = parse_pmu(c, spec, &p);
		goto done;
	}
	if ((at_end(s, p) || isspace((unsigned char)s[p])) &&
	    (c->flags & QZ_SELECTOR_PROFILERS) && !qz__has_glob_n(s + tok, p - tok)) {
		/* task-state: the caller resolves the name. */
		spec->kind = QZ_SPEC_PROFILER;
		if ((ret = dup_range(&spec->name, s, tok, tok_end)))
			return ret;
		ret = 0;
		goto done;
	}
	if (at_end(s, p) || isspace((unsigned char)s[p])) {
		const char *near = qz__builtin_closest(s + tok, (size_t)(p - tok));
		int len = p - tok > 48 ? 48 : p - tok;

		if (near)
			qz__parse_error(c->err, tok, "unknown event '%.*s'; did you mean '%s'?",
					len, s + tok, near);
		else
			qz__parse_error(c->err, p,
					"missing ':' in '%.*s': a tracepoint is written sys:name",
					len, s + tok);
		return -QZ_ERR_SELECTOR;
	}
	return bad_char(c, p, "event name");

done:
	if (ret)
		return ret;
	while (isspace((unsigned char)s[p]))
		p++;
	if (!at_end(s, p))
		return bad_char(c, p, "selector: expected ',' or the end");
	*pos = p;
	return 0;
}

static void spec_clear(struct qz_event_spec *e)
{
	free(e->text);
	free(e->sys);
	free(e->name);
	free(e->path);
	free(e->filter);
	free(e->pmu_terms);
	free(e->alias);
	for (int i = 0; i < e->nr_top_by; i++)
		free(e->top_by[i]);
	for (int i = 0; i < e->nr_top_add; i++)
		free(e->top_add[i]);
	free(e->comm);
	free(e->ptr);
	free(e->size);
	free(e->delay);
	free(e->key);
	free(e->role);
	free(e->cpus);
	free(e->printkey);
	free(e->profiler_opts);
	memset(e, 0, sizeof(*e));
}

QZ_API int qz_selector__parse(struct qz_selector *sel, const char *text,
			      struct qz_parse_error *err)
{
	return qz_selector__parse_flags(sel, text, 0, err);
}

QZ_API int qz_selector__parse_flags(struct qz_selector *sel, const char *text,
				    unsigned flags, struct qz_parse_error *err)
{
	struct qz_parse_error scratch;
	struct qz_event_spec spec, *grown;
	struct cursor c = { text, err ? err : &scratch, flags };
	int p = 0, old = sel ? sel->nr_events : 0, ret = 0;

	if (!sel || !text)
		return -EINVAL;
	memset(c.err, 0, sizeof(*c.err));
	while (isspace((unsigned char)text[p]))
		p++;
	if (!text[p]) {
		qz__parse_error(c.err, p, "empty event selector");
		return -QZ_ERR_SELECTOR;
	}
	for (;;) {
		while (isspace((unsigned char)text[p]))
			p++;
		if (at_end(text, p)) {
			qz__parse_error(c.err, p, !text[p] ? "empty event after ','" :
					sel->nr_events == old ? "empty event before ','" :
					"empty event between commas");
			ret = -QZ_ERR_SELECTOR;
			goto fail;
		}
		memset(&spec, 0, sizeof(spec));
		ret = parse_event(&c, &spec, &p);
		if (!ret) {
			int end = p;

			while (end > spec.column && isspace((unsigned char)text[end - 1]))
				end--;
			ret = dup_range(&spec.text, text, spec.column, end);
		}
		if (ret) {
			spec_clear(&spec);
			goto fail;
		}
		grown = realloc(sel->events, sizeof(*grown) * (size_t)(sel->nr_events + 1));
		if (!grown) {
			spec_clear(&spec);
			ret = -ENOMEM;
			goto fail;
		}
		sel->events = grown;
		sel->events[sel->nr_events++] = spec;
		if (!text[p])
			return 0;
		p++; /* ',' */
	}
fail:
	/* A failed -e leaves the selector as it was. */
	while (sel->nr_events > old)
		spec_clear(&sel->events[--sel->nr_events]);
	if (ret == -ENOMEM)
		qz__parse_error(c.err, p, "out of memory");
	return ret;
}

QZ_API void qz_selector__clear(struct qz_selector *sel)
{
	if (!sel)
		return;
	for (int i = 0; i < sel->nr_events; i++)
		spec_clear(&sel->events[i]);
	free(sel->events);
	sel->events = NULL;
	sel->nr_events = 0;
}
