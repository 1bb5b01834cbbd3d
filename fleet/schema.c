// SPDX-License-Identifier: MIT
/*
 * `quazar ingest --init`: creates the database and runs the built-in
 * deploy/clickhouse/schema.sql in it. Every statement is IF NOT EXISTS, so
 * running it again is harmless.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "fleet_internal.h"

/* The next statement: comment lines left out, up to a ';' ending a line. */
int qz_fleet__schema_next(const char **pos, char *stmt, size_t size)
{
	const char *p = *pos;
	size_t n = 0;

	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		const char *s = p;

		p += len + (eol != NULL);
		while (len && (*s == ' ' || *s == '\t')) {
			s++;
			len--;
		}
		if (!len || !strncmp(s, "--", 2))
			continue;
		if (n + len + 2 > size)
			return -E2BIG;
		memcpy(stmt + n, s, len);
		n += len;
		stmt[n++] = ' ';
		if (s[len - 1] == ';') {
			stmt[n - 2] = 0;
			*pos = p;
			return 1;
		}
	}
	*pos = p;
	if (n)
		return -EINVAL;	/* no ';' at the end */
	return 0;
}

int qz_fleet__init_schema(const struct qz_ingest_config *cfg, qz_log_fn log,
			  void *log_ctx, char *err, size_t err_len)
{
	struct qz_logger lg = { log, log_ctx };
	const char *pos = qz_fleet__schema_sql();
	struct qz_ch *ch;
	char why[512], *stmt;
	int ret, n = 0;

	stmt = malloc(16384);
	ch = qz_ch__new(cfg->url, "default", cfg->user, cfg->password, cfg->timeout_ms);
	if (!ch || !stmt) {
		snprintf(err, err_len, "out of memory");
		ret = -ENOMEM;
		goto out;
	}
	snprintf(stmt, 16384, "CREATE DATABASE IF NOT EXISTS `%s`", cfg->database);
	ret = qz_ch__query(ch, stmt, NULL, 0, NULL, why, sizeof(why));
	if (ret) {
		snprintf(err, err_len, "%s: %s", cfg->url, why);
		goto out;
	}
	qz_ch__free(ch);
	ch = qz_ch__new(cfg->url, cfg->database, cfg->user, cfg->password, cfg->timeout_ms);
	while (ch && (ret = qz_fleet__schema_next(&pos, stmt, 16384)) > 0) {
		ret = qz_ch__query(ch, stmt, NULL, 0, NULL, why, sizeof(why));
		if (ret) {
			snprintf(err, err_len, "schema statement %d: %s", n + 1, why);
			goto out;
		}
		n++;
	}
	if (ret < 0) {
		snprintf(err, err_len, "the built-in schema is malformed after statement %d", n);
		goto out;
	}
	qz_log(&lg, QZ_LOG_INFO, "database %s at %s: %d schema statements applied",
	       cfg->database, cfg->url, n);
out:
	qz_ch__free(ch);
	free(stmt);
	return ret;
}
