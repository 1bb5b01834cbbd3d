// SPDX-License-Identifier: MIT
/* The agent's config: the default loads; a full config reads back; each bad
 * config is refused with the line and the key. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "config.h"
#include "../test.h"

static void test_default(void)
{
	struct qz_config_error e;
	struct qz_config *c = qz_config__load_string(qz_config__default_yaml(),
						     strlen(qz_config__default_yaml()), &e);
	const struct qz_config_collector *cpu, *sched, *vm;

	if (!c)
		fprintf(stderr, "default config: %s\n", e.msg);
	CHECK(c);
	if (!c)
		return;
	CHECK_EQ(c->n_collectors, 3);
	cpu = qz_config__collector(c, "cpu-counters");
	sched = qz_config__collector(c, "sched-latency");
	vm = qz_config__collector(c, "vm-lifecycle");
	CHECK(cpu && sched && vm);
	if (vm) {
		CHECK_STR(vm->profiler, "kvm");
		CHECK_EQ(vm->n_events, 0);
		CHECK_EQ(vm->interval_ms, 10000);
	}
	if (cpu) {
		CHECK_STR(cpu->profiler, "stat");
		CHECK_EQ(cpu->n_events, 5);
		CHECK_STR(cpu->events[0], "cpu-clock");
		CHECK_STR(cpu->events[4], "cpu-migrations");
		CHECK_EQ(cpu->n_options, 1);
		CHECK_STR(cpu->options[0], "--perins");
		CHECK_EQ(cpu->interval_ms, 1000);
		CHECK_STR(cpu->sink, "stdout");
	}
	if (sched) {
		CHECK_STR(sched->profiler, "multi-trace");
		CHECK_EQ(sched->n_events, 2);
		CHECK(strstr(sched->events[0], "sched:sched_wakeup"));
		CHECK(strstr(sched->events[1], "sched:sched_switch"));
	}
	CHECK_EQ(qz_config__sink(c, "stdout")->type, QZ_CONFIG_SINK_STDOUT);
	/* /data is system-wide: a root-only socket by default, TCP opt-in. */
	CHECK(!c->http_listen);
	CHECK_STR(c->http_socket, QZ_CONFIG_HTTP_SOCKET);
	CHECK(!c->http_token_file);
	CHECK(!c->http_kernel_addrs);
	CHECK_STR(c->spool_dir, QZ_CONFIG_SPOOL_DIR);
	CHECK_EQ(c->log_level, QZ_LOG_INFO);
	CHECK(c->host && *c->host);
	qz_config__free(c);
}

static const char full[] =
	"global:\n"
	"  host: node-7\n"
	"  labels: {dc: eu-1, rack: \"12\"}\n"
	"  log_level: debug\n"
	"  spool_dir: /tmp/spool\n"
	"  spool_max_bytes: 64MiB\n"
	"  http_listen: 0.0.0.0:0\n"
	"  http_socket: /run/qz/a.sock\n"
	"  http_token_file: /etc/quazar/token\n"
	"  http_kernel_addrs: true\n"
	"sinks:\n"
	"  bus:\n"
	"    type: kafka\n"
	"    brokers: k1:9092,k2:9092\n"
	"    topic: perf\n"
	"    compression: zstd\n"
	"    acks: all\n"
	"    message_timeout: 10s\n"
	"    properties:\n"
	"      security.protocol: SASL_SSL\n"
	"      sasl.mechanisms: PLAIN\n"
	"      sasl.username: agent\n"
	"  archive:\n"
	"    type: file\n"
	"    path: /var/log/quazar.jsonl\n"
	"    max_bytes: 100M\n"
	"    max_files: 5\n"
	"collectors:\n"
	"  - name: top-cpu\n"
	"    profiler: top\n"
	"    events: 'sched:sched_switch//key=prev_pid/,sched:sched_wakeup'\n"
	"    options: [--period, \"100\", -C, \"0\"]\n"
	"    interval: 500ms\n"
	"    sink: bus\n"
	"  - name: leaks\n"
	"    profiler: kmemleak\n"
	"    events: [kmem:kmalloc//ptr=ptr/size=bytes_alloc/, kmem:kfree//ptr=ptr/]\n"
	"    options: {order: true, quiet: false, depth: 8}\n"
	"    interval: 2m\n"
	"    sink: archive\n"
	"  - name: plain\n"
	"    profiler: stat\n";

static void test_full(void)
{
	struct qz_config_error e;
	struct qz_config *c = qz_config__load_string(full, sizeof(full) - 1, &e);
	const struct qz_config_sink *bus, *archive;
	const struct qz_config_collector *top, *leaks, *plain;

	if (!c)
		fprintf(stderr, "full config: %s\n", e.msg);
	CHECK(c);
	if (!c)
		return;
	CHECK_STR(c->host, "node-7");
	CHECK_EQ(c->n_labels, 2);
	CHECK_STR(c->labels[1].key, "rack");
	CHECK_STR(c->labels[1].value, "12");
	CHECK_EQ(c->log_level, QZ_LOG_DEBUG);
	CHECK_EQ(c->spool_max_bytes, 64ull << 20);
	CHECK_STR(c->http_listen, "0.0.0.0:0");
	CHECK_STR(c->http_socket, "/run/qz/a.sock");
	CHECK_STR(c->http_token_file, "/etc/quazar/token");
	CHECK(c->http_kernel_addrs);
	CHECK_EQ(c->n_sinks, 3);	/* bus, archive and the built-in stdout */
	bus = qz_config__sink(c, "bus");
	archive = qz_config__sink(c, "archive");
	CHECK(bus && archive && qz_config__sink(c, "stdout"));
	if (bus) {
		CHECK_EQ(bus->type, QZ_CONFIG_SINK_KAFKA);
		CHECK_STR(bus->brokers, "k1:9092,k2:9092");
		CHECK_STR(bus->topic, "perf");
		CHECK_STR(bus->compression, "zstd");
		CHECK_EQ(bus->message_timeout_ms, 10000);
		CHECK_EQ(bus->n_properties, 3);
		CHECK_STR(bus->properties[0].key, "security.protocol");
		CHECK_STR(bus->properties[0].value, "SASL_SSL");
		CHECK(!bus->key);
		CHECK_EQ(bus->line, 12);
	}
	if (archive) {
		CHECK_EQ(archive->type, QZ_CONFIG_SINK_FILE);
		CHECK_EQ(archive->max_bytes, 100ull << 20);
		CHECK_EQ(archive->max_files, 5);
	}
	top = qz_config__collector(c, "top-cpu");
	leaks = qz_config__collector(c, "leaks");
	plain = qz_config__collector(c, "plain");
	CHECK(top && leaks && plain);
	if (top) {
		CHECK_EQ(top->n_events, 1);	/* a string is one -e */
		CHECK_EQ(top->n_options, 4);
		CHECK_STR(top->options[1], "100");
		CHECK_EQ(top->interval_ms, 500);
		CHECK_STR(top->sink, "bus");
		CHECK_EQ(top->line, 29);
	}
	if (leaks) {
		CHECK_EQ(leaks->n_events, 2);
		CHECK_EQ(leaks->n_options, 2);
		CHECK_STR(leaks->options[0], "--order");
		CHECK_STR(leaks->options[1], "--depth=8");
		CHECK_EQ(leaks->interval_ms, 120000);
	}
	if (plain) {
		CHECK_EQ(plain->interval_ms, 1000);
		CHECK_STR(plain->sink, "stdout");
		CHECK_EQ(plain->n_events, 0);
	}
	qz_config__free(c);
}

static const struct {
	const char *what, *yaml;
	int line;
	const char *key, *words;
} bad[] = {
	{ "syntax error", "global:\n  host: [a, b\ncollectors: []\n", 3, "", "syntax error" },
	{ "tab indent", "global:\n\thost: x\n", 2, "", "syntax error" },
	{ "unknown top key", "global: {}\ncolectors: []\n", 2, "colectors", "unknown key" },
	{ "unknown key", "global:\n  host: a\n  bogus: 1\n", 3, "global.bogus", "unknown key" },
	{ "unknown sink key", "sinks:\n  k:\n    type: kafka\n    brokrs: x\n    topic: t\n",
	  4, "sinks.k.brokrs", "unknown key" },
	{ "wrong type: map", "global:\n  labels: [a, b]\n", 2, "global.labels", "must be a mapping" },
	{ "wrong type: scalar", "collectors:\n  - name: x\n    profiler: stat\n    interval: {a: 1}\n",
	  4, "collectors[0].interval", "must be an interval" },
	{ "wrong type: number", "sinks:\n  f:\n    type: file\n    path: /x\n    max_files: many\n",
	  5, "sinks.f.max_files", "not a number" },
	{ "wrong type: list", "collectors: {name: x}\n", 1, "collectors", "must be a list" },
	{ "missing profiler", "collectors:\n  - name: x\n    interval: 1s\n", 2,
	  "collectors[0].profiler", "required key missing" },
	{ "missing topic", "sinks:\n  k:\n    type: kafka\n    brokers: b:9092\n", 3,
	  "sinks.k.topic", "required key missing" },
	{ "bad sink type", "sinks:\n  k:\n    type: s3\n", 3, "sinks.k.type", "not a sink type" },
	{ "undefined sink",
	  "sinks:\n  k: {type: stdout}\ncollectors:\n  - name: a\n    profiler: stat\n    sink: k\n"
	  "  - name: b\n    profiler: stat\n    sink: kafka\n", 9, "collectors[1].sink",
	  "\"kafka\" is not defined" },
	{ "bad interval", "collectors:\n  - name: a\n    profiler: stat\n    interval: fast\n",
	  4, "collectors[0].interval", "not an interval" },
	{ "interval too short", "collectors:\n  - name: a\n    profiler: stat\n    interval: 1ms\n",
	  4, "collectors[0].interval", "not an interval" },
	{ "negative interval", "collectors:\n  - name: a\n    profiler: stat\n    interval: -1s\n",
	  4, "collectors[0].interval", "not an interval" },
	{ "duplicate collector", "collectors:\n  - name: a\n    profiler: stat\n"
	  "  - name: b\n    profiler: stat\n  - name: a\n    profiler: top\n", 6,
	  "collectors[2].name", "duplicate collector name" },
	{ "duplicate key", "global:\n  host: a\n  host: b\n", 3, "global.host", "duplicate key" },
	{ "bad log level", "global:\n  log_level: loud\n", 2, "global.log_level", "not a log level" },
	{ "bad listen", "global:\n  http_listen: localhost\n", 2, "global.http_listen", "host:port" },
	{ "bad size", "global:\n  spool_max_bytes: 12 parsecs\n", 2, "global.spool_max_bytes",
	  "not a size" },
	{ "empty event", "collectors:\n  - name: a\n    profiler: stat\n    events: [x, \"\"]\n",
	  4, "collectors[0].events[1]", "must not be empty" },
	{ "not a mapping", "- a\n- b\n", 1, "", "must be a mapping" },
	{ "listen on all, no token", "global:\n  log_level: info\n  http_listen: 0.0.0.0:9431\n",
	  3, "global.http_listen", "http_token_file" },
	{ "listen on a name, no token", "global:\n  http_listen: node-7.example:9431\n",
	  2, "global.http_listen", "not a loopback address" },
	{ "relative socket", "global:\n  http_socket: agent.sock\n", 2, "global.http_socket",
	  "absolute path" },
	{ "bad bool", "global:\n  http_kernel_addrs: maybe\n", 2, "global.http_kernel_addrs",
	  "true or false" },
	{ "two globals", "global:\n  host: a\nsinks: {}\nglobal:\n  host: b\n", 4, "global",
	  "duplicate key" },
	{ "two collector lists", "collectors: []\ncollectors: []\n", 2, "collectors",
	  "duplicate key" },
	{ "options too long", "collectors:\n  - name: filt\n    profiler: trace\n    options:\n"
	  "      filter: '%FILTER%'\n", 5, "collectors[0].options.filter", "collector 'filt'" },
};

/* yaml with %FILTER% replaced by a filter of n characters. */
static const char *with_long_filter(const char *yaml, size_t n)
{
	static char text[4096];
	const char *at = strstr(yaml, "%FILTER%");
	size_t pre;

	if (!at)
		return yaml;
	pre = (size_t)(at - yaml);
	memcpy(text, yaml, pre);
	memset(text + pre, 'x', n);
	strcpy(text + pre + n, at + 8);
	return text;
}

static void test_bad(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		const char *yaml = with_long_filter(bad[i].yaml, 600);
		struct qz_config_error e;
		struct qz_config *c;
		char where[32];

		errno = 0;
		c = qz_config__load_string(yaml, strlen(yaml), &e);
		CHECK(!c);
		if (c) {
			fprintf(stderr, "%s: loaded\n", bad[i].what);
			qz_config__free(c);
			continue;
		}
		CHECK_EQ(errno, QZ_ERR_CONFIG);
		snprintf(where, sizeof(where), "line %d,", bad[i].line);
		if (e.line != bad[i].line || strcmp(e.key, bad[i].key) ||
		    !strstr(e.msg, bad[i].words) || strncmp(e.msg, where, strlen(where)) ||
		    (*bad[i].key && !strstr(e.msg, bad[i].key))) {
			fprintf(stderr, "%s: got line %d key \"%s\": %s\n", bad[i].what,
				e.line, e.key, e.msg);
			test_failures++;
		} else if (getenv("QZ_TEST_VERBOSE")) {
			fprintf(stderr, "%-20s %s\n", bad[i].what, e.msg);
		}
	}
}

/* An option of the longest length allowed is kept whole. */
static void test_long_option(void)
{
	const char *yaml = with_long_filter("collectors:\n  - name: filt\n    profiler: trace\n"
					    "    options: {filter: '%FILTER%'}\n", 502);
	struct qz_config_error e;
	struct qz_config *c = qz_config__load_string(yaml, strlen(yaml), &e);

	if (!c)
		fprintf(stderr, "%s\n", e.msg);
	CHECK(c);
	if (c) {
		CHECK_EQ(strlen(c->collectors[0].options[0]), 511);
		CHECK(!strncmp(c->collectors[0].options[0], "--filter=xxx", 12));
	}
	qz_config__free(c);
}

static void test_units(void)
{
	uint64_t v;

	CHECK_EQ(qz_config__parse_interval("500ms", &v), 0);
	CHECK_EQ(v, 500);
	CHECK_EQ(qz_config__parse_interval("1.5s", &v), 0);
	CHECK_EQ(v, 1500);
	CHECK_EQ(qz_config__parse_interval("2", &v), 0);
	CHECK_EQ(v, 2000);
	CHECK_EQ(qz_config__parse_interval("1h", &v), 0);
	CHECK_EQ(v, 3600000);
	CHECK(qz_config__parse_interval("5ms", &v) < 0);
	CHECK(qz_config__parse_interval("25h", &v) < 0);
	CHECK(qz_config__parse_interval("1 s", &v) < 0);
	CHECK(qz_config__parse_interval("s", &v) < 0);
	CHECK(qz_config__parse_interval("nan", &v) < 0);
	CHECK_EQ(qz_config__parse_size("4096", &v), 0);
	CHECK_EQ(v, 4096);
	CHECK_EQ(qz_config__parse_size("64k", &v), 0);
	CHECK_EQ(v, 65536);
	CHECK_EQ(qz_config__parse_size("256MiB", &v), 0);
	CHECK_EQ(v, 256ull << 20);
	CHECK_EQ(qz_config__parse_size("1GB", &v), 0);
	CHECK_EQ(v, 1ull << 30);
	CHECK(qz_config__parse_size("1x", &v) < 0);
	CHECK(qz_config__parse_size("-1", &v) < 0);
	CHECK(qz_config__parse_size("99999999999T", &v) < 0);
}

static void test_file(void)
{
	struct qz_config_error e;
	char path[64];
	struct qz_config *c;
	FILE *f;

	errno = 0;
	CHECK(!qz_config__load_file("/nonexistent/quazar.yaml", &e));
	CHECK_EQ(errno, ENOENT);
	snprintf(path, sizeof(path), "/tmp/qz-config-%d.yaml", getpid());
	f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs(full, f);
	fclose(f);
	c = qz_config__load_file(path, &e);
	CHECK(c);
	CHECK_EQ(c ? c->n_collectors : 0, 3);
	qz_config__free(c);
	unlink(path);
	qz_config__free(NULL);
}

/* Loopback addresses need no token; others do, and take one. */
static void test_listen_token(void)
{
	static const char *const ok[] = {
		"global:\n  http_listen: 127.0.0.1:9431\n",
		"global:\n  http_listen: 127.0.0.9:0\n",
		"global:\n  http_listen: localhost:9431\n",
		"global:\n  http_listen: \"[::1]:9431\"\n",
		"global:\n  http_listen: 0.0.0.0:9431\n  http_token_file: /etc/quazar/token\n",
		"global:\n  http_listen: \"[::]:9431\"\n  http_token_file: /t\n",
		"global:\n  http_listen: \"off\"\n  http_socket: \"off\"\n",
	};

	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct qz_config_error e;
		struct qz_config *c = qz_config__load_string(ok[i], strlen(ok[i]), &e);

		if (!c)
			fprintf(stderr, "%s: %s\n", ok[i], e.msg);
		CHECK(c);
		qz_config__free(c);
	}
}

/*
 * Every key the schema knows is in docs/config.md's tables. The keys come
 * from the loader itself: an unknown key's error lists those known there.
 */
static void test_doc_keys(const char *doc)
{
	static const char *const probes[] = {
		"global:\n  zzz: 1\n",
		"sinks:\n  s:\n    type: stdout\n    zzz: 1\n",
		"sinks:\n  s:\n    type: file\n    path: /x\n    zzz: 1\n",
		"sinks:\n  s:\n    type: kafka\n    brokers: b\n    topic: t\n    zzz: 1\n",
		"collectors:\n  - name: a\n    profiler: stat\n    zzz: 1\n",
		"zzz: 1\n",
	};
	static char text[65536];
	size_t n, keys = 0;
	FILE *f = fopen(doc, "r");

	CHECK(f);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	for (size_t i = 0; i < ARRAY_SIZE(probes); i++) {
		struct qz_config_error e;
		struct qz_config *c = qz_config__load_string(probes[i], strlen(probes[i]), &e);
		char *list = c ? NULL : strstr(e.msg, "(known here: "), *tok, *save;

		qz_config__free(c);
		CHECK(list);
		if (!list)
			continue;
		list += strlen("(known here: ");
		list[strcspn(list, ")")] = 0;
		for (tok = strtok_r(list, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
			char row[96], section[96];

			/* A table row "| `key` |", or a top-level section "## `key`". */
			snprintf(row, sizeof(row), "| `%s` |", tok);
			snprintf(section, sizeof(section), "## `%s`", tok);
			if (!strstr(text, row) && !strstr(text, section)) {
				fprintf(stderr, "docs/config.md does not list the key '%s'\n", tok);
				test_failures++;
			}
			keys++;
		}
	}
	CHECK(keys > 20);
}

/* docs/config.md shows the built-in config as it is. */
static void test_doc(const char *doc)
{
	static char text[65536];
	const char *def = strchr(qz_config__default_yaml(), '\n') + 1;
	char *block, *end;
	size_t n;
	FILE *f = fopen(doc, "r");

	CHECK(f);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[n] = 0;
	block = strstr(text, "## The built-in config");
	block = block ? strstr(block, "```yaml\n") : NULL;
	end = block ? strstr(block + 8, "```") : NULL;
	CHECK(block && end);
	if (!block || !end)
		return;
	*end = 0;
	if (strcmp(block + 8, def))
		fprintf(stderr, "docs/config.md differs from the built-in config:\n%s", def);
	CHECK_STR(block + 8, def);
}

int main(int argc, char **argv)
{
	RUN(test_default);
	if (argc > 1) {
		RUN_ARGS(test_doc, argv[1]);
		RUN_ARGS(test_doc_keys, argv[1]);
	}
	RUN(test_listen_token);
	RUN(test_full);
	RUN(test_bad);
	RUN(test_long_option);
	RUN(test_units);
	RUN(test_file);
	return test_result();
}
