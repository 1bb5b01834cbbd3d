// SPDX-License-Identifier: MIT
/* Loading, freeing and looking up the agent's config; config.c checks it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>
#include "config.h"
#include "config_internal.h"

static int set_defaults(struct qz_config *c)
{
	char host[256];

	c->log_level = QZ_LOG_INFO;
	c->spool_max_bytes = QZ_CONFIG_SPOOL_MAX_BYTES;
	c->spool_dir = strdup(QZ_CONFIG_SPOOL_DIR);
	c->http_socket = strdup(QZ_CONFIG_HTTP_SOCKET);
	if (gethostname(host, sizeof(host)))
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = 0;
	c->host = strdup(host);
	return c->spool_dir && c->http_socket && c->host ? 0 : -ENOMEM;
}

struct qz_config *qz_config__load_string(const char *text, size_t len,
						struct qz_config_error *err)
{
	struct qz_config_error scratch;
	yaml_parser_t parser;
	struct qz_config_error *e = err ? err : &scratch;
	struct qz_config *cfg;
	yaml_document_t doc;
	int ret;

	memset(e, 0, sizeof(*e));
	if (!text) {
		errno = EINVAL;
		return NULL;
	}
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || set_defaults(cfg)) {
		qz_config__free(cfg);
		errno = ENOMEM;
		return NULL;
	}
	if (!yaml_parser_initialize(&parser)) {
		qz_config__free(cfg);
		errno = ENOMEM;
		return NULL;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		e->line = (int)parser.problem_mark.line + 1;
		e->column = (int)parser.problem_mark.column + 1;
		snprintf(e->msg, sizeof(e->msg), "line %d, column %d: syntax error: %s%s%s",
			 e->line, e->column, parser.problem ? parser.problem : "?",
			 parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		qz_config__free(cfg);
		errno = QZ_ERR_CONFIG;
		return NULL;
	}
	yaml_parser_delete(&parser);
	ret = qz_config_parse(&doc, cfg, e);
	yaml_document_delete(&doc);
	if (ret) {
		qz_config__free(cfg);
		errno = -ret;
		return NULL;
	}
	return cfg;
}

struct qz_config *qz_config__load_file(const char *path,
					      struct qz_config_error *err)
{
	struct qz_config *c;
	size_t len = 0, cap = 0;
	char *text = NULL;
	FILE *f;

	if (err)
		memset(err, 0, sizeof(*err));
	f = fopen(path, "re");
	if (!f) {
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", strerror(errno));
		return NULL;
	}
	for (;;) {
		char *grown;

		if (len == cap) {
			cap = cap ? cap * 2 : 8192;
			grown = realloc(text, cap);
			if (!grown) {
				free(text);
				fclose(f);
				errno = ENOMEM;
				return NULL;
			}
			text = grown;
		}
		len += fread(text + len, 1, cap - len, f);
		if (len < cap)
			break;
	}
	if (ferror(f)) {
		int e = errno ? errno : EIO;

		free(text);
		fclose(f);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", strerror(e));
		errno = e;
		return NULL;
	}
	fclose(f);
	c = qz_config__load_string(text, len, err);
	free(text);
	return c;
}

static void free_kv(struct qz_config_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void qz_config__free(struct qz_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n_sinks; i++) {
		struct qz_config_sink *s = &c->sinks[i];

		free(s->name);
		free(s->path);
		free(s->brokers);
		free(s->topic);
		free(s->key);
		free(s->compression);
		free(s->acks);
		free_kv(s->properties, s->n_properties);
	}
	for (size_t i = 0; i < c->n_collectors; i++) {
		struct qz_config_collector *col = &c->collectors[i];

		free(col->name);
		free(col->profiler);
		free_strv(col->events, col->n_events);
		free_strv(col->options, col->n_options);
		free(col->sink);
	}
	free(c->sinks);
	free(c->collectors);
	free_kv(c->labels, c->n_labels);
	free(c->host);
	free(c->spool_dir);
	free(c->state_dir);
	free(c->http_listen);
	free(c->http_socket);
	free(c->http_token_file);
	free(c);
}

const struct qz_config_sink *qz_config__sink(const struct qz_config *c,
						    const char *name)
{
	for (size_t i = 0; c && name && i < c->n_sinks; i++)
		if (c->sinks[i].name && !strcmp(c->sinks[i].name, name))
			return &c->sinks[i];
	return NULL;
}

const struct qz_config_collector *
qz_config__collector(const struct qz_config *c, const char *name)
{
	for (size_t i = 0; c && name && i < c->n_collectors; i++)
		if (c->collectors[i].name && !strcmp(c->collectors[i].name, name))
			return &c->collectors[i];
	return NULL;
}
