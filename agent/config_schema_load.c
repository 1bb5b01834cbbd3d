// SPDX-License-Identifier: MIT
/*
 * Loading a config, of either kind: a file's text, libyaml's syntax errors
 * in our words, then the side's own check of the node tree over a struct
 * that holds its defaults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "config_schema.h"

/* text into doc (the caller deletes it on 0), and a root to check. */
static int load_doc(const char *text, size_t len, yaml_document_t *doc,
		    struct qz_config_error *e)
{
	yaml_parser_t parser;

	if (!yaml_parser_initialize(&parser))
		return -ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, doc)) {
		e->line = (int)parser.problem_mark.line + 1;
		e->column = (int)parser.problem_mark.column + 1;
		snprintf(e->msg, sizeof(e->msg), "line %d, column %d: syntax error: %s%s%s",
			 e->line, e->column, parser.problem ? parser.problem : "?",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		return -QZ_ERR_CONFIG;
	}
	yaml_parser_delete(&parser);
	if (!yaml_document_get_root_node(doc)) {
		yaml_document_delete(doc);
		snprintf(e->msg, sizeof(e->msg), "the config is empty");
		return -QZ_ERR_CONFIG;
	}
	return 0;
}

void *qz_schema__load_string(const struct qz_schema_ops *ops, const char *text,
			     size_t len, struct qz_config_error *err)
{
	struct qz_config_error scratch;
	struct qz_schema ld = { .err = err ? err : &scratch };
	yaml_document_t doc;
	void *cfg;
	int ret;

	memset(ld.err, 0, sizeof(*ld.err));
	if (!text) {
		errno = EINVAL;
		return NULL;
	}
	cfg = calloc(1, ops->size);
	if (!cfg || ops->set_defaults(cfg))
		ret = -ENOMEM;
	else
		ret = load_doc(text, len, &doc, ld.err);
	if (!ret) {
		ld.doc = &doc;
		ret = ops->check(&ld, yaml_document_get_root_node(&doc), cfg);
		yaml_document_delete(&doc);
	}
	if (ret) {
		ops->free(cfg);
		errno = -ret;
		return NULL;
	}
	return cfg;
}

/* The whole of f, NUL-terminated (owned); 0 or -errno. */
static int read_all(FILE *f, char **out, size_t *len)
{
	size_t cap = 0;
	char *text = NULL;

	*len = 0;
	for (;;) {
		if (*len + 1 >= cap) {
			char *grown;

			cap = cap ? cap * 2 : 8192;
			grown = realloc(text, cap);
			if (!grown) {
				free(text);
				return -ENOMEM;
			}
			text = grown;
		}
		*len += fread(text + *len, 1, cap - *len - 1, f);
		if (*len + 1 < cap)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		free(text);
		return -e;
	}
	text[*len] = 0;
	*out = text;
	return 0;
}

void *qz_schema__load_file(const struct qz_schema_ops *ops, const char *path,
			   struct qz_config_error *err)
{
	size_t len = 0;
	char *text = NULL;
	void *cfg;
	FILE *f;
	int ret;

	if (err)
		memset(err, 0, sizeof(*err));
	f = fopen(path, "re");
	ret = f ? read_all(f, &text, &len) : -errno;
	if (f)
		fclose(f);
	if (ret) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", strerror(-ret));
		errno = -ret;
		return NULL;
	}
	cfg = qz_schema__load_string(ops, text, len, err);
	free(text);
	return cfg;
}
