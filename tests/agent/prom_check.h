/* SPDX-License-Identifier: MIT */
/*
 * A checker for Prometheus text exposition (0.0.4), strict enough to catch
 * what a scraper would reject: every line is a comment (# HELP name text,
 * # TYPE name type) or a sample name{label="value",...} value [timestamp];
 * a family's TYPE comes once and before its samples; a sample never
 * repeats. Returns the number of samples, or -(line number) of the first
 * bad line, with why.
 */
#ifndef QUAZAR_PROM_CHECK_H
#define QUAZAR_PROM_CHECK_H

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prom_name_end(const char *p, bool colon)
{
	if (!(isalpha((unsigned char)*p) || *p == '_' || (colon && *p == ':')))
		return NULL;
	while (isalnum((unsigned char)*p) || *p == '_' || (colon && *p == ':'))
		p++;
	return p;
}

static bool prom_value(const char *p, const char **end)
{
	char *e;

	if (!strncmp(p, "NaN", 3) || !strncmp(p, "+Inf", 4) || !strncmp(p, "-Inf", 4)) {
		*end = p + (*p == 'N' ? 3 : 4);
		return true;
	}
	strtod(p, &e);
	*end = e;
	return e != p;
}

static int prom_check(const char *text, char *why, size_t why_size)
{
	char typed[64][128], seen[512][256];
	int ntyped = 0, nseen = 0, samples = 0, lineno = 0;
	char family[128] = "";
	const char *line = text;

/* why is a hint: cut, not checked. */
#define PROM_BAD(...) do { if (snprintf(why, why_size, __VA_ARGS__) < 0) *why = 0; return -lineno; } while (0)
	if (*text && text[strlen(text) - 1] != '\n') {
		lineno = 1;
		PROM_BAD("the text does not end with a newline");
	}
	while (*line) {
		const char *nl = strchr(line, '\n'), *p = line, *e;
		size_t len = (size_t)(nl - line);
		char l[1024];

		lineno++;
		if (len >= sizeof(l))
			PROM_BAD("line too long");
		memcpy(l, line, len);
		l[len] = 0;
		line = nl + 1;
		p = l;
		if (!*p)
			continue;
		if (*p == '#') {
			bool help = !strncmp(p, "# HELP ", 7), type = !strncmp(p, "# TYPE ", 7);
			char name[128];

			if (!help && !type)
				continue;	/* a plain comment */
			p += 7;
			e = prom_name_end(p, true);
			if (!e || (*e != ' ' && (*e || type)))
				PROM_BAD("bad metric name in %s", l);
			snprintf(name, sizeof(name), "%.*s", (int)(e - p), p);
			if (type) {
				e++;
				if (strcmp(e, "counter") && strcmp(e, "gauge") &&
				    strcmp(e, "histogram") && strcmp(e, "summary") &&
				    strcmp(e, "untyped"))
					PROM_BAD("bad type \"%s\"", e);
				for (int i = 0; i < ntyped; i++)
					if (!strcmp(typed[i], name))
						PROM_BAD("second TYPE for %s", name);
				if (ntyped < 64)
					snprintf(typed[ntyped++], sizeof(typed[0]), "%s", name);
				snprintf(family, sizeof(family), "%s", name);
			} else {
				for (e++; *e; e++) {
					if (*e != '\\')
						continue;
					if (e[1] != '\\' && e[1] != 'n')
						PROM_BAD("bad escape in HELP");
					e++;
				}
			}
			continue;
		}
		e = prom_name_end(p, true);
		if (!e)
			PROM_BAD("bad sample name: %s", l);
		if ((size_t)(e - p) != strlen(family) || strncmp(p, family, (size_t)(e - p)))
			PROM_BAD("sample %.*s outside its family (TYPE %s)", (int)(e - p), p,
				 family);
		if (*e == '{') {
			e++;
			while (*e != '}') {
				const char *v = prom_name_end(e, false);

				if (!v || v[0] != '=' || v[1] != '"')
					PROM_BAD("bad label at \"%s\"", e);
				for (v += 2; *v != '"'; v++) {
					if (!*v)
						PROM_BAD("unterminated label value");
					if (*v == '\n')
						PROM_BAD("raw newline in label value");
					if (*v == '\\') {
						if (v[1] != '\\' && v[1] != '"' && v[1] != 'n')
							PROM_BAD("bad escape in label value");
						v++;
					}
				}
				e = v + 1;
				if (*e == ',')
					e++;
				else if (*e != '}')
					PROM_BAD("expected , or } at \"%s\"", e);
			}
			e++;
		}
		if (*e != ' ')
			PROM_BAD("no space before the value: %s", l);
		{
			size_t key = (size_t)(e - p);

			for (int i = 0; i < nseen; i++)
				if (strlen(seen[i]) == key && !strncmp(seen[i], p, key))
					PROM_BAD("sample repeated: %.*s", (int)key, p);
			if (nseen < 512 && key < sizeof(seen[0]))
				snprintf(seen[nseen++], sizeof(seen[0]), "%.*s", (int)key, p);
		}
		if (!prom_value(e + 1, &e))
			PROM_BAD("bad value: %s", l);
		if (*e == ' ') {
			char *te;

			strtoll(e + 1, &te, 10);
			if (te == e + 1 || *te)
				PROM_BAD("bad timestamp: %s", l);
		} else if (*e) {
			PROM_BAD("junk after the value: %s", l);
		}
		samples++;
	}
#undef PROM_BAD
	return samples;
}

#endif
