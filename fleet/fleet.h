/* SPDX-License-Identifier: MIT */
/*
 * The fleet: `quazar ingest` loads the agents' reports from Kafka into
 * ClickHouse, and `quazar fleet` asks ClickHouse questions about every host.
 * An internal static library (libquazar-fleet.a) carrying libcurl, json-c,
 * librdkafka and libyaml. The reference is docs/fleet.md.
 */
#ifndef QUAZAR_FLEET_H
#define QUAZAR_FLEET_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>
#include "config.h"

/* `quazar ingest -c FILE`: the config, in the agent's YAML style. */
struct qz_ingest_config {
	/* kafka */
	char *brokers;
	char *topic;
	char *group;			/* default "quazar-ingest" */
	bool start_latest;		/* a new group starts at the end */
	unsigned int session_timeout_ms;	/* default 10 s */
	char **properties;		/* name, value, ..., NULL */
	size_t n_properties;
	/* clickhouse */
	char *url;			/* default http://127.0.0.1:8123/ */
	char *database;			/* default "quazar" */
	char *user, *password;		/* NULL: ClickHouse's default user */
	unsigned int timeout_ms;	/* one HTTP request; default 30 s */
	unsigned int ttl_days;		/* 0: keep forever */
	/* batch */
	uint64_t max_rows;		/* default 100000 */
	uint64_t max_bytes;		/* default 16 MiB of TSV */
	uint64_t max_age_ms;		/* default 1 s */
	/* retry */
	uint64_t backoff_ms;		/* first wait; default 200 ms */
	uint64_t max_backoff_ms;	/* default 10 s */
	/* ingest */
	char *http_listen;		/* NULL: off; default 127.0.0.1:9432 */
	enum qz_log_level log_level;
};

/*
 * NULL with errno (QZ_ERR_CONFIG with err filled, ENOENT, ENOMEM). Errors
 * are the agent's kind (config.h): "line L, column C: key: what".
 */
struct qz_ingest_config *qz_ingest_config__load_file(const char *path,
						     struct qz_config_error *err);
struct qz_ingest_config *qz_ingest_config__load_string(const char *text, size_t len,
						       struct qz_config_error *err);
void qz_ingest_config__free(struct qz_ingest_config *c);
/* "30d", "12h", "2w" to days (at least 1). */
int qz_ingest_config__parse_days(const char *text, unsigned int *days);

/* The ingest process: a Kafka consumer in a group, loading ClickHouse. */
struct qz_ingest;

struct qz_ingest *qz_ingest__new(const struct qz_ingest_config *cfg,
				 qz_log_fn log, void *log_ctx, char *err,
				 size_t err_len);
/* Runs until *stop becomes true, then flushes, commits and leaves the group. */
int qz_ingest__run(struct qz_ingest *in, volatile int *stop);
void qz_ingest__free(struct qz_ingest *in);
/* The HTTP port of /metrics, or 0. */
int qz_ingest__http_port(const struct qz_ingest *in);

/* deploy/clickhouse/schema.sql, as built in; and running it (--init). */
const char *qz_fleet__schema_sql(void);
int qz_fleet__init_schema(const struct qz_ingest_config *cfg, qz_log_fn log,
			  void *log_ctx, char *err, size_t err_len);

/* `quazar fleet ...`: where ClickHouse is and how to print. */
struct qz_fleet_opts {
	const char *url;
	const char *database;
	const char *user, *password;
	bool json;
};

struct qz_fleet_top_opts {
	const char *metric;		/* COLLECTOR.FIELD */
	uint64_t since_s;		/* the window; the one before is compared */
	uint64_t now_s;			/* 0: now */
	unsigned int limit;
	bool by_change;			/* rank by the change, not the value */
};
int qz_fleet__top(const struct qz_fleet_opts *o, const struct qz_fleet_top_opts *t,
		  char *err, size_t err_len);
int qz_fleet__vms(const struct qz_fleet_opts *o, const char *host_glob,
		  char *err, size_t err_len);
int qz_fleet__lost(const struct qz_fleet_opts *o, const char *host_glob,
		   char *err, size_t err_len);

struct qz_fleet_flame_opts {
	uint64_t from_s, to_s;		/* the window */
	uint64_t base_from_s, base_to_s;	/* --diff: the base window; 0: none */
	const char *host_glob;		/* NULL: every host */
	bool by_host;			/* the host as each stack's root frame */
	const char *svg_path;		/* -o */
	const char *title;
};
int qz_fleet__flamegraph(const struct qz_fleet_opts *o,
			 const struct qz_fleet_flame_opts *f, char *err,
			 size_t err_len);
/*
 * Draw svg_path from folded stacks (and a base for a differential graph).
 * The one place that names quazar's SVG flame graph writer.
 */
int qz_fleet__render_svg(const char *folded_path, const char *base_folded_path,
			 const char *svg_path, const char *title, char *err,
			 size_t err_len);

/*
 * Times on the command line: "2026-11-21 14:00[:05]" and "...T...Z" (UTC),
 * "14:00" (today, local time), "@1795273649" (Unix seconds), "now",
 * "now-1h", "-90s". Durations: "90s", "5m", "1h", "2d".
 */
int qz_fleet__parse_time(const char *text, uint64_t now_s, uint64_t *unix_s);
int qz_fleet__parse_duration(const char *text, uint64_t *seconds);

#endif
