// SPDX-License-Identifier: MIT
/*
 * What the `quazar fleet` commands share: quoting for SQL, times on the
 * command line, and printing a SELECT's answer as an aligned table (from
 * TabSeparatedWithNames) or as JSON lines (ClickHouse's JSONEachRow, with
 * 64-bit integers as numbers).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "fleet_internal.h"

struct qz_ch *qz_fleet__connect(const struct qz_fleet_opts *o)
{
	return qz_ch__new(o->url, o->database, o->user, o->password, 60000);
}

void qz_fleet__sql_quote(struct qz_buf *b, const char *text)
{
	qz_buf__put(b, "'", 1);
	qz_buf__str(b, text, strlen(text));	/* escapes ' and \ */
	qz_buf__put(b, "'", 1);
}

void qz_fleet__sql_glob(struct qz_buf *b, const char *glob)
{
	qz_buf__put(b, "'", 1);
	for (const char *p = glob; *p; p++) {
		if (*p == '*')
			qz_buf__put(b, "%", 1);
		else if (*p == '?')
			qz_buf__put(b, "_", 1);
		else if (*p == '%' || *p == '_')
			/* LIKE's own wildcards, taken literally: \\% in SQL. */
			qz_buf__put(b, *p == '%' ? "\\\\%" : "\\\\_", 3);
		else
			qz_buf__str(b, p, 1);
	}
	qz_buf__put(b, "'", 1);
}

int qz_fleet__select_tsv(struct qz_ch *ch, const char *sql, struct qz_buf *out,
			 char *err, size_t err_len)
{
	return qz_ch__query(ch, sql, NULL, 0, out, err, err_len);
}

/* Undoes TabSeparated escaping in place; returns the new length. */
static size_t unescape(char *s)
{
	char *o = s;

	for (char *p = s; *p; p++) {
		if (*p != '\\' || !p[1]) {
			*o++ = *p;
			continue;
		}
		switch (*++p) {
		case 't': *o++ = '\t'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case '0': *o++ = '\0'; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		default: *o++ = *p; break;
		}
	}
	*o = 0;
	return (size_t)(o - s);
}

static bool numeric(const char *s)
{
	char *end;

	if (!*s)
		return false;
	strtod(s, &end);
	return !*end || !strcmp(s, "nan") || !strcmp(s, "inf");
}

/* An aligned table: numbers right-aligned, text left. */
static int print_table(char *text, size_t len)
{
	size_t rows = 0, cols = 0, *width;
	char **cell, *p = text;

	for (size_t i = 0; i < len; i++)
		rows += text[i] == '\n';
	for (char *c = text; *c && *c != '\n'; c++)
		cols += *c == '\t';
	cols++;
	if (!rows)
		return 0;
	cell = calloc(rows * cols, sizeof(*cell));
	width = calloc(cols, sizeof(*width));
	if (!cell || !width) {
		free(cell);
		free(width);
		return -ENOMEM;
	}
	for (size_t r = 0; r < rows; r++) {
		char *nl = strchr(p, '\n');

		*nl = 0;
		for (size_t c = 0; c < cols; c++) {
			char *tab = c + 1 < cols ? strchr(p, '\t') : NULL;
			size_t w;

			if (tab)
				*tab = 0;
			cell[r * cols + c] = p;
			w = unescape(p);
			if (w > width[c])
				width[c] = w;
			p = tab ? tab + 1 : p + strlen(p);
		}
		p = nl + 1;
	}
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < cols; c++) {
			const char *v = cell[r * cols + c];
			int w = (int)width[c];
			bool last = c + 1 == cols;

			if (r && numeric(v))
				printf("%*s%s", w, v, last ? "" : "  ");
			else
				printf("%-*s%s", last ? 0 : w, v, last ? "" : "  ");
		}
		printf("\n");
	}
	free(cell);
	free(width);
	return 0;
}

int qz_fleet__print_query(const struct qz_fleet_opts *o, struct qz_ch *ch,
			  const char *sql, char *err, size_t err_len)
{
	struct qz_buf q = { 0 }, out = { 0 };
	int ret;

	qz_buf__put(&q, sql, strlen(sql));
	qz_buf__put(&q, o->json ? " FORMAT JSONEachRow" : " FORMAT TabSeparatedWithNames",
		    o->json ? 19 : 29);
	qz_buf__put(&q, "", 1);
	ret = q.err ? q.err : qz_ch__query(ch, q.data, NULL, 0, &out, err, err_len);
	qz_buf__put(&out, "", 1);
	if (!ret && out.err)
		ret = out.err;
	if (!ret && o->json)
		fwrite(out.data, 1, out.len - 1, stdout);
	else if (!ret)
		ret = print_table(out.data, out.len - 1);
	free(q.data);
	free(out.data);
	return ret;
}

int qz_fleet__parse_duration(const char *text, uint64_t *seconds)
{
	static const struct {
		const char *unit;
		uint64_t s;
	} units[] = { { "s", 1 }, { "", 1 }, { "m", 60 }, { "min", 60 },
		      { "h", 3600 }, { "d", 86400 }, { "w", 604800 } };
	unsigned long long v;
	char *end;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (!v || v > 100ull * 365 * 86400 / units[i].s)
				return -ERANGE;
			*seconds = v * units[i].s;
			return 0;
		}
	return -EINVAL;
}

int qz_fleet__parse_time(const char *text, uint64_t now_s, uint64_t *unix_s)
{
	struct tm tm;
	const char *rest;
	uint64_t d;
	time_t t;

	if (!strcmp(text, "now")) {
		*unix_s = now_s;
		return 0;
	}
	if (!strncmp(text, "now-", 4) || text[0] == '-') {
		if (qz_fleet__parse_duration(text + (text[0] == '-' ? 1 : 4), &d) ||
		    d > now_s)
			return -EINVAL;
		*unix_s = now_s - d;
		return 0;
	}
	if (text[0] == '@') {
		char *end;

		errno = 0;
		*unix_s = strtoull(text + 1, &end, 10);
		return errno || end == text + 1 || *end ? -EINVAL : 0;
	}
	t = (time_t)now_s;
	localtime_r(&t, &tm);
	tm.tm_sec = 0;
	/* "HH:MM[:SS]": today, local time. */
	rest = strptime(text, "%H:%M", &tm);
	if (!rest || (*rest && !(rest = strptime(rest, ":%S", &tm))) || *rest) {
		bool utc;

		memset(&tm, 0, sizeof(tm));
		rest = strptime(text, "%Y-%m-%d", &tm);
		if (!rest)
			return -EINVAL;
		if (*rest == ' ' || *rest == 'T')
			rest = strptime(rest + 1, "%H:%M", &tm);
		if (rest && *rest == ':')
			rest = strptime(rest, ":%S", &tm);
		if (!rest)
			return -EINVAL;
		utc = *rest == 'Z';
		if (*rest && (!utc || rest[1]))
			return -EINVAL;
		tm.tm_isdst = -1;
		t = utc ? timegm(&tm) : mktime(&tm);
	} else {
		tm.tm_isdst = -1;
		t = mktime(&tm);
	}
	if (t < 0)
		return -EINVAL;
	*unix_s = (uint64_t)t;
	return 0;
}
