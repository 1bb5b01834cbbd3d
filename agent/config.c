// SPDX-License-Identifier: MIT
/*
 * The agent's config: YAML read by libyaml into a node tree, then checked
 * against the schema tables below (walked by config_schema.c, which ingest's
 * config shares). libcyaml was the first choice, but it cannot load maps
 * with free keys (labels, kafka properties, options) nor a value that is a
 * string or a list (events); libyaml gives us the line of every node, so
 * errors can name the line and the key.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config.h"
#include "internal.h"
#include "config_internal.h"

/* What the agent's parse functions need beside the walk: ld->ctx. */
struct agent_state {
	struct qz_config *cfg;
	int type;		/* the sink type being read */
	yaml_node_t *collector;	/* the collector being read */
};

static int p_uint(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a number");
	unsigned long v;
	char *end;

	if (!s)
		return -QZ_ERR_CONFIG;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v > UINT32_MAX)
		return qz_schema__fail(ld, node, "\"%s\" is not a number from 0 to %u", s,
				       UINT32_MAX);
	*(unsigned int *)dst = (unsigned int)v;
	return 0;
}

static int p_size(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a size");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (qz_config__parse_size(s, dst))
		return qz_schema__fail(ld, node,
				       "\"%s\" is not a size (e.g. 4096, 64k, 256MiB, 1G)", s);
	return 0;
}

/* The agent also takes "warning", as syslog spells it. */
static int p_log_level(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	if (node->type == YAML_SCALAR_NODE &&
	    !strcasecmp((const char *)node->data.scalar.value, "warning")) {
		*(enum qz_log_level *)dst = QZ_LOG_WARN;
		return 0;
	}
	return qz_schema__log_level(ld, node, dst);
}

/* memory: a report is safe once acked or spooled; disk: once spooled,
 * which it is before it is sent. */
static int p_durability(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "memory or disk");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (strcmp(s, "memory") && strcmp(s, "disk"))
		return qz_schema__fail(ld, node,
				       "\"%s\" is not a durability (memory, disk)", s);
	*(bool *)dst = !strcmp(s, "disk");
	return 0;
}

static int p_listen(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	return qz_schema__listen(ld, node, dst, "127.0.0.1:9431");
}

/* A unix socket's path: absolute, short enough for sockaddr_un; or off. */
static int p_socket(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	const char *s = qz_schema__scalar(ld, node, "a path");

	if (!s)
		return -QZ_ERR_CONFIG;
	if (!strcmp(s, "off")) {
		free(*(char **)dst);
		*(char **)dst = NULL;
		return 0;
	}
	if (s[0] != '/')
		return qz_schema__fail(ld, node,
				       "\"%s\" is not an absolute path (e.g. %s) or off", s,
				       QZ_CONFIG_HTTP_SOCKET);
	if (strlen(s) >= 100)
		return qz_schema__fail(ld, node,
				       "\"%s\" is too long for a unix socket (at most 99 bytes)", s);
	return qz_schema__str(ld, node, dst);
}

static int p_bool(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
	const char *s = qz_schema__scalar(ld, node, "true or false");

	if (!s)
		return -QZ_ERR_CONFIG;
	for (size_t i = 0; i < QZ_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i]) || !strcasecmp(s, no[i])) {
			*(bool *)dst = !strcasecmp(s, yes[i]);
			return 0;
		}
	}
	return qz_schema__fail(ld, node, "\"%s\" is not true or false", s);
}

/* A map of scalars to scalars: labels, kafka properties. */
static int p_kv(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	struct qz_config_kv **kv = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*kv));
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node,
				       "must be a mapping, not %s", qz_schema__kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, p->value);
		const char *ks = qz_schema__scalar(ld, k, "a string key"), *vs;
		struct qz_config_kv *grown;
		size_t old;

		if (!ks)
			return -QZ_ERR_CONFIG;
		old = qz_schema__push(ld, ".%s", ks);
		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*kv)[i].key, ks))
				return qz_schema__fail(ld, k, "duplicate key");
		vs = qz_schema__scalar(ld, v, "a string");
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
static int p_strlist(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));
	yaml_node_item_t *it;

	if (node->type == YAML_SCALAR_NODE) {
		if (!*node->data.scalar.value)
			return qz_schema__fail(ld, node, "must not be empty");
		return push_str(v, n, (const char *)node->data.scalar.value);
	}
	if (node->type != YAML_SEQUENCE_NODE)
		return qz_schema__fail(ld, node, "must be a string or a list, not %s",
				       qz_schema__kind(node));
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
		size_t old = qz_schema__push(ld, "[%zu]", (size_t)(it - node->data.sequence.items.start));
		const char *s = qz_schema__scalar(ld, e, "a string");
		int err;

		if (!s)
			return -QZ_ERR_CONFIG;
		if (!*s)
			return qz_schema__fail(ld, e, "must not be empty");
		ld->path[old] = 0;
		err = push_str(v, n, s);
		if (err)
			return err;
	}
	return 0;
}

/* options: CLI arguments as a list, or a map: {k: v} is --k=v, {k: true} --k. */
static int p_options(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	struct agent_state *st = ld->ctx;
	char ***v = dst;
	size_t *n = (size_t *)((char *)dst + sizeof(*v));
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return node->type == YAML_SEQUENCE_NODE ? p_strlist(ld, node, dst) :
		       qz_schema__fail(ld, node, "must be a list or a mapping, not %s",
				       qz_schema__kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		const char *ks = qz_schema__scalar(ld, k, "a string key"), *vs;
		char arg[512];
		size_t old;
		int err, len;

		if (!ks)
			return -QZ_ERR_CONFIG;
		old = qz_schema__push(ld, ".%s", ks);
		vs = qz_schema__scalar(ld, val, "a scalar");
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
			yaml_node_t *name = st->collector ?
					    qz_schema__lookup(ld, st->collector, "name") : NULL;

			qz_schema__push(ld, ".%s", ks);
			return qz_schema__fail(ld, val,
					       "collector '%s': the option is %d bytes as --%s=VALUE, "
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

#define F(name, fn, type, member, req) { name, fn, offsetof(type, member), req }

static const struct qz_schema_field global_fields[] = {
	F("host", qz_schema__str, struct qz_config, host, false),
	F("labels", p_kv, struct qz_config, labels, false),
	F("log_level", p_log_level, struct qz_config, log_level, false),
	F("spool_dir", qz_schema__str, struct qz_config, spool_dir, false),
	F("spool_max_bytes", p_size, struct qz_config, spool_max_bytes, false),
	F("state_dir", qz_schema__str, struct qz_config, state_dir, false),
	F("http_listen", p_listen, struct qz_config, http_listen, false),
	F("http_socket", p_socket, struct qz_config, http_socket, false),
	F("http_token_file", qz_schema__str, struct qz_config, http_token_file, false),
	F("http_kernel_addrs", p_bool, struct qz_config, http_kernel_addrs, false),
	{ 0 }
};

static int p_sink_type(struct qz_schema *ld, yaml_node_t *node, void *dst)
{
	struct agent_state *st = ld->ctx;

	(void)node;
	*(enum qz_config_sink_type *)dst = (enum qz_config_sink_type)st->type;
	return 0;	/* checked before the table was chosen */
}

#define SINK(name, fn, member, req) F(name, fn, struct qz_config_sink, member, req)
static const struct qz_schema_field stdout_fields[] = {
	SINK("type", p_sink_type, type, true),
	{ 0 }
};

static const struct qz_schema_field file_fields[] = {
	SINK("type", p_sink_type, type, true),
	SINK("path", qz_schema__str, path, true),
	SINK("max_bytes", p_size, max_bytes, false),
	SINK("max_files", p_uint, max_files, false),
	{ 0 }
};

static const struct qz_schema_field kafka_fields[] = {
	SINK("type", p_sink_type, type, true),
	SINK("brokers", qz_schema__str, brokers, true),
	SINK("topic", qz_schema__str, topic, true),
	SINK("key", qz_schema__str, key, false),
	SINK("compression", qz_schema__str, compression, false),
	SINK("acks", qz_schema__str, acks, false),
	SINK("message_timeout", qz_schema__interval_u32, message_timeout_ms, false),
	SINK("probe_timeout", qz_schema__interval_u32, probe_timeout_ms, false),
	SINK("durability", p_durability, durability_disk, false),
	SINK("properties", p_kv, properties, false),
	{ 0 }
};

static const struct {
	const char *name;
	const struct qz_schema_field *fields;
} sink_types[] = {
	[QZ_CONFIG_SINK_STDOUT] = { "stdout", stdout_fields },
	[QZ_CONFIG_SINK_FILE] = { "file", file_fields },
	[QZ_CONFIG_SINK_KAFKA] = { "kafka", kafka_fields },
};

static int p_sink(struct qz_schema *ld, yaml_node_t *node, struct qz_config_sink *s)
{
	struct agent_state *st = ld->ctx;
	yaml_node_t *t;
	const char *ts;
	size_t old;

	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node,
				       "must be a mapping, not %s", qz_schema__kind(node));
	t = qz_schema__lookup(ld, node, "type");
	old = qz_schema__push(ld, ".type");
	if (!t)
		return qz_schema__fail(ld, node,
				       "required key missing (stdout, file or kafka)");
	ts = qz_schema__scalar(ld, t, "a sink type");
	if (!ts)
		return -QZ_ERR_CONFIG;
	for (st->type = 0; st->type < (int)QZ_ARRAY_SIZE(sink_types); st->type++)
		if (!strcmp(ts, sink_types[st->type].name))
			break;
	if (st->type == (int)QZ_ARRAY_SIZE(sink_types))
		return qz_schema__fail(ld, t,
				       "\"%s\" is not a sink type (stdout, file, kafka)", ts);
	ld->path[old] = 0;
	return qz_schema__fields(ld, node, sink_types[st->type].fields, s);
}

static int p_sinks(struct qz_schema *ld, yaml_node_t *node)
{
	struct agent_state *st = ld->ctx;
	struct qz_config *c = st->cfg;
	yaml_node_pair_t *p;
	int err;

	if (node->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, node, "must be a mapping of names to sinks, not %s",
				       qz_schema__kind(node));
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		const char *name = qz_schema__scalar(ld, k, "a sink name");
		struct qz_config_sink *grown;
		size_t old;

		if (!name)
			return -QZ_ERR_CONFIG;
		old = qz_schema__push(ld, ".%s", name);
		if (qz_config__sink(c, name))
			return qz_schema__fail(ld, k, "duplicate sink name");
		grown = realloc(c->sinks, (c->n_sinks + 1) * sizeof(*grown));
		if (!grown)
			return -ENOMEM;
		c->sinks = grown;
		memset(&grown[c->n_sinks], 0, sizeof(*grown));
		grown[c->n_sinks].name = strdup(name);
		grown[c->n_sinks].line = (int)k->start_mark.line + 1;
		if (!grown[c->n_sinks++].name)
			return -ENOMEM;
		err = p_sink(ld, yaml_document_get_node(ld->doc, p->value),
			     &grown[c->n_sinks - 1]);
		if (err)
			return err;
		ld->path[old] = 0;
	}
	return 0;
}

#define COLL(name, fn, member, req) F(name, fn, struct qz_config_collector, member, req)
static const struct qz_schema_field collector_fields[] = {
	COLL("name", qz_schema__str, name, true),
	COLL("profiler", qz_schema__str, profiler, true),
	COLL("events", p_strlist, events, false),
	COLL("options", p_options, options, false),
	COLL("interval", qz_schema__interval, interval_ms, false),
	COLL("sink", qz_schema__str, sink, false),
	{ 0 }
};

static int p_collectors(struct qz_schema *ld, yaml_node_t *node)
{
	struct agent_state *st = ld->ctx;
	struct qz_config *c = st->cfg;
	yaml_node_item_t *it;
	int err;

	if (node->type != YAML_SEQUENCE_NODE)
		return qz_schema__fail(ld, node, "must be a list of collectors, not %s",
				       qz_schema__kind(node));
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *e = yaml_document_get_node(ld->doc, *it);
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
		old = qz_schema__push(ld, "[%zu]", i);
		st->collector = e;
		err = qz_schema__fields(ld, e, collector_fields, col);
		if (err)
			return err;
		for (size_t j = 0; j < i; j++)
			if (!strcmp(c->collectors[j].name, col->name)) {
				qz_schema__push(ld, ".name");
				return qz_schema__fail(ld, qz_schema__lookup(ld, e, "name"),
						       "duplicate collector name \"%s\" (first at line %d)",
						       col->name, c->collectors[j].line);
			}
		if (!col->sink && !(col->sink = strdup("stdout")))
			return -ENOMEM;
		if (!qz_config__sink(c, col->sink)) {
			qz_schema__push(ld, ".sink");
			v = qz_schema__lookup(ld, e, "sink");
			return qz_schema__fail(ld, v ? v : e,
					       "sink \"%s\" is not defined in sinks",
					       col->sink);
		}
		ld->path[old] = 0;
	}
	return 0;
}

static const struct qz_schema_field top_fields[] = {
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
static int check_listen(struct qz_schema *ld, yaml_node_t *global,
			const struct qz_config *c)
{
	yaml_node_t *node;

	if (!c->http_listen || c->http_token_file || loopback(c->http_listen))
		return 0;
	node = qz_schema__lookup(ld, global, "http_listen");
	snprintf(ld->path, sizeof(ld->path), "global.http_listen");
	return qz_schema__fail(ld, node,
			       "\"%s\" is not a loopback address: /data and /metrics would be open "
			       "to the network; set global.http_token_file to require a bearer token, "
			       "or listen on 127.0.0.1", c->http_listen);
}

/* Top level: unknown keys first; then sinks, before collectors name them. */
static int p_top(struct qz_schema *ld, yaml_node_t *root, struct qz_config *c)
{
	yaml_node_pair_t *p;
	yaml_node_t *v;
	int err;

	if (root->type != YAML_MAPPING_NODE)
		return qz_schema__fail(ld, root, "the config must be a mapping, not %s",
				       qz_schema__kind(root));
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, p->key);
		const char *name = qz_schema__scalar(ld, k, "a string key");

		if (!name)
			return -QZ_ERR_CONFIG;
		if (!qz_schema__field(top_fields, name)) {
			snprintf(ld->path, sizeof(ld->path), "%s", name);
			return qz_schema__unknown_key(ld, k, top_fields);
		}
		/* qz_schema__lookup() below takes the first: a second would be ignored. */
		for (yaml_node_pair_t *q = root->data.mapping.pairs.start; q < p; q++) {
			yaml_node_t *qk = yaml_document_get_node(ld->doc, q->key);

			if (qk->type == YAML_SCALAR_NODE &&
			    !strcmp((const char *)qk->data.scalar.value, name)) {
				snprintf(ld->path, sizeof(ld->path), "%s", name);
				return qz_schema__fail(ld, k,
						       "duplicate key (first at line %d): merge the two",
						       (int)qk->start_mark.line + 1);
			}
		}
	}
	if ((v = qz_schema__lookup(ld, root, "global"))) {
		/* Its keys are named global.x though they fill the top struct. */
		snprintf(ld->path, sizeof(ld->path), "global");
		err = qz_schema__fields(ld, v, global_fields, c);
		if (err)
			return err;
		err = check_listen(ld, v, c);
		if (err)
			return err;
	}
	if ((v = qz_schema__lookup(ld, root, "sinks"))) {
		snprintf(ld->path, sizeof(ld->path), "sinks");
		err = p_sinks(ld, v);
		if (err)
			return err;
	}
	err = add_stdout_sink(c);
	if (err)
		return err;
	if ((v = qz_schema__lookup(ld, root, "collectors"))) {
		snprintf(ld->path, sizeof(ld->path), "collectors");
		err = p_collectors(ld, v);
		if (err)
			return err;
	}
	return 0;
}

int qz_config_parse(struct qz_schema *ld, yaml_node_t *root, void *cfg)
{
	struct agent_state st = { .cfg = cfg };
	int err;

	ld->ctx = &st;
	err = p_top(ld, root, cfg);
	ld->ctx = NULL;		/* st ends here */
	return err;
}
