/* SPDX-License-Identifier: MIT */
/* What the fleet library's files share. Never installed. */
#ifndef QUAZAR_FLEET_INTERNAL_H
#define QUAZAR_FLEET_INTERNAL_H

#include <stdio.h>
#include "batch.h"
#include "config_schema.h"
#include "fleet.h"

/* Fills cfg (a struct qz_ingest_config holding the defaults) from root. */
int qz_ingest_config__parse(struct qz_schema *ld, yaml_node_t *root, void *cfg);

/* ClickHouse over HTTP (clickhouse.c). */
struct qz_ch;

struct qz_ch *qz_ch__new(const char *url, const char *database, const char *user,
			 const char *password, unsigned int timeout_ms);
void qz_ch__free(struct qz_ch *ch);
/*
 * Runs query; body, when not NULL, is its data (an INSERT's rows). The
 * answer goes to out (may be NULL). 0; -EAGAIN when ClickHouse cannot be
 * reached or answers without an exception; -EIO with ClickHouse's own
 * exception in err; -ENOMEM.
 */
int qz_ch__query(struct qz_ch *ch, const char *query, const char *body, size_t len,
		 struct qz_buf *out, char *err, size_t err_len);

/* schema.c: the statements of the built-in schema.sql, one at a time. */
int qz_fleet__schema_next(const char **pos, char *stmt, size_t size);

/* retention.c: drop the day partitions older than ttl_days; dropped count. */
int qz_fleet__drop_old_partitions(struct qz_ch *ch, unsigned int ttl_days,
				  char *err, size_t err_len);

/* query.c: helpers of `quazar fleet`. */
struct qz_ch *qz_fleet__connect(const struct qz_fleet_opts *o);
/* 'text' quoted for SQL, into b. */
void qz_fleet__sql_quote(struct qz_buf *b, const char *text);
/* host LIKE pattern for a glob (* and ?), quoted, into b. */
void qz_fleet__sql_glob(struct qz_buf *b, const char *glob);
/*
 * Runs a SELECT and prints it: with --json as JSON lines (JSONEachRow),
 * else as an aligned text table with a header (TabSeparatedWithNames).
 */
int qz_fleet__print_query(const struct qz_fleet_opts *o, struct qz_ch *ch,
			  const char *sql, char *err, size_t err_len);
/* Runs a SELECT into out as TabSeparated. */
int qz_fleet__select_tsv(struct qz_ch *ch, const char *sql, struct qz_buf *out,
			 char *err, size_t err_len);

#endif
