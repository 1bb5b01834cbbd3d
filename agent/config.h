/* SPDX-License-Identifier: MIT */
/*
 * The agent's YAML config: global settings, named sinks and collectors.
 * Loading checks it against a schema; an error names the line, the column
 * and the key (as a path: "collectors[1].interval"). The reference is
 * docs/config.md.
 *
 *	struct qz_config_error e;
 *	struct qz_config *c = qz_config__load_file(path, &e);
 *	if (!c)
 *		fprintf(stderr, "%s: %s\n", path, e.msg);
 *
 * Everything in a loaded config is owned by it and freed with it.
 */
#ifndef QUAZAR_CONFIG_H
#define QUAZAR_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define QZ_CONFIG_HTTP_SOCKET "/run/quazar/agent.sock"
#define QZ_CONFIG_SPOOL_DIR "/var/lib/quazar/spool"
#define QZ_CONFIG_SPOOL_MAX_BYTES (256ull << 20)

struct qz_config_kv {
	char *key;
	char *value;
};

enum qz_config_sink_type {
	QZ_CONFIG_SINK_STDOUT,
	QZ_CONFIG_SINK_FILE,
	QZ_CONFIG_SINK_KAFKA,
};

struct qz_config_sink {
	char *name;
	enum qz_config_sink_type type;
	int line;			/* where it is defined; 0: built in */
	/* file */
	char *path;
	uint64_t max_bytes;		/* 0: never rotate */
	unsigned int max_files;
	/* kafka */
	char *brokers;
	char *topic;
	char *key;			/* NULL: each collector's name */
	char *compression;		/* NULL: none */
	char *acks;			/* NULL: all */
	unsigned int message_timeout_ms; /* 0: the sink's default */
	unsigned int probe_timeout_ms;	/* 0: the agent's (5 s) */
	bool durability_disk;		/* spool every report before it is sent */
	struct qz_config_kv *properties; /* passed to librdkafka as is */
	size_t n_properties;
};

struct qz_config_collector {
	char *name;
	char *profiler;
	char **events;			/* each one as a -e on the CLI */
	size_t n_events;
	char **options;			/* CLI arguments, in order */
	size_t n_options;
	uint64_t interval_ms;
	char *sink;			/* a name in sinks[] */
	int line;
};

struct qz_config {
	char *host;			/* default: gethostname() */
	struct qz_config_kv *labels;
	size_t n_labels;
	enum qz_log_level log_level;	/* default: info */
	char *spool_dir;
	uint64_t spool_max_bytes;
	char *state_dir;		/* each collector's last seq; NULL: none */
	char *http_listen;		/* TCP host:port; NULL: none ("off", the default) */
	char *http_socket;		/* unix socket path (mode 0600); NULL: none */
	char *http_token_file;		/* bearer token for /data, /metrics; NULL: none */
	bool http_kernel_addrs;		/* /data shows kernel addresses as they are */
	struct qz_config_sink *sinks;	/* "stdout" is always there */
	size_t n_sinks;
	struct qz_config_collector *collectors;
	size_t n_collectors;
};

struct qz_config_error {
	int line, column;		/* 1-based; 0 when not about a place */
	char key[128];			/* the key's path; "" for syntax errors */
	char msg[512];			/* the whole message, with line and key */
};

/* NULL with errno QZ_ERR_CONFIG (and err filled), ENOENT, ENOMEM, ... */
struct qz_config *qz_config__load_file(const char *path,
					      struct qz_config_error *err);
struct qz_config *qz_config__load_string(const char *text, size_t len,
						struct qz_config_error *err);
void qz_config__free(struct qz_config *cfg);
/* The built-in config the agent runs without -c (static text). */
const char *qz_config__default_yaml(void);
/* Borrowed; NULL when not defined. */
const struct qz_config_sink *
qz_config__sink(const struct qz_config *cfg, const char *name);
const struct qz_config_collector *
qz_config__collector(const struct qz_config *cfg, const char *name);
/* "500ms", "1s", "1.5s", "2m", "1h" (a bare number is seconds) to ms. */
int qz_config__parse_interval(const char *text, uint64_t *ms);
/* "4096", "64k", "256MiB", "1G" (binary units) to bytes. */
int qz_config__parse_size(const char *text, uint64_t *bytes);

#ifdef __cplusplus
}
#endif

#endif
