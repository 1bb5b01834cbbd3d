/* SPDX-License-Identifier: MIT */
/*
 * What the agent's config (config.c) and ingest's (fleet/ingest_config.c)
 * share: YAML read by libyaml into a node tree, walked against tables of
 * fields, with every error naming the line, the column and the key's path
 * ("sinks.kafka.topic: ..."). Each side keeps its own tables, value parsers
 * and top level. Never installed.
 */
#ifndef QUAZAR_CONFIG_SCHEMA_H
#define QUAZAR_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>
#include "config.h"

/* One load's walk over its document; the code that takes one names it ld. */
struct qz_schema {
	yaml_document_t *doc;
	struct qz_config_error *err;
	char path[128];		/* the key being read, e.g. "sinks.kafka.topic" */
	void *ctx;		/* the side's own state, for its parse functions */
};

/* Reads node into dst: 0, -QZ_ERR_CONFIG (ld->err filled) or -ENOMEM. */
typedef int (*qz_schema_parse_fn)(struct qz_schema *ld, yaml_node_t *node, void *dst);

/* A key of a mapping; a table of them ends with { 0 }, at most 64 keys. */
struct qz_schema_field {
	const char *name;
	qz_schema_parse_fn parse;
	size_t off;		/* where the value lands in the mapping's struct */
	bool required;
};

/* A kind of config file: its struct, its defaults and its top level. */
struct qz_schema_ops {
	size_t size;
	int (*set_defaults)(void *cfg);		/* 0 or -ENOMEM */
	void (*free)(void *cfg);			/* accepts NULL */
	/* Fills cfg from the root node; 0 or -errno (ld->err filled). */
	int (*check)(struct qz_schema *ld, yaml_node_t *root, void *cfg);
};

/*
 * A new config (owned, freed with ops->free), or NULL with errno:
 * QZ_ERR_CONFIG (err filled), ENOENT, ENOMEM, ... err may be NULL.
 */
void *qz_schema__load_string(const struct qz_schema_ops *ops, const char *text,
			     size_t len, struct qz_config_error *err);
void *qz_schema__load_file(const struct qz_schema_ops *ops, const char *path,
			   struct qz_config_error *err);

/* Fills ld->err about node (NULL: no place) and the path; -QZ_ERR_CONFIG. */
int qz_schema__fail(struct qz_schema *ld, yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Appends ".name" or "[i]" to the path; returns the old length, to cut back to. */
size_t qz_schema__push(struct qz_schema *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "a mapping", "a list" or "a scalar", for "must be X, not Y". */
const char *qz_schema__kind(const yaml_node_t *node);
/* node's text (borrowed), or NULL having failed with "must be <want>, not ...". */
const char *qz_schema__scalar(struct qz_schema *ld, yaml_node_t *node, const char *want);
/* The value of the first key named key in map (borrowed); NULL: none. */
yaml_node_t *qz_schema__lookup(struct qz_schema *ld, yaml_node_t *map, const char *key);
const struct qz_schema_field *qz_schema__field(const struct qz_schema_field *fields,
					       const char *name);
/* Fails on key, listing the keys known here. */
int qz_schema__unknown_key(struct qz_schema *ld, yaml_node_t *key,
			   const struct qz_schema_field *fields);
/*
 * A mapping checked against fields, each value parsed into obj + off:
 * unknown, duplicate and missing required keys are errors.
 */
int qz_schema__fields(struct qz_schema *ld, yaml_node_t *node,
		      const struct qz_schema_field *fields, void *obj);

/* Value parsers both sides use (qz_schema_parse_fn). */
int qz_schema__str(struct qz_schema *ld, yaml_node_t *node, void *dst);	/* char *, not empty */
int qz_schema__interval(struct qz_schema *ld, yaml_node_t *node, void *dst);	/* uint64_t ms */
int qz_schema__interval_u32(struct qz_schema *ld, yaml_node_t *node, void *dst); /* unsigned int ms */
int qz_schema__log_level(struct qz_schema *ld, yaml_node_t *node, void *dst);	/* enum qz_log_level */
/* host:port or off (NULL) into a char *; example is the side's default. */
int qz_schema__listen(struct qz_schema *ld, yaml_node_t *node, void *dst,
		      const char *example);

#endif
