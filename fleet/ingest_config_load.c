// SPDX-License-Identifier: MIT
/* Loading and freeing ingest's config; ingest_config.c checks it. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "fleet_internal.h"

static int set_defaults(void *cfg)
{
	struct qz_ingest_config *c = cfg;

	c->group = strdup("quazar-ingest");
	c->url = strdup("http://127.0.0.1:8123/");
	c->database = strdup("quazar");
	c->http_listen = strdup("127.0.0.1:9432");
	c->session_timeout_ms = 10000;
	c->timeout_ms = 30000;
	c->max_rows = 100000;
	c->max_bytes = 16ull << 20;
	c->max_age_ms = 1000;
	c->backoff_ms = 200;
	c->max_backoff_ms = 10000;
	c->log_level = QZ_LOG_INFO;
	return c->group && c->url && c->database && c->http_listen ? 0 : -ENOMEM;
}

void qz_ingest_config__free(struct qz_ingest_config *c)
{
	if (!c)
		return;
	free(c->brokers);
	free(c->topic);
	free(c->group);
	for (size_t i = 0; i < c->n_properties; i++)
		free(c->properties[i]);
	free(c->properties);
	free(c->url);
	free(c->database);
	free(c->user);
	free(c->password);
	free(c->http_listen);
	free(c);
}

static void free_config(void *cfg)
{
	qz_ingest_config__free(cfg);
}

static const struct qz_schema_ops ingest_config_ops = {
	.size = sizeof(struct qz_ingest_config),
	.set_defaults = set_defaults,
	.free = free_config,
	.check = qz_ingest_config__parse,
};

struct qz_ingest_config *qz_ingest_config__load_string(const char *text, size_t len,
						       struct qz_config_error *err)
{
	return qz_schema__load_string(&ingest_config_ops, text, len, err);
}

struct qz_ingest_config *qz_ingest_config__load_file(const char *path,
						     struct qz_config_error *err)
{
	return qz_schema__load_file(&ingest_config_ops, path, err);
}

int qz_ingest_config__parse_days(const char *text, unsigned int *days)
{
	static const struct {
		char unit;
		double days;
	} units[] = { { 'h', 1.0 / 24 }, { 'd', 1 }, { 'w', 7 } };
	char *end;
	double v;

	if (!text || !isdigit((unsigned char)*text))
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end[0] == 0 || end[1] != 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double d = v * units[i].days;

		if (*end != units[i].unit)
			continue;
		/* Partitions are days: anything shorter keeps one day. */
		if (d > 36500)
			return -ERANGE;
		*days = d < 1 ? 1 : (unsigned int)(d + 0.5);
		return 0;
	}
	return -EINVAL;
}
