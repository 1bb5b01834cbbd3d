// SPDX-License-Identifier: MIT
/*
 * The agent's config: YAML read by libyaml into a node tree, then checked
 * against the schema tables below. libcyaml was the first choice, but it
 * cannot load maps with free keys (labels, kafka properties, options) nor a
 * value that is a string or a list (events); libyaml gives us the line of
 * every node, so errors can name the line and the key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>
#include "config.h"
#include "internal.h"
#include "config_internal.h"

struct ld {
	yaml_document_t doc;
	struct qz_config *cfg;
	struct qz_config_error *err;
	char path[128];		/* the key being read, e.g. "sinks.kafka.topic" */
	int type;		/* the sink type being read */
	yaml_node_t *collector;	/* the collector being read */
};

typedef int (*parse_fn)(struct ld *ld, yaml_node_t *node, void *dst);

static yaml_node_t *lookup(struct ld *ld, yaml_node_t *map, const char *key);

struct field {
	const char *name;
	parse_fn parse;
	size_t off;
	bool required;
};

static int fail(struct ld *ld, yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ld *ld, yaml_node_t *node, const char *fmt, ...)
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

/* Appends ".name" or "[i]" to the path; returns the old length to restore. */
static size_t path_push(struct ld *ld, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static size_t path_push(struct ld *ld, const char *fmt, ...)
{
	size_t n = strlen(ld->path);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ld->path + n, sizeof(ld->path) - n, fmt, ap);
	va_end(ap);
	return n;
}

static const char *node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE: return "a mapping";
	case YAML_SEQUENCE_NODE: return "a list";
	default: return "a scalar";
	}
}

static const char *scalar(struct ld *ld, yaml_node_t *node, const char *want)
{
	if (node->type == YAML_SCALAR_NODE)
		return (const char *)node->data.scalar.value;
	fail(ld, node, "must be %s, not %s", want, node_kind(node));
	return NULL;
}

static int p_str(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a string");
	char **out = dst;

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!*s)
		return fail(ld, node, "must not be empty");
	free(*out);
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

static int p_uint(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a number");
	unsigned long v;
	char *end;

	if (!s)
		return -QZ_ERR_CONFIG;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v > UINT32_MAX)
		return fail(ld, node, "\"%s\" is not a number from 0 to %u", s,
			    UINT32_MAX);
	*(unsigned int *)dst = (unsigned int)v;
	return 0;
}

static int p_size(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a size");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_size(s, dst))
		return fail(ld, node, "\"%s\" is not a size (e.g. 4096, 64k, 256MiB, 1G)", s);
	return 0;
}

static int p_interval(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "an interval");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_interval(s, dst))
		return fail(ld, node,
			    "\"%s\" is not an interval from 10ms to 24h (e.g. 500ms, 1s, 2m)", s);
	return 0;
}

static int p_interval_u32(struct ld *ld, yaml_node_t *node, void *dst)
{
	uint64_t ms;
	int err = p_interval(ld, node, &ms);

	if (!err)
		*(unsigned int *)dst = (unsigned int)ms;
	return err;
}

static int p_log_level(struct ld *ld, yaml_node_t *node, void *dst)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };
	const char *s = scalar(ld, node, "a log level");

	if (!s)
		return -QZ_ERR_CONFIG;
	for (int i = 0; i < 4; i++)
		if (!strcasecmp(s, names[i])) {
			*(enum qz_log_level *)dst = (enum qz_log_level)i;
			return 0;
		}
	if (!strcasecmp(s, "warning")) {
		*(enum qz_log_level *)dst = QZ_LOG_WARN;
		return 0;
	}
	return fail(ld, node, "\"%s\" is not a log level (error, warn, info, debug)", s);
}

/* memory: a report is safe once acked or spooled; disk: once spooled,
 * which it is before it is sent. */
static int p_durability(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "memory or disk");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (strcmp(s, "memory") && strcmp(s, "disk"))
		return fail(ld, node, "\"%s\" is not a durability (memory, disk)", s);
	*(bool *)dst = !strcmp(s, "disk");
	return 0;
}

static int p_listen(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "host:port");
	const char *colon;
	char *end;
	long port;

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off")) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	colon = strrchr(s, ':');
	port = colon ? strtol(colon + 1, &end, 10) : -1;
	if (!colon || !colon[1] || *end || port < 0 || port > 65535)
		return fail(ld, node, "\"%s\" is not host:port (e.g. 127.0.0.1:9431) or off", s);
	return p_str(ld, node, dst);
}

/* A unix socket's path: absolute, short enough for sockaddr_un; or off. */
static int p_socket(struct ld *ld, yaml_node_t *node, void *dst)
{
	const char *s = scalar(ld, node, "a path");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off")) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	if (s[0] != '/')
		return fail(ld, node, "\"%s\" is not an absolute path (e.g. %s) or off", s,
			    QZ_CONFIG_HTTP_SOCKET);
	if (strlen(s) >= 100)
		return fail(ld, node, "\"%s\" is too long for a unix socket (at most 99 bytes)", s);
	return p_str(ld, node, dst);
}

static int p_bool(struct ld *ld, yaml_node_t *node, void *dst)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
	const char *s = scalar(ld, node, "true or false");

	if (!s)
		return -QZ_ERR_CONFIG;
	for (size_t i = 0; i < QZ_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*(bool *)dst = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return fail(ld, node, "\"%s\" is not true or false", s);
}

/* A map of scalars to scalars: labels, kafka properties. */
static int p_kv(struct ld *ld, yaml_node_t *node, void *dst)
{
	struct qz_config_kv **kv = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*kv));
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping, not %s", node_kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		const char *ks = scalar(ld, k, "a string key"), *vs;
		struct qz_config_kv *grown;
		size_t old;

		if (!ks)
			return -QZ_ERR_CONFIG;
		old = path_push(ld, ".%s", ks);
		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*kv)[i].key, ks))
				return fail(ld, k, "duplicate key");
		vs = scalar(ld, v, "a string");
		if (!vs)
			return -QZ_ERR_CONFIG;
		ld->path[old] = 0;
		grown = realloc(*kv, (*n + 1) * sizeof(**kv));
		if (!grown)
			return -ENOMEM;
		*kv = grown;
		grown[*n].key = strdup(ks);
		grown[*n].value = strdup(vs);
		(*n)++;
		if (!grown[*n - 1].key || !grown[*n - 1].value)
			return -ENOMEM;
	}
	return 0;
}

static int push_str(char ***v, size_t *n, const char *s)
{
	char **grown = realloc(*v, (*n + 1) * sizeof(**v));

	if (!grown)
		return -ENOMEM;
	*v = grown;
	grown[*n] = strdup(s);
	return grown[(*n)++] ? 0 : -ENOMEM;
}

/* events: one selector string, or a list of them. */
static int p_strlist(struct ld *ld, yaml_node_t *node, void *dst)
{
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));
	yaml_node_item_t *it;

	if (node->type == YAML_SCALAR_NODE) {
		if (!*node->data.scalar.value)
			return fail(ld, node, "must not be empty");
		return push_str(v, n, (const char *)node->data.scalar.value);
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return fail(ld, node, "must be a string or a list, not %s",
			    node_kind(node));
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc, *it);
		size_t old = path_push(ld, "[%zu]", (size_t)(it - node->data.sequence.items.start));
		const char *s = scalar(ld, e, "a string");
		int err;

		if (!s)
			return -QZ_ERR_CONFIG;
		if (!*s)
			return fail(ld, e, "must not be empty");
		ld->path[old] = 0;
		err = push_str(v, n, s);
		if (err)
			return err;
	}
	return 0;
}

/* options: CLI arguments as a list, or a map: {k: v} is --k=v, {k: true} --k. */
static int p_options(struct ld *ld, yaml_node_t *node, void *dst)
{
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return node->type == YAML_SEQUENCE_NODE ? p_strlist(ld, node, dst) :
		       fail(ld, node, "must be a list or a mapping, not %s",
			    node_kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&ld->doc, p->value);
		const char *ks = scalar(ld, k, "a string key"), *vs;
		char arg[512];
		size_t old;
		int err, len;

		if (!ks)
			return -QZ_ERR_CONFIG;
		old = path_push(ld, ".%s", ks);
		vs = scalar(ld, val, "a scalar");
		if (!vs)
			return -QZ_ERR_CONFIG;
		ld->path[old] = 0;
		if (!strcmp(vs, "false"))
			continue;
		if (!strcmp(vs, "true"))
			len = snprintf(arg, sizeof(arg), "--%s", ks);
		else
			len = snprintf(arg, sizeof(arg), "--%s=%s", ks, vs);
		/* Cut, a filter would mean something else: refuse instead. */
		if (len < 0 || (size_t)len >= sizeof(arg)) {
			yaml_node_t *name = ld->collector ? lookup(ld, ld->collector, "name") : NULL;

			path_push(ld, ".%s", ks);
			return fail(ld, val, "collector '%s': the option is %d bytes as --%s=VALUE, "
				    "more than %zu; shorten it",
				    name && name->type == YAML_SCALAR_NODE ?
				    (const char *)name->data.scalar.value : "?", len, ks,
				    sizeof(arg) - 1);
		}
		err = push_str(v, n, arg);
		if (err)
			return err;
	}
	return 0;
}

static void list_keys(const struct field *f, char *out, size_t size)
{
	size_t n = 0;

	out[0] = 0;
	for (; f->name && n < size; f++)
		n += (size_t)snprintf(out + n, size - n, "%s%s", n ? ", " : "", f->name);
}

static const struct field *find_field(const struct field *f, const char *name)
{
	for (; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static int p_mapping(struct ld *ld, yaml_node_t *node, const struct field *fields,
		     void *obj)
{
	unsigned long long seen = 0;
	yaml_node_pair_t *p;
	char keys[256];
	int err;

	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping, not %s", node_kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&ld->doc, p->value);
		const char *name = scalar(ld, k, "a string key");
		const struct field *f;
		size_t old;

		if (!name)
			return -QZ_ERR_CONFIG;
		old = path_push(ld, "%s%s", ld->path[0] ? "." : "", name);
		f = find_field(fields, name);
		if (!f) {
			list_keys(fields, keys, sizeof(keys));
			return fail(ld, k, "unknown key (known here: %s)", keys);
		}
		if (seen & (1ull << (f - fields)))
			return fail(ld, k, "duplicate key");
		seen |= 1ull << (f - fields);
		err = f->parse(ld, v, (char *)obj + f->off);
		if (err)
			return err;
		ld->path[old] = 0;
	}
	for (const struct field *f = fields; f->name; f++)
		if (f->required && !(seen & (1ull << (f - fields)))) {
			size_t old = path_push(ld, "%s%s", ld->path[0] ? "." : "", f->name);

			err = fail(ld, node, "required key missing");
			ld->path[old] = 0;
			return err;
		}
	return 0;
}

#define F(name, fn, type, member, req) { name, fn, offsetof(type, member), req }

static const struct field global_fields[] = {
	F("host", p_str, struct qz_config, host, false),
	F("labels", p_kv, struct qz_config, labels, false),
	F("log_level", p_log_level, struct qz_config, log_level, false),
	F("spool_dir", p_str, struct qz_config, spool_dir, false),
	F("spool_max_bytes", p_size, struct qz_config, spool_max_bytes, false),
	F("state_dir", p_str, struct qz_config, state_dir, false),
	F("http_listen", p_listen, struct qz_config, http_listen, false),
	F("http_socket", p_socket, struct qz_config, http_socket, false),
	F("http_token_file", p_str, struct qz_config, http_token_file, false),
	F("http_kernel_addrs", p_bool, struct qz_config, http_kernel_addrs, false),
	{ 0 }
};

static int p_sink_type(struct ld *ld, yaml_node_t *node, void *dst)
{
	(void)node;
	*(enum qz_config_sink_type *)dst = (enum qz_config_sink_type)ld->type;
	return 0;	/* checked before the table was chosen */
}

#define SINK(name, fn, member, req) F(name, fn, struct qz_config_sink, member, req)
static const struct field stdout_fields[] = {
	SINK("type", p_sink_type, type, true),
	{ 0 }
};

static const struct field file_fields[] = {
	SINK("type", p_sink_type, type, true),
	SINK("path", p_str, path, true),
	SINK("max_bytes", p_size, max_bytes, false),
	SINK("max_files", p_uint, max_files, false),
	{ 0 }
};

static const struct field kafka_fields[] = {
	SINK("type", p_sink_type, type, true),
	SINK("brokers", p_str, brokers, true),
	SINK("topic", p_str, topic, true),
	SINK("key", p_str, key, false),
	SINK("compression", p_str, compression, false),
	SINK("acks", p_str, acks, false),
	SINK("message_timeout", p_interval_u32, message_timeout_ms, false),
	SINK("probe_timeout", p_interval_u32, probe_timeout_ms, false),
	SINK("durability", p_durability, durability_disk, false),
	SINK("properties", p_kv, properties, false),
	{ 0 }
};

static const struct {
	const char *name;
	const struct field *fields;
} sink_types[] = {
	[QZ_CONFIG_SINK_STDOUT] = { "stdout", stdout_fields },
	[QZ_CONFIG_SINK_FILE] = { "file", file_fields },
	[QZ_CONFIG_SINK_KAFKA] = { "kafka", kafka_fields },
};

static yaml_node_t *lookup(struct ld *ld, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;

	if (map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)k->data.scalar.value, key))
			return yaml_document_get_node(&ld->doc, p->value);
	}
	return NULL;
}

static int p_sink(struct ld *ld, yaml_node_t *node, struct qz_config_sink *s)
{
	yaml_node_t *t;
	const char *ts;
	size_t old;

	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping, not %s", node_kind(node));
	t = lookup(ld, node, "type");
	old = path_push(ld, ".type");
	if (!t)
		return fail(ld, node, "required key missing (stdout, file or kafka)");
	ts = scalar(ld, t, "a sink type");
	if (!ts)
		return -QZ_ERR_CONFIG;
	for (ld->type = 0; ld->type < (int)QZ_ARRAY_SIZE(sink_types); ld->type++)
		if (!strcmp(ts, sink_types[ld->type].name))
			break;
	if (ld->type == (int)QZ_ARRAY_SIZE(sink_types))
		return fail(ld, t, "\"%s\" is not a sink type (stdout, file, kafka)", ts);
	ld->path[old] = 0;
	return p_mapping(ld, node, sink_types[ld->type].fields, s);
}

static int p_sinks(struct ld *ld, yaml_node_t *node)
{
	struct qz_config *c = ld->cfg;
	yaml_node_pair_t *p;
	int err;

	if (node->type != YAML_MAPPING_NODE)
		return fail(ld, node, "must be a mapping of names to sinks, not %s",
			    node_kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		const char *name = scalar(ld, k, "a sink name");
		struct qz_config_sink *grown;
		size_t old;

		if (!name)
			return -QZ_ERR_CONFIG;
		old = path_push(ld, ".%s", name);
		if (qz_config__sink(c, name))
			return fail(ld, k, "duplicate sink name");
		grown = realloc(c->sinks, (c->n_sinks + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->sinks = grown;
		memset(&grown[c->n_sinks], 0, sizeof(*grown));
		grown[c->n_sinks].name = strdup(name);
		grown[c->n_sinks].line = (int)k->start_mark.line + 1;
		if (!grown[c->n_sinks++].name)
			return -ENOMEM;
		err = p_sink(ld, yaml_document_get_node(&ld->doc, p->value),
			     &grown[c->n_sinks - 1]);
		if (err)
			return err;
		ld->path[old] = 0;
	}
	return 0;
}

#define COLL(name, fn, member, req) F(name, fn, struct qz_config_collector, member, req)
static const struct field collector_fields[] = {
	COLL("name", p_str, name, true),
	COLL("profiler", p_str, profiler, true),
	COLL("events", p_strlist, events, false),
	COLL("options", p_options, options, false),
	COLL("interval", p_interval, interval_ms, false),
	COLL("sink", p_str, sink, false),
	{ 0 }
};

static int p_collectors(struct ld *ld, yaml_node_t *node)
{
	struct qz_config *c = ld->cfg;
	yaml_node_item_t *it;
	int err;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail(ld, node, "must be a list of collectors, not %s",
			    node_kind(node));
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(&ld->doc, *it);
		size_t i = c->n_collectors, old;
		struct qz_config_collector *grown, *col;
		yaml_node_t *v;

		grown = realloc(c->collectors, (i + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->collectors = grown;
		col = memset(&grown[i], 0, sizeof(*grown));
		c->n_collectors++;
		col->interval_ms = 1000;
		col->line = (int)e->start_mark.line + 1;
		old = path_push(ld, "[%zu]", i);
		ld->collector = e;
		err = p_mapping(ld, e, collector_fields, col);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->collectors[j].name, col->name)) {
				path_push(ld, ".name");
				return fail(ld, lookup(ld, e, "name"),
					    "duplicate collector name \"%s\" (first at line %d)",
					    col->name, c->collectors[j].line);
			}
		if (!col->sink && !(col->sink = strdup("stdout")))
			return -ENOMEM;
		if (!qz_config__sink(c, col->sink)) {
			path_push(ld, ".sink");
			v = lookup(ld, e, "sink");
			return fail(ld, v ? v : e, "sink \"%s\" is not defined in sinks",
				    col->sink);
		}
		ld->path[old] = 0;
	}
	return 0;
}

static const struct field top_fields[] = {
	{ "global" }, { "sinks" }, { "collectors" }, { 0 }
};

static int add_stdout_sink(struct qz_config *c)
{
	struct qz_config_sink *grown;

	if (qz_config__sink(c, "stdout"))
		return 0;
	grown = realloc(c->sinks, (c->n_sinks + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	c->sinks = grown;
	memset(&grown[c->n_sinks], 0, sizeof(*grown));
	grown[c->n_sinks].name = strdup("stdout");
	return grown[c->n_sinks++].name ? 0 : -ENOMEM;
}

/* Is host:port's host a loopback address? Names other than localhost are
 * not resolved: they count as not. */
static bool loopback(const char *listen)
{
	const char *colon = strrchr(listen, ':');
	size_t n = colon ? (size_t)(colon - listen) : strlen(listen);
	unsigned char addr[16];
	char host[64];

	if (n >= 2 && listen[0] == '[' && listen[n - 1] == ']') {
		listen++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return false;
	memcpy(host, listen, n);
	host[n] = 0;
	if (!strcmp(host, "localhost"))
		return true;
	if (inet_pton(AF_INET, host, addr) == 1)
		return addr[0] == 127;
	return inet_pton(AF_INET6, host, addr) == 1 &&
	       IN6_IS_ADDR_LOOPBACK((struct in6_addr *)addr);
}

/* /data serves system-wide reports: off loopback, only with a token. */
static int check_listen(struct ld *ld, yaml_node_t *global)
{
	const struct qz_config *c = ld->cfg;
	yaml_node_t *node;

	if (!c->http_listen || c->http_token_file || loopback(c->http_listen))
		return 0;
	node = lookup(ld, global, "http_listen");
	snprintf(ld->path, sizeof(ld->path), "global.http_listen");
	return fail(ld, node,
		    "\"%s\" is not a loopback address: /data and /metrics would be open "
		    "to the network; set global.http_token_file to require a bearer token, "
		    "or listen on 127.0.0.1", c->http_listen);
}

/* Top level: unknown keys first; then sinks, before collectors name them. */
static int p_top(struct ld *ld, yaml_node_t *root)
{
	struct qz_config *c = ld->cfg;
	yaml_node_pair_t *p;
	yaml_node_t *v;
	char keys[64];
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return fail(ld, root, "the config must be a mapping, not %s",
			    node_kind(root));
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&ld->doc, p->key);
		const char *name = scalar(ld, k, "a string key");

		if (!name)
			return -QZ_ERR_CONFIG;
		if (!find_field(top_fields, name)) {
			snprintf(ld->path, sizeof(ld->path), "%s", name);
			list_keys(top_fields, keys, sizeof(keys));
			return fail(ld, k, "unknown key (known here: %s)", keys);
		}
		/* lookup() below takes the first: a second one would be ignored. */
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(&ld->doc, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)qk->data.scalar.value, name)) {
				snprintf(ld->path, sizeof(ld->path), "%s", name);
				return fail(ld, k, "duplicate key (first at line %d): merge the two",
					    (int)qk->start_mark.line + 1);
			}
		}
	}
	if ((v = lookup(ld, root, "global"))) {
		/* Its keys are named global.x though they fill the top struct. */
		snprintf(ld->path, sizeof(ld->path), "global");
		err = p_mapping(ld, v, global_fields, c);
		if (err)
			return err;
		err = check_listen(ld, v);
		if (err)
			return err;
	}
	if ((v = lookup(ld, root, "sinks"))) {
		snprintf(ld->path, sizeof(ld->path), "sinks");
		err = p_sinks(ld, v);
		if (err)
			return err;
	}
	err = add_stdout_sink(c);
	if (err)
		return err;
	if ((v = lookup(ld, root, "collectors"))) {
		snprintf(ld->path, sizeof(ld->path), "collectors");
		err = p_collectors(ld, v);
		if (err)
			return err;
	}
	return 0;
}

int qz_config_parse(yaml_document_t *doc, struct qz_config *cfg,
		    struct qz_config_error *err)
{
	struct ld ld = { .doc = *doc, .cfg = cfg, .err = err };
	yaml_node_t *root = yaml_document_get_root_node(doc);

	if (!root) {
		snprintf(err->msg, sizeof(err->msg), "the config is empty");
		return -QZ_ERR_CONFIG;
	}
	return p_top(&ld, root);
}
