// SPDX-License-Identifier: MIT
/* Loading, freeing and looking up the agent's config; config.c checks it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "config_internal.h"

static int set_defaults(void *cfg)
{
	struct qz_config *c = cfg;
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

static void free_config(void *cfg)
{
	qz_config__free(cfg);
}

static const struct qz_schema_ops config_ops = {
	.size = sizeof(struct qz_config),
	.set_defaults = set_defaults,
	.free = free_config,
	.check = qz_config_parse,
};

struct qz_config *qz_config__load_string(const char *text, size_t len,
					 struct qz_config_error *err)
{
	return qz_schema__load_string(&config_ops, text, len, err);
}

struct qz_config *qz_config__load_file(const char *path, struct qz_config_error *err)
{
	return qz_schema__load_file(&config_ops, path, err);
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
