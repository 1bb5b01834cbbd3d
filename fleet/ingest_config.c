// SPDX-License-Identifier: MIT
/*
 * `quazar ingest -c FILE`: YAML in the agent's style, walked by the agent's
 * config_schema.c against the tables below, so an error names the line, the
 * column and the key, in the agent's words. Intervals and sizes use the
 * agent's own parsers, so both files take the same units.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_schema.h"
#include "internal.h"
#include "fleet_internal.h"

/* The password alone may be empty (a user without one). */
static int p_str_or_empty(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a string");
	char **out = dst;

	if (!s)
		return -QZ_ERR_CONFIG;
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* A database name goes into SQL unquoted: letters, digits and _ only. */
static int p_name(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a name");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!*s || strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			     "0123456789_") != strlen(s))
		return qz_schema__fail(ld, node,
				       "\"%s\" is not a name of letters, digits and _", s);
	return qz_schema__str(ld, node, dst);
}

static int p_count(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a number");
	unsigned long long v;
	char *end;

	if (!s)
		return -QZ_ERR_CONFIG;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || !v)
		return qz_schema__fail(ld, node, "\"%s\" is not a whole number above 0", s);
	*(uint64_t *)dst = v;
	return 0;
}

static int p_size(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a size");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_size(s, dst) || !*(uint64_t *)dst)
		return qz_schema__fail(ld, node,
				       "\"%s\" is not a size above 0 (e.g. 64k, 16MiB)", s);
	return 0;
}

static int p_days(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a number of days");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off") || !strcmp(s, "0")) {
		*(unsigned int *)dst = 0;
		return 0;
	}
	if (qz_ingest_config__parse_days(s, dst))
		return qz_schema__fail(ld, node,
				       "\"%s\" is not a time in days (e.g. 30d, 2w, 72h) or off", s);
	return 0;
}

static int p_start(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "earliest or latest");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (strcmp(s, "earliest") && strcmp(s, "latest"))
		return qz_schema__fail(ld, node, "\"%s\" is neither earliest nor latest", s);
	*(bool *)dst = !strcmp(s, "latest");
	return 0;
}

static int p_listen(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	return qz_schema__listen(ld, node, dst, "127.0.0.1:9432");
}

/* librdkafka properties: a map of scalars, kept as name, value, ..., NULL. */
static int p_props(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));

	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node, "must be a mapping of librdkafka properties");
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		const char *ks = qz_schema__scalar(ld, k, "a property name");
		const char *vs = ks ? qz_schema__scalar(ld, val, "a string") : NULL;
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

static const struct qz_schema_field kafka_fields[] = {
	F("brokers", qz_schema__str, brokers, true),
	F("topic", qz_schema__str, topic, true),
	F("group", qz_schema__str, group, false),
	F("start", p_start, start_latest, false),
	F("session_timeout", qz_schema__interval_u32, session_timeout_ms, false),
	F("properties", p_props, properties, false),
	{ 0 }
};

static const struct qz_schema_field clickhouse_fields[] = {
	F("url", qz_schema__str, url, false),
	F("database", p_name, database, false),
	F("user", qz_schema__str, user, false),
	F("password", p_str_or_empty, password, false),
	F("timeout", qz_schema__interval_u32, timeout_ms, false),
	F("ttl", p_days, ttl_days, false),
	{ 0 }
};

static const struct qz_schema_field batch_fields[] = {
	F("max_rows", p_count, max_rows, false),
	F("max_bytes", p_size, max_bytes, false),
	F("max_age", qz_schema__interval, max_age_ms, false),
	{ 0 }
};

static const struct qz_schema_field retry_fields[] = {
	F("backoff", qz_schema__interval, backoff_ms, false),
	F("max_backoff", qz_schema__interval, max_backoff_ms, false),
	{ 0 }
};

static const struct qz_schema_field ingest_fields[] = {
	F("http_listen", p_listen, http_listen, false),
	F("log_level", qz_schema__log_level, log_level, false),
	{ 0 }
};

/*
 * ingest's sections are flat: each one's keys fill the one struct. Its
 * "must be a mapping" is its own (the agent's names the kind it got).
 */
static int section(struct qz_schema *ld, yaml_node_t *node,
		   const struct qz_schema_field *fields, void *cfg)
{
	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node, "must be a mapping");
	return qz_schema__fields(ld, node, fields, cfg);
}

static int p_kafka(struct qz_schema *ld, yaml_node_t *node, void *cfg)
{
	return section(ld, node, kafka_fields, cfg);
}

static int p_clickhouse(struct qz_schema *ld, yaml_node_t *node, void *cfg)
{
	return section(ld, node, clickhouse_fields, cfg);
}

static int p_batch(struct qz_schema *ld, yaml_node_t *node, void *cfg)
{
	return section(ld, node, batch_fields, cfg);
}

static int p_retry(struct qz_schema *ld, yaml_node_t *node, void *cfg)
{
	return section(ld, node, retry_fields, cfg);
}

static int p_ingest(struct qz_schema *ld, yaml_node_t *node, void *cfg)
{
	return section(ld, node, ingest_fields, cfg);
}

/* Sections, not members: each fills the whole struct (offset 0). */
static const struct qz_schema_field top_fields[] = {
	{ "kafka", p_kafka, 0, true },
	{ "clickhouse", p_clickhouse, 0, false },
	{ "batch", p_batch, 0, false },
	{ "retry", p_retry, 0, false },
	{ "ingest", p_ingest, 0, false },
	{ 0 }
};

int qz_ingest_config__parse(struct qz_schema *ld, yaml_node_t *root, void *cfg)
{
	const struct qz_ingest_config *c = cfg;
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, root, "the config must be a mapping");
	err = qz_schema__fields(ld, root, top_fields, cfg);
	if (err)
		return err;
	if (c->max_backoff_ms < c->backoff_ms)
		return qz_schema__fail(ld, NULL,
				       "retry.max_backoff is shorter than retry.backoff");
	return 0;
}
