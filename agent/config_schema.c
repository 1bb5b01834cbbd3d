// SPDX-License-Identifier: MIT
/*
 * Walking a config's node tree: the key path, errors that name the line,
 * the column and the key, and mappings checked against tables of fields.
 * libyaml gives every node its line, which is why it reads our configs.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "config_schema.h"

int qz_schema__fail(struct qz_schema *ld, yaml_node_t *node, const char *fmt, ...)
{
	struct qz_config_error *e = ld->err;
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

size_t qz_schema__push(struct qz_schema *ld, const char *fmt, ...)
{
	size_t n = strlen(ld->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->path + n, sizeof(ld->path) - n, fmt, ap);
	va_end(ap);
	return n;
}

const char *qz_schema__kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

const char *qz_schema__scalar(struct qz_schema *ld, yaml_node_t *node, const char *want)
{
	if (node->type == YAML_SCALAR_NODE)
		return (const char *)node->data.scalar.value;
	qz_schema__fail(ld, node, "must be %s, not %s", want, qz_schema__kind(node));
	return NULL;
}

yaml_node_t *qz_schema__lookup(struct qz_schema *ld, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(ld->doc, p->value);
	}
	return NULL;
}

const struct qz_schema_field *qz_schema__field(const struct qz_schema_field *f,
					       const char *name)
{
	for (; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

int qz_schema__unknown_key(struct qz_schema *ld, yaml_node_t *key,
			   const struct qz_schema_field *f)
{
	char keys[256];
	size_t n = 0;

	keys[0] = 0;
	for (; f->name && n < sizeof(keys); f++)
		n += (size_t)snprintf(keys + n, sizeof(keys) - n, "%s%s", n ? ", " : "",
				      f->name);
	return qz_schema__fail(ld, key, "unknown key (known here: %s)", keys);
}

int qz_schema__fields(struct qz_schema *ld, yaml_node_t *node,
		      const struct qz_schema_field *fields, void *obj)
{
	unsigned long long seen = 0;	/* a bit a field: hence at most 64 */
	yaml_node_pair_t *p;
	int err;

	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node, "must be a mapping, not %s",
				       qz_schema__kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
		const char *name = qz_schema__scalar(ld, k, "a string key");
		const struct qz_schema_field *f;
		size_t old;

		if (!name)
			return -QZ_ERR_CONFIG;
		old = qz_schema__push(ld, "%s%s", ld->path[0] ? "." : "", name);
		f = qz_schema__field(fields, name);
		if (!f)
			return qz_schema__unknown_key(ld, k, fields);
		if (seen & (1ull << (f - fields)))
			return qz_schema__fail(ld, k, "duplicate key");
		seen |= 1ull << (f - fields);
		err = f->parse(ld, v, (char *)obj + f->off);
		if (err)
			return err;
		ld->path[old] = 0;
	}
	for (const struct qz_schema_field *f = fields; f->name; f++)
		if (f->required && !(seen & (1ull << (f - fields)))) {
			size_t old = qz_schema__push(ld, "%s%s", ld->path[0] ? "." : "", f->name);

			err = qz_schema__fail(ld, node, "required key missing");
			ld->path[old] = 0;
			return err;
		}
	return 0;
}
