// SPDX-License-Identifier: MIT
/*
 * `quazar ingest -c FILE`: YAML in the agent's style (agent/config.c), read
 * by libyaml into a node tree and checked against the tables below, so an
 * error names the line, the column and the key. Intervals and sizes use the
 * agent's own parsers, so both files take the same units.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>
#include "config.h"
#include "internal.h"
#include "fleet_internal.h"

struct ld {
	yaml_document_t *doc;
	struct qz_ingest_config_error *err;
	char path[128];
};

typedef int (*parse_fn)(struct ld *ld, yaml_node_t *node, void *dst);

struct field {
	const char *name;
	parse_fn parse;
	size_t off;
	bool required;
};

__attribute__((format(printf, 3, 4)))
static int fail(struct ld *ld, yaml_node_t *node, const char *fmt, ...)
{
	struct qz_ingest_config_error *e = ld->err;
	char what[320];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	e->line = node ? (int)node->start_mark.line + 1 : 0;
	e->column = node ? (int)node->start_mark.column + 1 : 0;
	snprintf(e->key, sizeof(e->key), "%s", ld->path);
	snprintf(e->msg, sizeof(e->msg), "line %d, column %d: %s%s%s", e->line,
		 e->column, e->key, *e->key ? ": " : "", what);
	return -QZ_ERR_CONFIG;
}

static const char *scalar(struct ld *ld, yaml_node_t *node, const char *want)
{
	if (node->type == YAML_SCALAR_NODE)
		return (const char *)node->data.scalar.value;
	fail(ld, node, "must be %s, not %s", want,
	     node->type == YAML_MAPPING_NODE ? "a mapping" : "a list");
	return NULL;
}

static int p_str(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a string");
	char **out = dst;

	if (!s)
		return -QZ_ERR_CONFIG;
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int p_nonempty(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a string");

	if (s && !*s)
		return fail(ld, node, "must not be empty");
	return s ? p_str(ld, node, dst) : -QZ_ERR_CONFIG;
}

/* A database name goes into SQL unquoted: letters, digits and _ only. */
static int p_name(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a name");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789_") != strlen(s))
		return fail(ld, node, "\"%s\" is not a name of letters, digits and _", s);
	return p_str(ld, node, dst);
}

static int p_count(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a number");
	unsigned long long v;
	char *end;

	if (!s)
		return -QZ_ERR_CONFIG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || !v)
		return fail(ld, node, "\"%s\" is not a whole number above 0", s);
	*(uint64_t *)dst = v;
	return 0;
}

static int p_size(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a size");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_size(s, dst) || !*(uint64_t *)dst)
		return fail(ld, node, "\"%s\" is not a size above 0 (e.g. 64k, 16MiB)", s);
	return 0;
}

static int p_interval(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "an interval");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_interval(s, dst))
		return fail(ld, node,
			    "\"%s\" is not an interval from 10ms to 24h (e.g. 500ms, 1s, 2m)", s);
	return 0;
}

static int p_interval_u32(struct ld *ld, yaml_node_t *node, void *dst)
{
	uint64_t ms;
	int err = p_interval(ld, node, &ms);

	if (!err)
		*(unsigned int *)dst = (unsigned int)ms;
	return err;
}

static int p_days(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a number of days");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		*(unsigned int *)dst = 0;
		return 0;
	}
	if (qz_ingest_config__parse_days(s, dst))
		return fail(ld, node, "\"%s\" is not a time in days (e.g. 30d, 2w, 72h) or off", s);
	return 0;
}

static int p_start(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "earliest or latest");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (strcmp(s, "earliest") && strcmp(s, "latest"))
		return fail(ld, node, "\"%s\" is neither earliest nor latest", s);
	*(bool *)dst = !strcmp(s, "latest");
	return 0;
}

static int p_log_level(struct ld *ld, yaml_node_t *node, void *dst)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	const char *s = scalar(ld, node, "a log level");

	if (!s)
		return -QZ_ERR_CONFIG;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i])) {
			*(enum qz_log_level *)dst = (enum qz_log_level)i;
			return 0;
		}
	return fail(ld, node, "\"%s\" is not a log level (error, warn, info, debug)", s);
}

static int p_listen(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "host:port");
	const char *colon;
	char *end;
	long port;

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off")) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	colon = strrchr(s, ':');
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || !colon[1] || *end || port < 0 || port > 65535)
		return fail(ld, node, "\"%s\" is not host:port (e.g. 127.0.0.1:9432) or off", s);
	return p_str(ld, node, dst);
}

/* librdkafka properties: a map of scalars, kept as name, value, ..., NULL. */
static int p_props(struct ld *ld, yaml_node_t *node, void *dst)
{
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));

	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping of librdkafka properties");
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		const char *ks = scalar(ld, k, "a property name");
		const char *vs = ks ? scalar(ld, val, "a string") : NULL;
		char **grown;

		if (!vs)
			return -QZ_ERR_CONFIG;
		grown = realloc(*v, (*n + 3) * sizeof(**v));
		if (!grown)
			return -ENOMEM;
		*v = grown;
		grown[*n] = strdup(ks);
		grown[*n + 1] = strdup(vs);
		grown[*n + 2] = NULL;
		*n += 2;
		if (!grown[*n - 2] || !grown[*n - 1])
			return -ENOMEM;
	}
	return 0;
}

#define F(name, fn, member, req) \
	{ name, fn, offsetof(struct qz_ingest_config, member), req }

static const struct field kafka_fields[] = {
	F("brokers", p_nonempty, brokers, true),
	F("topic", p_nonempty, topic, true),
	F("group", p_nonempty, group, false),
	F("start", p_start, start_latest, false),
	F("session_timeout", p_interval_u32, session_timeout_ms, false),
	F("properties", p_props, properties, false),
	{ 0 }
};

static const struct field clickhouse_fields[] = {
	F("url", p_nonempty, url, false),
	F("database", p_name, database, false),
	F("user", p_nonempty, user, false),
	F("password", p_str, password, false),
	F("timeout", p_interval_u32, timeout_ms, false),
	F("ttl", p_days, ttl_days, false),
	{ 0 }
};

static const struct field batch_fields[] = {
	F("max_rows", p_count, max_rows, false),
	F("max_bytes", p_size, max_bytes, false),
	F("max_age", p_interval, max_age_ms, false),
	{ 0 }
};

static const struct field retry_fields[] = {
	F("backoff", p_interval, backoff_ms, false),
	F("max_backoff", p_interval, max_backoff_ms, false),
	{ 0 }
};

static const struct field ingest_fields[] = {
	F("http_listen", p_listen, http_listen, false),
	F("log_level", p_log_level, log_level, false),
	{ 0 }
};

static const struct {
	const char *name;
	const struct field *fields;
	bool required;
} sections[] = {
	{ "kafka", kafka_fields, true },
	{ "clickhouse", clickhouse_fields, false },
	{ "batch", batch_fields, false },
	{ "retry", retry_fields, false },
	{ "ingest", ingest_fields, false },
};

static void list_keys(const char *const *names, size_t n, size_t stride,
		      char *out, size_t size)
{
	size_t len = 0;

	out[0] = 0;
	for (size_t i = 0; i < n && len < size; i++) {
		const char *name = *(const char *const *)((const char *)names + i * stride);

		len += (size_t)snprintf(out + len, size - len, "%s%s",
					len ? ", " : "", name);
	}
}

static int p_mapping(struct ld *ld, yaml_node_t *node, const struct field *fields,
		     struct qz_ingest_config *cfg)
{
	size_t base = strlen(ld->path), nf = 0;
	unsigned int seen = 0;
	char keys[256];
	int err;

	while (fields[nf].name)
		nf++;
	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping");
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		const char *name = scalar(ld, k, "a string key");
		size_t i;

		if (!name)
			return -QZ_ERR_CONFIG;
		snprintf(ld->path + base, sizeof(ld->path) - base, ".%s", name);
		for (i = 0; i < nf && strcmp(fields[i].name, name); i++)
			;
		if (i == nf) {
			list_keys(&fields[0].name, nf, sizeof(fields[0]), keys, sizeof(keys));
			return fail(ld, k, "unknown key (known here: %s)", keys);
		}
		if (seen & (1u << i))
			return fail(ld, k, "duplicate key");
		seen |= 1u << i;
		err = fields[i].parse(ld, yaml_document_get_node(ld->doc, p->value),
				      (char *)cfg + fields[i].off);
		if (err)
			return err;
	}
	for (size_t i = 0; i < nf; i++)
		if (fields[i].required && !(seen & (1u << i))) {
			snprintf(ld->path + base, sizeof(ld->path) - base, ".%s",
				 fields[i].name);
			return fail(ld, node, "required key missing");
		}
	ld->path[base] = 0;
	return 0;
}

static int p_top(struct ld *ld, yaml_node_t *root, struct qz_ingest_config *cfg)
{
	bool seen[QZ_ARRAY_SIZE(sections)] = { 0 };
	char keys[128];
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, root, "the config must be a mapping");
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		const char *name = scalar(ld, k, "a string key");
		size_t i;

		if (!name)
			return -QZ_ERR_CONFIG;
		snprintf(ld->path, sizeof(ld->path), "%s", name);
		for (i = 0; i < QZ_ARRAY_SIZE(sections) && strcmp(sections[i].name, name); i++)
			;
		if (i == QZ_ARRAY_SIZE(sections)) {
			list_keys(&sections[0].name, QZ_ARRAY_SIZE(sections),
				  sizeof(sections[0]), keys, sizeof(keys));
			return fail(ld, k, "unknown key (known here: %s)", keys);
		}
		if (seen[i])
			return fail(ld, k, "duplicate key");
		seen[i] = true;
		err = p_mapping(ld, yaml_document_get_node(ld->doc, p->value),
				sections[i].fields, cfg);
		if (err)
			return err;
	}
	for (size_t i = 0; i < QZ_ARRAY_SIZE(sections); i++)
		if (sections[i].required && !seen[i]) {
			snprintf(ld->path, sizeof(ld->path), "%s", sections[i].name);
			return fail(ld, root, "required key missing");
		}
	ld->path[0] = 0;
	if (cfg->max_backoff_ms < cfg->backoff_ms)
		return fail(ld, NULL, "retry.max_backoff is shorter than retry.backoff");
	return 0;
}

int qz_ingest_config__parse(yaml_document_t *doc, struct qz_ingest_config *cfg,
			    struct qz_ingest_config_error *err)
{
	struct ld ld = { .doc = doc, .err = err };
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (!root) {
		snprintf(err->msg, sizeof(err->msg), "the config is empty");
		return -QZ_ERR_CONFIG;
	}
	return p_top(&ld, root, cfg);
}
