// SPDX-License-Identifier: MIT
/* The HTTP endpoint: /healthz, /metrics (checked as Prometheus text), /data
 * (parsed as JSON), errors and 404s, port 0, bad addresses. */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <json-c/json.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "http.h"
#include "../test.h"
#include "prom_check.h"

struct agent {
	int healthy;
	int fail;
	unsigned long reports;
};

static int metrics(struct qz_metrics *m, void *ctx)
{
	struct agent *a = ctx;
	const char *x[] = { "collector", "cpu-counters", NULL };
	const char *y[] = { "collector", "sched \"latency\"\\\n", "cpu", "1", NULL };
	const char *names[] = { "stdout", "bus" };
	struct qz_sink_stats st[2] = { { .written = 5, .delivered = 5 },
				       { .written = 9, .queued = 3, .spool_bytes = 1 << 20,
					 .spool_corrupt = 2, .fatal_errors = 1 } };

	if (a->fail)
		return -EIO;
	qz_metrics__family(m, "quazar_reports_total", QZ_METRIC_COUNTER,
			   "Reports made, per collector.\nSecond line \\ ok");
	qz_metrics__sample_u64(m, x, a->reports);
	qz_metrics__sample_u64(m, y, 7);
	qz_metrics__family(m, "quazar_up", QZ_METRIC_GAUGE, "1 when running.");
	qz_metrics__sample(m, NULL, 1);
	qz_metrics__family(m, "quazar-bad name", QZ_METRIC_GAUGE, "Sanitized.");
	qz_metrics__sample(m, NULL, 0.25);
	qz_metrics__sinks(m, names, st, 2);
	return 0;
}

static int data(struct qz_json *j, void *ctx)
{
	struct agent *a = ctx;

	qz_json__begin_object(j);
	qz_json__key_str(j, "host", "test");
	qz_json__key(j, "collectors");
	qz_json__begin_array(j);
	qz_json__begin_object(j);
	qz_json__key_str(j, "collector", "cpu-counters");
	qz_json__key_u64(j, "seq", a->reports);
	qz_json__end_object(j);
	qz_json__end_array(j);
	qz_json__end_object(j);
	return a->fail ? -EIO : 0;
}

/* One reason per thing wrong: the page lists them, 503 when any. */
static int healthz(struct qz_json *j, void *ctx)
{
	struct agent *a = ctx;

	if (a->fail)
		return -EIO;
	if (a->healthy)
		return 0;
	qz_json__begin_object(j);
	qz_json__key_str(j, "reason", "collector_stopped");
	qz_json__key_str(j, "collector", "sw");
	qz_json__end_object(j);
	qz_json__begin_object(j);
	qz_json__key_str(j, "reason", "spool_full");
	qz_json__key_str(j, "sink", "bus");
	qz_json__end_object(j);
	return 2;
}

/* The /healthz body: {"status": ..., "reasons": [...]}; returns the
 * number of reasons, -1 when the shape is wrong. */
static int health_body(const char *body, const char *status)
{
	struct json_object *obj = json_tokener_parse(body), *v, *r;
	int n = -1;

	if (obj && json_object_object_get_ex(obj, "status", &v) &&
	    !strcmp(json_object_get_string(v), status) &&
	    json_object_object_get_ex(obj, "reasons", &r) &&
	    json_object_is_type(r, json_type_array))
		n = (int)json_object_array_length(r);
	if (n < 0)
		fprintf(stderr, "bad /healthz body: %s\n", body);
	json_object_put(obj);
	return n;
}

/* A request over fd with extra header lines; returns the status, the body in body. */
static int request(int fd, const char *method, const char *path, const char *headers,
		   char *body, size_t size)
{
	char req[512], resp[65536];
	size_t n = 0;
	ssize_t r;
	int status = -1;
	char *sep;

	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: x\r\n%sConnection: close\r\n\r\n",
		 method, path, headers ? headers : "");
	if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
		close(fd);
		return -EIO;
	}
	while (n < sizeof(resp) - 1 && (r = read(fd, resp + n, sizeof(resp) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	resp[n] = 0;
	sscanf(resp, "HTTP/1.1 %d", &status);
	sep = strstr(resp, "\r\n\r\n");
	snprintf(body, size, "%s", sep ? sep + 4 : "");
	return status;
}

static int get_auth(int port, const char *method, const char *path, const char *headers,
		    char *body, size_t size)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd;

	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return request(fd, method, path, headers, body, size);
}

/* GET path; returns the status, the body in body. */
static int get(int port, const char *method, const char *path, char *body,
	       size_t size)
{
	return get_auth(port, method, path, NULL, body, size);
}

static int get_unix(const char *sock, const char *path, const char *headers, char *body,
		    size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	return request(fd, "GET", path, headers, body, size);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void test_pages(void)
{
	struct agent a = { .healthy = 1, .reports = 42 };
	QZ_OPTS(qz_http_ops, ops, .metrics = metrics, .data = data, .healthz = healthz);
	static char body[65536];
	char why[256];
	struct json_object *obj, *v;
	struct qz_http *h;
	int port, n, fds = count_fds();

	h = qz_http__new("127.0.0.1:0", &ops, &a);
	CHECK(h);
	if (!h)
		return;
	port = qz_http__port(h);
	CHECK(port > 0);

	CHECK_EQ(get(port, "GET", "/healthz", body, sizeof(body)), 200);
	CHECK_EQ(health_body(body, "ok"), 0);
	a.healthy = 0;
	CHECK_EQ(get(port, "GET", "/healthz", body, sizeof(body)), 503);
	CHECK_EQ(health_body(body, "unhealthy"), 2);
	CHECK(strstr(body, "\"collector\":\"sw\""));
	CHECK(strstr(body, "\"reason\":\"spool_full\""));
	a.healthy = 1;

	CHECK_EQ(get(port, "GET", "/metrics", body, sizeof(body)), 200);
	n = prom_check(body, why, sizeof(why));
	if (n < 0)
		fprintf(stderr, "/metrics line %d: %s\n%s", -n, why, body);
	CHECK_EQ(n, 4 + 13 * 2);	/* 13 sink families of one sample each */
	CHECK(strstr(body, "quazar_reports_total{collector=\"cpu-counters\"} 42\n"));
	CHECK(strstr(body, "{collector=\"sched \\\"latency\\\"\\\\\\n\",cpu=\"1\"} 7\n"));
	CHECK(strstr(body, "# TYPE quazar_bad_name gauge\nquazar_bad_name 0.25\n"));
	CHECK(strstr(body, "quazar_sink_queue_depth{sink=\"bus\"} 3\n"));
	CHECK(strstr(body, "# TYPE quazar_sink_delivered_total counter\n"));
	CHECK(strstr(body, "quazar_sink_spool_corrupt_total{sink=\"bus\"} 2\n"));
	CHECK(strstr(body, "quazar_sink_fatal_errors_total{sink=\"bus\"} 1\n"));
	/* The checker can fail: feed it what a scraper would reject. */
	CHECK(prom_check("# TYPE a counter\na{x=\"1} 2\n", why, sizeof(why)) < 0);
	CHECK(prom_check("# TYPE a counter\nb 2\n", why, sizeof(why)) < 0);
	CHECK(prom_check("# TYPE a counter\na 2\na 3\n", why, sizeof(why)) < 0);
	CHECK(prom_check("# TYPE a counter\na two\n", why, sizeof(why)) < 0);
	CHECK(prom_check("# TYPE 1a counter\n", why, sizeof(why)) < 0);

	CHECK_EQ(get(port, "GET", "/data", body, sizeof(body)), 200);
	obj = json_tokener_parse(body);
	CHECK(obj);
	CHECK(obj && json_object_object_get_ex(obj, "collectors", &v) &&
	      json_object_array_length(v) == 1);
	json_object_put(obj);

	CHECK_EQ(get(port, "GET", "/nope", body, sizeof(body)), 404);
	CHECK_EQ(get(port, "POST", "/metrics", body, sizeof(body)), 405);
	CHECK_EQ(get(port, "HEAD", "/healthz", body, sizeof(body)), 200);
	a.fail = 1;
	CHECK_EQ(get(port, "GET", "/healthz", body, sizeof(body)), 500);
	CHECK_EQ(get(port, "GET", "/metrics", body, sizeof(body)), 500);
	CHECK_EQ(get(port, "GET", "/data", body, sizeof(body)), 500);
	qz_http__free(h);
	CHECK_EQ(count_fds(), fds);	/* the listening socket went too */
	CHECK(get(port, "GET", "/healthz", body, sizeof(body)) < 0);
}

static void test_listen(void)
{
	QZ_OPTS(qz_http_ops, ops);
	struct qz_http *h, *h2;
	static char body[4096];
	char addr[32];

	errno = 0;
	CHECK(!qz_http__new("localhost", &ops, NULL));
	CHECK_EQ(errno, EINVAL);
	CHECK(!qz_http__new("no.such.host.invalid:80", &ops, NULL));
	h = qz_http__new("[::1]:0", &ops, NULL);
	if (h)	/* IPv6 loopback may be off in a container */
		CHECK(qz_http__port(h) > 0);
	qz_http__free(h);
	h = qz_http__new("localhost:0", &ops, NULL);
	CHECK(h);
	if (!h)
		return;
	/* No healthz page given: healthy, in the same shape. */
	CHECK_EQ(get(qz_http__port(h), "GET", "/healthz", body, sizeof(body)), 200);
	CHECK_EQ(health_body(body, "ok"), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", qz_http__port(h));
	errno = 0;
	h2 = qz_http__new(addr, &ops, NULL);
	CHECK(!h2);
	CHECK_EQ(errno, EADDRINUSE);
	qz_http__free(h2);
	qz_http__free(h);
	qz_http__free(NULL);
}

/*
 * "unix:PATH": a socket only its owner (root, for the agent) can connect
 * to: mode 0600 from the moment it accepts. A stale one (a crash) is
 * replaced, a live one or a plain file is not touched; free removes it.
 */
static void test_unix(void)
{
	struct agent a = { .healthy = 1, .reports = 7 };
	QZ_OPTS(qz_http_ops, ops, .metrics = metrics, .data = data, .healthz = healthz);
	char dir[64], sock[96], addr[128];
	static char body[65536];
	struct qz_http *h, *h2;
	struct stat st;
	int fd;

	snprintf(dir, sizeof(dir), "/tmp/qz-http-%d", getpid());
	snprintf(sock, sizeof(sock), "%s/sub/agent.sock", dir);
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	mkdir(dir, 0755);
	h = qz_http__new(addr, &ops, &a);
	CHECK(h);
	if (!h)
		return;
	CHECK(!stat(sock, &st) && S_ISSOCK(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0600);
	snprintf(addr, sizeof(addr), "%s/sub", dir);
	CHECK(!stat(addr, &st) && (st.st_mode & 0777) == 0700);
	CHECK_EQ(get_unix(sock, "/healthz", NULL, body, sizeof(body)), 200);
	CHECK_EQ(get_unix(sock, "/data", NULL, body, sizeof(body)), 200);
	CHECK(strstr(body, "\"seq\":7"));
	/* Another server on the same live socket: refused, the first goes on. */
	snprintf(addr, sizeof(addr), "unix:%s", sock);
	errno = 0;
	h2 = qz_http__new(addr, &ops, &a);
	CHECK(!h2);
	CHECK_EQ(errno, EADDRINUSE);
	qz_http__free(h2);
	CHECK_EQ(get_unix(sock, "/healthz", NULL, body, sizeof(body)), 200);
	qz_http__free(h);
	CHECK(stat(sock, &st) && errno == ENOENT);

	/* A stale socket, bound by a process that is gone: replaced. */
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
		CHECK(!bind(fd, (struct sockaddr *)&sa, sizeof(sa)));
		close(fd);
	}
	h = qz_http__new(addr, &ops, &a);
	CHECK(h);
	CHECK_EQ(get_unix(sock, "/healthz", NULL, body, sizeof(body)), 200);
	qz_http__free(h);
	/* A plain file there is not ours to remove. */
	fd = open(sock, O_WRONLY | O_CREAT, 0600);
	close(fd);
	errno = 0;
	CHECK(!qz_http__new(addr, &ops, &a));
	CHECK_EQ(errno, EEXIST);
	CHECK(!stat(sock, &st) && S_ISREG(st.st_mode));
	unlink(sock);
	CHECK(!qz_http__new("unix:relative.sock", &ops, &a));
	snprintf(addr, sizeof(addr), "rm -rf %s", dir);
	CHECK_EQ(system(addr), 0);
}

/* With a token, /data and /metrics want it; /healthz never does. */
static void test_token(void)
{
	struct agent a = { .healthy = 1, .reports = 3 };
	QZ_OPTS(qz_http_ops, ops, .metrics = metrics, .data = data, .healthz = healthz,
		.token = "s3cret-token");
	static char body[65536];
	struct qz_http *h = qz_http__new("127.0.0.1:0", &ops, &a);
	int port;

	CHECK(h);
	if (!h)
		return;
	port = qz_http__port(h);
	CHECK_EQ(get(port, "GET", "/data", body, sizeof(body)), 401);
	CHECK(!strstr(body, "seq"));
	CHECK_EQ(get(port, "GET", "/metrics", body, sizeof(body)), 401);
	CHECK_EQ(get_auth(port, "GET", "/data", "Authorization: Bearer wrong-token!\r\n",
			  body, sizeof(body)), 401);
	CHECK_EQ(get_auth(port, "GET", "/data", "Authorization: Bearer s3cret-tokenX\r\n",
			  body, sizeof(body)), 401);
	CHECK_EQ(get_auth(port, "GET", "/data", "Authorization: Basic czNjcmV0LXRva2Vu\r\n",
			  body, sizeof(body)), 401);
	CHECK_EQ(get_auth(port, "GET", "/data", "Authorization: Bearer s3cret-token\r\n",
			  body, sizeof(body)), 200);
	CHECK(strstr(body, "\"seq\":3"));
	CHECK_EQ(get_auth(port, "GET", "/metrics", "Authorization: bearer s3cret-token\r\n",
			  body, sizeof(body)), 200);
	CHECK_EQ(get(port, "GET", "/healthz", body, sizeof(body)), 200);
	qz_http__free(h);
}

int main(void)
{
	RUN(test_pages);
	RUN(test_listen);
	RUN(test_unix);
	RUN(test_token);
	return test_result();
}
