// SPDX-License-Identifier: MIT
/* Loading and freeing ingest's config; ingest_config.c checks it. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include "fleet_internal.h"

static int set_defaults(struct qz_ingest_config *c)
{
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

struct qz_ingest_config *qz_ingest_config__load_string(const char *text, size_t len,
						       struct qz_ingest_config_error *err)
{
	struct qz_ingest_config_error scratch;
	struct qz_ingest_config_error *e = err ? err : &scratch;
	struct qz_ingest_config *cfg;
	yaml_parser_t parser;
	yaml_document_t doc;
	int ret;

	memset(e, 0, sizeof(*e));
	cfg = calloc(1, sizeof(*cfg));
	if (!cfg || set_defaults(cfg) || !yaml_parser_initialize(&parser)) {
		qz_ingest_config__free(cfg);
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
		qz_ingest_config__free(cfg);
		errno = QZ_ERR_CONFIG;
		return NULL;
	}
	yaml_parser_delete(&parser);
	ret = qz_ingest_config__parse(&doc, cfg, e);
	yaml_document_delete(&doc);
	if (ret) {
		qz_ingest_config__free(cfg);
		errno = -ret;
		return NULL;
	}
	return cfg;
}

struct qz_ingest_config *qz_ingest_config__load_file(const char *path,
						     struct qz_ingest_config_error *err)
{
	struct qz_ingest_config *c;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (err)
		memset(err, 0, sizeof(*err));
	f = fopen(path, "re");
	if (!f || qz_fleet__read_all(f, &text, &len)) {
		int e = errno ? errno : EIO;

		if (f)
			fclose(f);
		if (err)
			snprintf(err->msg, sizeof(err->msg), "%s", strerror(e));
		errno = e;
		return NULL;
	}
	fclose(f);
	c = qz_ingest_config__load_string(text, len, err);
	free(text);
	return c;
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

int qz_fleet__read_all(FILE *f, char **out, size_t *len)
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
				errno = ENOMEM;
				return -ENOMEM;
			}
			text = grown;
		}
		*len += fread(text + *len, 1, cap - *len - 1, f);
		if (*len + 1 < cap)
			break;
	}
	if (ferror(f)) {
		free(text);
		errno = EIO;
		return -EIO;
	}
	text[*len] = 0;
	*out = text;
	return 0;
}
