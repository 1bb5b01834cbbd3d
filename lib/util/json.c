// SPDX-License-Identifier: MIT
/*
 * The JSON writer. Hand-written rather than json-c because it sits on the
 * per-event hot path of `trace --json`: no tree, no allocation per value.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/json.h>
#include "../internal.h"

struct qz_json {
	char *buf;
	size_t len, cap;
	int err;
	int depth;		/* containers open */
	bool need_comma[QZ_JSON_MAX_DEPTH + 1];
	bool after_key;
};

QZ_API struct qz_json *qz_json__new(void)
{
	struct qz_json *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->cap = 4096;
	j->buf = malloc(j->cap);
	if (!j->buf) {
		free(j);
		return NULL;
	}
	j->buf[0] = 0;
	return j;
}

QZ_API void qz_json__free(struct qz_json *j)
{
	if (!j)
		return;
	free(j->buf);
	free(j);
}

QZ_API void qz_json__reset(struct qz_json *j)
{
	j->err = 0;
	j->len = 0;
	j->buf[0] = 0;
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

QZ_API const char *qz_json__data(const struct qz_json *j)
{
	return j->buf;
}

QZ_API size_t qz_json__len(const struct qz_json *j)
{
	return j->len;
}

QZ_API int qz_json__error(const struct qz_json *j)
{
	return j->err;
}

/* Grow so that n more bytes and the terminating NUL fit. */
static bool grow(struct qz_json *j, size_t n)
{
	size_t cap = j->cap;
	char *buf;

	if (j->err)
		return false;
	while (cap < j->len + n + 1)
		cap *= 2;
	buf = realloc(j->buf, cap);
	if (!buf) {
		j->err = -ENOMEM;
		return false;
	}
	j->buf = buf;
	j->cap = cap;
	return true;
}

/* Where n more bytes go, or NULL after an error: the text stops there. */
static inline char *room(struct qz_json *j, size_t n)
{
	if (__builtin_expect(j->len + n + 1 > j->cap || j->err, 0) && !grow(j, n))
		return NULL;
	return j->buf + j->len;
}

/* Small tokens dominate: a byte loop beats a call to memcpy for them. */
static inline void put(struct qz_json *j, const char *s, size_t n)
{
	char *p = room(j, n);

	if (!p)
		return;
	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			p[i] = s[i];
	} else {
		memcpy(p, s, n);
	}
	j->len += n;
	j->buf[j->len] = 0;
}

static inline void put_char(struct qz_json *j, char c)
{
	char *p = room(j, 1);

	if (!p)
		return;
	p[0] = c;
	p[1] = 0;
	j->len++;
}

/* A comma before every value but the first of its container. */
static void begin_value(struct qz_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (j->need_comma[j->depth])
		put_char(j, ',');
	j->need_comma[j->depth] = true;
}

static void fail(struct qz_json *j, int err)
{
	if (!j->err)
		j->err = err;
}

static void open_container(struct qz_json *j, char c)
{
	/* Deeper would share comma state with its parent: a corrupt line. */
	if (j->depth == QZ_JSON_MAX_DEPTH) {
		fail(j, -E2BIG);
		return;
	}
	begin_value(j);
	put_char(j, c);
	j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct qz_json *j, char c)
{
	if (!j->depth) {
		fail(j, -EINVAL);
		return;
	}
	put_char(j, c);
	j->depth--;
}

QZ_API void qz_json__begin_object(struct qz_json *j)
{
	open_container(j, '{');
}

QZ_API void qz_json__end_object(struct qz_json *j)
{
	close_container(j, '}');
}

QZ_API void qz_json__begin_array(struct qz_json *j)
{
	open_container(j, '[');
}

QZ_API void qz_json__end_array(struct qz_json *j)
{
	close_container(j, ']');
}

QZ_API void qz_json__newline(struct qz_json *j)
{
	put_char(j, '\n');
	j->depth = 0;
	j->need_comma[0] = false;
	j->after_key = false;
}

/* Bytes not copied as they are: those JSON escapes, and non-ASCII, whose
 * UTF-8 is checked. */
static const bool special[256] = {
	[0 ... 0x1f] = true, ['"'] = true, ['\\'] = true, [0x80 ... 0xff] = true,
};

/*
 * The length of the valid UTF-8 sequence at s (2 to 4), or minus the
 * length of its maximal invalid subpart, which becomes one U+FFFD (as
 * Unicode recommends): overlongs, surrogates and past U+10FFFF are invalid.
 */
static int utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int need;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		need = 1;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		need = 2;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		need = 3;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return -1;
	}
	for (int i = 1; i <= need; i++) {
		if ((size_t)i >= n || s[i] < lo || s[i] > hi)
			return -i;
		lo = 0x80;
		hi = 0xbf;
	}
	return need + 1;
}

static void put_escaped(struct qz_json *j, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t plain = 0;
	char *p;

	/* The common case: nothing to escape, one copy. */
	while (plain < n && !special[(unsigned char)s[plain]])
		plain++;
	if (plain == n) {
		p = room(j, n + 2);
		if (!p)
			return;
		p[0] = '"';
		memcpy(p + 1, s, n);
		p[n + 1] = '"';
		p[n + 2] = 0;
		j->len += n + 2;
		return;
	}
	put_char(j, '"');
	while (n) {
		size_t run = 0;

		int seq;

		/* Copy runs of plain characters in one go. */
		while (run < n && !special[(unsigned char)s[run]])
			run++;
		put(j, s, run);
		s += run;
		n -= run;
		if (!n)
			break;
		if ((unsigned char)*s >= 0x80) {
			seq = utf8_seq((const unsigned char *)s, n);
			if (seq > 0)
				put(j, s, (size_t)seq);
			else
				put(j, "\xef\xbf\xbd", 3);	/* U+FFFD */
			seq = seq > 0 ? seq : -seq;
			s += seq;
			n -= (size_t)seq;
			continue;
		}
		switch (*s) {
		case '"': put(j, "\\\"", 2); break;
		case '\\': put(j, "\\\\", 2); break;
		case '\n': put(j, "\\n", 2); break;
		case '\t': put(j, "\\t", 2); break;
		case '\r': put(j, "\\r", 2); break;
		default: {
			char esc[6] = { '\\', 'u', '0', '0',
					hex[(unsigned char)*s >> 4],
					hex[*s & 15] };

			put(j, esc, 6);
		}
		}
		s++;
		n--;
	}
	put_char(j, '"');
}

QZ_API void qz_json__key(struct qz_json *j, const char *key)
{
	begin_value(j);
	put_escaped(j, key, strlen(key));
	put_char(j, ':');
	j->after_key = true;
}

QZ_API void qz_json__strn(struct qz_json *j, const char *s, size_t len)
{
	begin_value(j);
	put_escaped(j, s, len);
}

QZ_API void qz_json__str(struct qz_json *j, const char *s)
{
	if (!s) {
		qz_json__null(j);
		return;
	}
	qz_json__strn(j, s, strlen(s));
}

/* Digits of v, written backwards into the end of buf; returns the start. */
static char *u64_digits(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

QZ_API void qz_json__u64(struct qz_json *j, uint64_t v)
{
	char buf[24], *p = u64_digits(v, buf + sizeof(buf));

	begin_value(j);
	put(j, p, (size_t)(buf + sizeof(buf) - p));
}

QZ_API void qz_json__i64(struct qz_json *j, int64_t v)
{
	char buf[24], *p;

	p = u64_digits(v < 0 ? 0 - (uint64_t)v : (uint64_t)v, buf + sizeof(buf));
	if (v < 0)
		*--p = '-';
	begin_value(j);
	put(j, p, (size_t)(buf + sizeof(buf) - p));
}

QZ_API void qz_json__double(struct qz_json *j, double v)
{
	char buf[32];
	int n;

	if (!isfinite(v)) {
		qz_json__null(j);
		return;
	}
	n = snprintf(buf, sizeof(buf), "%.17g", v);
	/* Shorter text when it round-trips: 0.1 rather than 0.10000000000000001. */
	for (int prec = 6; prec < 17; prec++) {
		char shorter[32];
		int m = snprintf(shorter, sizeof(shorter), "%.*g", prec, v);

		if (strtod(shorter, NULL) == v) {
			memcpy(buf, shorter, (size_t)m + 1);
			n = m;
			break;
		}
	}
	begin_value(j);
	put(j, buf, (size_t)n);
}

QZ_API void qz_json__bool(struct qz_json *j, bool v)
{
	begin_value(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

QZ_API void qz_json__null(struct qz_json *j)
{
	begin_value(j);
	put(j, "null", 4);
}

QZ_API void qz_json__raw(struct qz_json *j, const char *json, size_t len)
{
	begin_value(j);
	put(j, json, len);
}

QZ_API void qz_json__key_str(struct qz_json *j, const char *key, const char *s)
{
	qz_json__key(j, key);
	qz_json__str(j, s);
}

QZ_API void qz_json__key_i64(struct qz_json *j, const char *key, int64_t v)
{
	qz_json__key(j, key);
	qz_json__i64(j, v);
}

QZ_API void qz_json__key_u64(struct qz_json *j, const char *key, uint64_t v)
{
	qz_json__key(j, key);
	qz_json__u64(j, v);
}

QZ_API void qz_json__key_double(struct qz_json *j, const char *key, double v)
{
	qz_json__key(j, key);
	qz_json__double(j, v);
}

QZ_API void qz_json__key_bool(struct qz_json *j, const char *key, bool v)
{
	qz_json__key(j, key);
	qz_json__bool(j, v);
}
