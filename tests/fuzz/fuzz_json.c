// SPDX-License-Identifier: MIT
/*
 * The JSON writer on arbitrary strings, keys and nesting. The input is a
 * little program (open, close, string, number), its strings and keys raw
 * input bytes: invalid UTF-8 and control characters included. Whatever is
 * written must parse under json-c in strict mode with UTF-8 checked; keys
 * and strings that were valid UTF-8 must read back as they were; nesting
 * past the limit must be reported as -E2BIG, never written.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/json.h>

#define MAX_CHECKS 16

/* Written apart from the writer's check: through the code point. */
static bool valid_utf8(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp, min;
		size_t len;

		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			len = 2, cp = s[i] & 0x1f, min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			len = 3, cp = s[i] & 0x0f, min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			len = 4, cp = s[i] & 0x07, min = 0x10000;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

struct prog {
	const uint8_t *p;
	size_t n;
};

static uint8_t next(struct prog *g)
{
	uint8_t b = 0;

	if (g->n) {
		b = *g->p++;
		g->n--;
	}
	return b;
}

/* The next string: a length byte, then that many input bytes. */
static const char *take(struct prog *g, size_t *len)
{
	const char *s = (const char *)g->p;

	*len = next(g) % 40;
	if (*len > g->n)
		*len = g->n;
	g->p += *len;
	g->n -= *len;
	return s;
}

/* Strings whose text must be somewhere in the parsed tree. */
struct checks {
	char *s[MAX_CHECKS];
	size_t len[MAX_CHECKS];
	int n;
};

static void expect(struct checks *c, const char *s, size_t len)
{
	if (c->n == MAX_CHECKS || !valid_utf8((const uint8_t *)s, len))
		return;
	c->s[c->n] = malloc(len + 1);
	if (!c->s[c->n])
		return;
	memcpy(c->s[c->n], s, len);
	c->s[c->n][len] = 0;
	c->len[c->n++] = len;
}

static bool tree_has(struct json_object *o, const char *s, size_t len)
{
	struct json_object_iterator it, end;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return (size_t)json_object_get_string_len(o) == len &&
		       !memcmp(json_object_get_string(o), s, len);
	case json_type_array:
		for (size_t i = 0; i < json_object_array_length(o); i++)
			if (tree_has(json_object_array_get_idx(o, i), s, len))
				return true;
		return false;
	case json_type_object:
		it = json_object_iter_begin(o);
		end = json_object_iter_end(o);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it)) {
			const char *k = json_object_iter_peek_name(&it);

			if (strlen(k) == len && !memcmp(k, s, len))
				return true;
			if (tree_has(json_object_iter_peek_value(&it), s, len))
				return true;
		}
		return false;
	default:
		return false;
	}
}

/* A key of raw bytes, made unique (json-c keeps one value per key). */
static void key(struct qz_json *j, struct prog *g, struct checks *c, int nth)
{
	char k[64];
	size_t len;
	const char *s = take(g, &len);

	/* A key is a C string: it ends at a NUL, and the suffix goes there. */
	len = strnlen(s, len);
	memcpy(k, s, len);
	snprintf(k + len, sizeof(k) - len, "#%d", nth);
	qz_json__key(j, k);
	expect(c, k, strlen(k));
}

static void check_output(struct qz_json *j, struct checks *c)
{
	struct json_tokener *tok = json_tokener_new_ex(QZ_JSON_MAX_DEPTH + 1);
	struct json_object *obj;

	if (!tok)
		abort();
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	/* The line without its newline: strict mode wants the value alone. */
	obj = json_tokener_parse_ex(tok, qz_json__data(j), (int)qz_json__len(j) - 1);
	if (!obj || json_tokener_get_error(tok) != json_tokener_success) {
		fprintf(stderr, "does not parse (%s): %.300s\n",
			json_tokener_error_desc(json_tokener_get_error(tok)), qz_json__data(j));
		abort();
	}
	for (int i = 0; i < c->n; i++)
		if (!tree_has(obj, c->s[i], c->len[i])) {
			fprintf(stderr, "\"%s\" not read back from %.300s\n", c->s[i],
				qz_json__data(j));
			abort();
		}
	json_object_put(obj);
	json_tokener_free(tok);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qz_json *j = qz_json__new();
	bool in_object[QZ_JSON_MAX_DEPTH + 1] = { false };
	struct prog g = { data, size };
	struct checks c = { .n = 0 };
	int depth = 0, steps = 0;
	bool too_deep = false;
	const char *s;
	size_t len;

	if (!j)
		return 0;
	/* A report is one object. */
	qz_json__begin_object(j);
	in_object[++depth] = true;
	while (g.n && steps++ < 1024 && !too_deep) {
		uint8_t op = next(&g) % 8;

		if (op >= 2 && op <= 3) {
			if (depth > 1)
				in_object[depth--] ? qz_json__end_object(j) : qz_json__end_array(j);
			continue;
		}
		if (in_object[depth])
			key(j, &g, &c, steps);
		switch (op) {
		case 0:
		case 1:
			too_deep = depth == QZ_JSON_MAX_DEPTH;
			op ? qz_json__begin_array(j) : qz_json__begin_object(j);
			if (!too_deep)
				in_object[++depth] = !op;
			break;
		case 4:
		case 5:
			s = take(&g, &len);
			qz_json__strn(j, s, len);
			expect(&c, s, len);
			break;
		case 6:
			qz_json__i64(j, (int64_t)next(&g) - 128);
			break;
		default:
			qz_json__null(j);
			break;
		}
	}
	if (too_deep) {
		if (qz_json__error(j) != -E2BIG)
			abort();
	} else {
		while (depth > 0)
			in_object[depth--] ? qz_json__end_object(j) : qz_json__end_array(j);
		qz_json__newline(j);
		if (qz_json__error(j))
			abort();
		check_output(j, &c);
	}
	for (int i = 0; i < c.n; i++)
		free(c.s[i]);
	qz_json__free(j);
	return 0;
}
