// SPDX-License-Identifier: MIT
/*
 * OTLP/HTTP export against a local receiver (tests/otlp/receiver.js, under
 * Debian's nodejs) that decodes each request with the official OTLP
 * definitions and checks ids, parent links, counter attributes and the
 * resource. Scenarios: a 503 with Retry-After then 200 (every span once),
 * 429s with backoff, a 400 (no retry), a dead endpoint.
 *
 * argv: node, receiver.js, setup.sh
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <quazar/quazar.h>
#include "otlp.h"
#include "../test.h"

#define SERVICE "quazar-span-test"
#define TP "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

static int port;
static bool counters;

static pid_t start_receiver(const char *node, const char *js, int *in_fd)
{
	int out[2], in[2];
	char line[64] = "";
	pid_t pid;
	FILE *f;

	if (pipe(out) || pipe(in))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(node, node, js, (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	*in_fd = in[1];
	f = fdopen(out[0], "r");
	if (!fgets(line, sizeof(line), f) ||
	    sscanf(line, "listening %d", &port) != 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return pid;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	char **buf = ctx;
	size_t len = *buf ? strlen(*buf) : 0;
	char *p = realloc(*buf, len + size * n + 1);

	if (!p)
		return 0;
	memcpy(p + len, data, size * n);
	p[len + size * n] = '\0';
	*buf = p;
	return size * n;
}

/* POST JSON to the receiver's control endpoints; the reply, malloc'ed. */
static char *control(const char *path, const char *json)
{
	CURL *c = curl_easy_init();
	char url[128], *reply = NULL;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply);
	if (curl_easy_perform(c) != CURLE_OK) {
		free(reply);
		reply = NULL;
	}
	curl_easy_cleanup(c);
	return reply;
}

static void hex(const uint8_t *b, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* One expected span: ids, parent, and the attributes given as JSON. */
static void expect(struct json_object *spans, const struct qz_span_data *d,
		   const char *attrs_json, int kind)
{
	struct json_object *s = json_object_new_object();
	char buf[40];

	hex(d->ctx.trace_id, 16, buf);
	json_object_object_add(s, "trace_id", json_object_new_string(buf));
	hex(d->ctx.span_id, 8, buf);
	json_object_object_add(s, "span_id", json_object_new_string(buf));
	if (qz_span_data__has_parent(d)) {
		hex(d->parent_id, 8, buf);
		json_object_object_add(s, "parent_span_id",
				       json_object_new_string(buf));
	}
	json_object_object_add(s, "name", json_object_new_string(d->name));
	json_object_object_add(s, "remote", json_object_new_boolean(d->parent_remote));
	json_object_object_add(s, "kind", json_object_new_int(kind));
	json_object_object_add(s, "attrs", json_tokener_parse(attrs_json));
	json_object_array_add(spans, s);
}

/* Ask the receiver; print what it found wrong. */
static void check(struct json_object *spans, const char *statuses,
		  int min_gap_ms)
{
	struct json_object *want = json_object_new_object(), *got, *errs;
	char *reply;

	json_object_object_add(want, "service_name",
			       json_object_new_string(SERVICE));
	json_object_object_add(want, "pid", json_object_new_int(getpid()));
	json_object_object_add(want, "spans", spans);
	json_object_object_add(want, "statuses", json_tokener_parse(statuses));
	if (min_gap_ms)
		json_object_object_add(want, "min_gap_ms",
				       json_object_new_int(min_gap_ms));
	reply = control("/check", json_object_to_json_string(want));
	CHECK(reply != NULL);
	got = reply ? json_tokener_parse(reply) : NULL;
	CHECK(got != NULL);
	if (got) {
		errs = json_object_object_get(got, "errors");
		for (size_t i = 0; errs && i < json_object_array_length(errs); i++)
			fprintf(stderr, "  receiver: %s\n",
				json_object_get_string(json_object_array_get_idx(errs, i)));
		fprintf(stderr, "  receiver: %d requests %s, %d spans delivered\n",
			json_object_get_int(json_object_object_get(got, "requests")),
			json_object_to_json_string(json_object_object_get(got, "statuses")),
			json_object_get_int(json_object_object_get(got, "delivered")));
		CHECK(json_object_get_boolean(json_object_object_get(got, "ok")));
		json_object_put(got);
	}
	free(reply);
	json_object_put(want);
}

static void reset(const char *script)
{
	free(control("/reset", script));
}

struct client {
	struct qz_otlp *otlp;
	struct qz_span_exporter *exp;
	struct qz_tracer *tracer;
};

static void client_new(struct client *c, const char *url, unsigned int retries)
{
	QZ_OPTS(qz_otlp_opts, oo, .endpoint = url, .service_name = SERVICE,
		.backoff_ms = 40, .retries = retries, .timeout_ms = 5000);
	char buf[128];

	if (!url) {
		snprintf(buf, sizeof(buf), "http://127.0.0.1:%d/v1/traces", port);
		oo.endpoint = buf;
	}
	c->otlp = qz_otlp__new(&oo);
	QZ_OPTS(qz_span_exporter_opts, eo, .export = qz_otlp__export,
		.ctx = c->otlp, .batch_size = 64, .batch_age_ms = 50,
		.shutdown_ms = 10000);
	c->exp = qz_span_exporter__new(&eo);
	QZ_OPTS(qz_tracer_opts, to, .exporter = c->exp);
	c->tracer = qz_tracer__new(&to);
	qz_tracer__set_default(c->tracer);
}

static void client_free(struct client *c)
{
	qz_tracer__free(c->tracer);
	qz_span_exporter__free(c->exp);
	qz_otlp__free(c->otlp);
}

static void touch_pages(int n)
{
	size_t len = (size_t)n * 4096;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	munmap(p, len);
}

/* A request with two children and a continued remote trace. */
static void make_spans(struct json_object *want)
{
	QZ_OPTS(qz_span_opts, server, .kind = QZ_SPAN_KIND_SERVER);
	QZ_OPTS(qz_span_opts, remote, .traceparent = TP);
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	struct qz_span_data req = { .sz = sizeof(req) };
	struct qz_span_data touch = { .sz = sizeof(touch) };
	struct qz_span_data slp = { .sz = sizeof(slp) };
	struct qz_span_data cont = { .sz = sizeof(cont) };
	struct qz_span *r, *s;
	cpu_set_t one_cpu, was;

	/* The request expects perf.migrated false: a loaded machine may
	 * wake the sleeper elsewhere unless the thread is held to one CPU. */
	sched_getaffinity(0, sizeof(was), &was);
	CPU_ZERO(&one_cpu);
	CPU_SET(sched_getcpu(), &one_cpu);
	CHECK_EQ(sched_setaffinity(0, sizeof(one_cpu), &one_cpu), 0);

	r = qz_span__begin("GET /work", &server);
	qz_span__set_attr(r, "http.route", "/work");
	s = qz_span__begin("touch", NULL);
	qz_span__set_attr_i64(s, "pages", 1000);
	touch_pages(1000);
	qz_span__end_copy(s, &touch);
	s = qz_span__begin("sleep", NULL);
	nanosleep(&ts, NULL);
	qz_span__end_copy(s, &slp);
	qz_span__end_copy(r, &req);
	s = qz_span__begin("continued", &remote);
	qz_span__set_attr_bool(s, "cached", true);
	qz_span__set_attr_f64(s, "ratio", 0.25);
	qz_span__end_copy(s, &cont);
	sched_setaffinity(0, sizeof(was), &was);

	expect(want, &req, counters ?
		"{\"http.route\":\"/work\",\"perf.task_clock_ns\":{\"min\":1},\"perf.migrated\":false}" :
		"{\"http.route\":\"/work\",\"perf.unavailable\":{\"present\":true}}", 2);
	expect(want, &touch, counters ?
		"{\"pages\":1000,\"perf.page_faults\":{\"min\":1000},\"perf.context_switches\":{\"present\":true},\"perf.cpu_migrations\":{\"present\":true},\"perf.read\":\"read\",\"perf.multiplexed\":false}" :
		"{\"pages\":1000}", 1);
	expect(want, &slp, counters ?
		"{\"perf.context_switches\":{\"min\":1},\"perf.task_clock_ns\":{\"max\":5000000},\"perf.page_faults\":{\"present\":true}}" :
		"{}", 1);
	expect(want, &cont, "{\"cached\":true,\"ratio\":0.25,\"thread.id\":{\"min\":1}}", 1);
}

static void test_503_then_200(void)
{
	struct json_object *want = json_object_new_array();
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };
	struct qz_otlp_stats os = { .sz = sizeof(os) };
	struct client c;

	reset("{\"script\":[\"503:1\",\"200\"]}");
	client_new(&c, NULL, 0);
	make_spans(want);
	CHECK_EQ(qz_span_exporter__flush(c.exp, 15000), 0);
	qz_span_exporter__stats(c.exp, &st);
	qz_otlp__stats(c.otlp, &os);
	CHECK_EQ(st.exported, 4);
	CHECK_EQ(st.failed, 0);
	CHECK_EQ(os.requests, 2);
	CHECK_EQ(os.retries, 1);
	CHECK_EQ(os.last_status, 200);
	/* Retry-After: 1 is a second, whatever the backoff says. */
	check(want, "[503,200]", 900);
	client_free(&c);
}

static void test_429_backoff(void)
{
	struct json_object *want = json_object_new_array();
	struct qz_otlp_stats os = { .sz = sizeof(os) };
	struct client c;

	reset("{\"script\":[\"429\",\"429\",\"200\"]}");
	client_new(&c, NULL, 0);
	make_spans(want);
	CHECK_EQ(qz_span_exporter__flush(c.exp, 15000), 0);
	qz_otlp__stats(c.otlp, &os);
	CHECK_EQ(os.retries, 2);
	CHECK_EQ(os.spans, 4);
	check(want, "[429,429,200]", 15);
	client_free(&c);
}

static void test_400_not_retried(void)
{
	struct json_object *want = json_object_new_array();
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };
	struct qz_otlp_stats os = { .sz = sizeof(os) };
	struct client c;

	reset("{\"script\":[\"400\"]}");
	client_new(&c, NULL, 0);
	qz_span__end(qz_span__begin("refused", NULL));
	CHECK_EQ(qz_span_exporter__flush(c.exp, 15000), 0);
	qz_span_exporter__stats(c.exp, &st);
	qz_otlp__stats(c.otlp, &os);
	CHECK_EQ(st.failed, 1);
	CHECK_EQ(os.requests, 1);
	CHECK_EQ(os.last_status, 400);
	/* Nothing expected as delivered: the one request was refused. */
	check(want, "[400]", 0);
	client_free(&c);
}

static void test_dead_endpoint(void)
{
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };
	struct qz_otlp_stats os = { .sz = sizeof(os) };
	struct client c;

	/* Port 9 (discard) on loopback: nothing listens, connect fails. */
	client_new(&c, "http://127.0.0.1:9/v1/traces", 2);
	qz_span__end(qz_span__begin("lost", NULL));
	CHECK_EQ(qz_span_exporter__flush(c.exp, 15000), 0);
	qz_span_exporter__stats(c.exp, &st);
	qz_otlp__stats(c.otlp, &os);
	CHECK_EQ(st.failed, 1);
	CHECK_EQ(os.requests, 3);
	client_free(&c);
}

/* The one-call exporter owns its client. */
static void test_owned_exporter(void)
{
	char url[128];
	QZ_OPTS(qz_otlp_opts, oo, .endpoint = url, .service_name = SERVICE);
	QZ_OPTS(qz_span_exporter_opts, eo, .batch_age_ms = 20);
	struct json_object *want = json_object_new_array();
	struct qz_span_exporter *e;
	struct qz_tracer *t;
	struct qz_span_data d = { .sz = sizeof(d) };

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/v1/traces", port);
	reset("{\"script\":[\"200\"]}");
	e = qz_otlp_exporter__new(&oo, &eo);
	CHECK(e);
	QZ_OPTS(qz_tracer_opts, to, .exporter = e);
	t = qz_tracer__new(&to);
	QZ_OPTS(qz_span_opts, so, .tracer = t);
	qz_span__end_copy(qz_span__begin("owned", &so), &d);
	qz_span_exporter__free(e);	/* exports what is left */
	qz_tracer__free(t);
	expect(want, &d, "{}", 1);
	check(want, "[200]", 0);
	eo.export = qz_otlp__export;
	CHECK(!qz_otlp_exporter__new(&oo, &eo));
}

int main(int argc, char **argv)
{
	char cmd[4096];
	struct qz_span_probe probe = { .sz = sizeof(probe) };
	int in_fd, status;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: %s NODE RECEIVER_JS SETUP_SH\n", argv[0]);
		return 1;
	}
	/* A missing npm package is a setup step, not a reason to skip. */
	snprintf(cmd, sizeof(cmd), "sh '%s'", argv[3]);
	if (system(cmd)) {
		fprintf(stderr, "otlp receiver setup failed: %s\n", cmd);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	pid = start_receiver(argv[1], argv[2], &in_fd);
	if (pid < 0) {
		fprintf(stderr, "the receiver did not start\n");
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	counters = !qz_span__probe(NULL, &probe);
	if (!counters)
		fprintf(stderr, "  no perf counters here (%s): checking the rest\n",
			probe.reason);
	RUN(test_503_then_200);
	RUN(test_429_backoff);
	RUN(test_400_not_retried);
	RUN(test_dead_endpoint);
	RUN(test_owned_exporter);
	close(in_fd);
	waitpid(pid, &status, 0);
	qz_span__close_thread();
	curl_global_cleanup();
	return test_result();
}
