// SPDX-License-Identifier: MIT
/*
 * The HTTP endpoint: libmicrohttpd on its own polling thread, over a socket
 * we bind ourselves, so "host:port" errors are ours to report and port 0
 * can be read back.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <microhttpd.h>
#include "http.h"
#include "internal.h"
#include "metrics_internal.h"

struct qz_http {
	struct MHD_Daemon *mhd;
	struct qz_http_ops ops;
	void *ctx;
	struct qz_logger log;
	int port;
};

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct qz_http *h = cls;
	char line[512];

	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = 0;
	qz_log(&h->log, QZ_LOG_WARN, "http: %s", line);
}

static enum MHD_Result reply(struct MHD_Connection *conn, unsigned int status,
			     const char *type, char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* MUST_FREE: the body is ours, malloc'd, and MHD frees it. */
	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn,
				  unsigned int status, const char *text)
{
	char *body = strdup(text);

	return body ? reply(conn, status, "text/plain; charset=utf-8", body,
			    strlen(body)) : MHD_NO;
}

static enum MHD_Result reply_json(struct MHD_Connection *conn, unsigned int status,
				  struct qz_json *j)
{
	char *body = malloc(qz_json__len(j) + 1);

	if (!body)
		return reply_text(conn, 500, "error\n");
	memcpy(body, qz_json__data(j), qz_json__len(j) + 1);
	return reply(conn, status, "application/json", body, qz_json__len(j));
}

static enum MHD_Result page_metrics(struct qz_http *h, struct MHD_Connection *conn)
{
	struct qz_metrics m;
	int err;

	qz_metrics_init(&m);
	err = h->ops.metrics(&m, h->ctx) ?: m.err;
	if (err || !m.buf) {
		free(m.buf);
		if (err)
			qz_log(&h->log, QZ_LOG_ERROR, "http: /metrics: %s",
			       qz_strerror(err));
		return err ? reply_text(conn, 500, "error\n") :
			     reply_text(conn, 200, "");
	}
	return reply(conn, 200, "text/plain; version=0.0.4; charset=utf-8", m.buf,
		     m.len);
}

static enum MHD_Result page_data(struct qz_http *h, struct MHD_Connection *conn)
{
	struct qz_json *j = qz_json__new();
	enum MHD_Result ret;
	int err;

	if (!j)
		return reply_text(conn, 500, "error\n");
	err = h->ops.data(j, h->ctx) ?: qz_json__error(j);
	if (err) {
		qz_log(&h->log, QZ_LOG_ERROR, "http: /data: %s", qz_strerror(err));
		qz_json__free(j);
		return reply_text(conn, 500, "error\n");
	}
	ret = reply_json(conn, 200, j);
	qz_json__free(j);
	return ret;
}

/* The same shape healthy or not, so a probe can always parse it. */
static enum MHD_Result page_healthz(struct qz_http *h, struct MHD_Connection *conn)
{
	struct qz_json *reasons = qz_json__new(), *j = qz_json__new();
	enum MHD_Result ret;
	int n = 0;

	if (!reasons || !j) {
		qz_json__free(reasons);
		qz_json__free(j);
		return reply_text(conn, 500, "error\n");
	}
	qz_json__begin_array(reasons);
	if (h->ops.healthz)
		n = h->ops.healthz(reasons, h->ctx);
	qz_json__end_array(reasons);
	qz_json__begin_object(j);
	qz_json__key_str(j, "status", n ? "unhealthy" : "ok");
	qz_json__key(j, "reasons");
	qz_json__raw(j, qz_json__data(reasons), qz_json__len(reasons));
	qz_json__end_object(j);
	qz_json__newline(j);
	if (n >= 0)
		n = qz_json__error(reasons) ?: qz_json__error(j) ?: n;
	if (n < 0) {
		qz_log(&h->log, QZ_LOG_ERROR, "http: /healthz: %s", qz_strerror(n));
		ret = reply_text(conn, 500, "error\n");
	} else {
		ret = reply_json(conn, n ? 503 : 200, j);
	}
	qz_json__free(reasons);
	qz_json__free(j);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **state)
{
	struct qz_http *h = cls;

	(void)version;
	(void)upload;
	/* Nothing to read from clients: answer on the first call. */
	if (*upload_size)
		return MHD_NO;
	(void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply_text(conn, 405, "method not allowed\n");
	if (!strcmp(url, "/healthz"))
		return page_healthz(h, conn);
	if (!strcmp(url, "/metrics") && h->ops.metrics)
		return page_metrics(h, conn);
	if (!strcmp(url, "/data") && h->ops.data)
		return page_data(h, conn);
	if (!strcmp(url, "/"))
		return reply_text(conn, 200, "quazar agent: /healthz /metrics /data\n");
	return reply_text(conn, 404, "not found\n");
}

/* "host:port", "[v6]:port"; the host may be a name. */
static int bind_listen(const char *listen_addr, int *port)
{
	char host[256];
	const char *colon = strrchr(listen_addr, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	size_t n;
	int fd = -1, err, one = 1;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - listen_addr);
	if (n >= 2 && listen_addr[0] == '[' && listen_addr[n - 1] == ']') {
		listen_addr++;
		n -= 2;
	}
	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, listen_addr, n);
	host[n] = 0;
	err = getaddrinfo(n ? host : NULL, colon + 1, &hints, &res);
	if (err)
		return err == EAI_SYSTEM ? -errno : -EINVAL;
	err = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			err = -errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 64))
			break;
		err = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err;
	if (getsockname(fd, (struct sockaddr *)&ss, &sl)) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(ss.ss_family == AF_INET6 ?
		      ((struct sockaddr_in6 *)&ss)->sin6_port :
		      ((struct sockaddr_in *)&ss)->sin_port);
	return fd;
}

struct qz_http *qz_http__new(const char *listen_addr,
				    const struct qz_http_ops *ops, void *ctx)
{
	struct qz_http *h;
	int fd, err;

	if (!listen_addr) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->ctx = ctx;
	h->ops.log_fn = h->log.fn = QZ_OPT(ops, log_fn, NULL);
	h->ops.log_ctx = h->log.ctx = QZ_OPT(ops, log_ctx, NULL);
	h->ops.metrics = QZ_OPT(ops, metrics, NULL);
	h->ops.data = QZ_OPT(ops, data, NULL);
	h->ops.healthz = QZ_OPT(ops, healthz, NULL);
	fd = bind_listen(listen_addr, &h->port);
	if (fd < 0) {
		err = fd;
		qz_log(&h->log, QZ_LOG_ERROR, "http: cannot listen on %s: %s",
		       listen_addr, qz_strerror(err));
		goto err;
	}
	h->mhd = MHD_start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG,
				  0, NULL, NULL, on_request, h,
				  /* First, or MHD logs that it is not. */
				  MHD_OPTION_EXTERNAL_LOGGER, mhd_log, h,
				  MHD_OPTION_LISTEN_SOCKET, fd,
				  MHD_OPTION_CONNECTION_LIMIT, 64u,
				  MHD_OPTION_CONNECTION_TIMEOUT, 10u,
				  MHD_OPTION_END);
	if (!h->mhd) {
		err = -EIO;
		close(fd);
		qz_log(&h->log, QZ_LOG_ERROR, "http: cannot start the server on %s",
		       listen_addr);
		goto err;
	}
	qz_log(&h->log, QZ_LOG_INFO, "http: listening on %s (port %d)", listen_addr,
	       h->port);
	return h;
err:
	free(h);
	errno = -err;
	return NULL;
}

int qz_http__port(const struct qz_http *h)
{
	return h ? h->port : -EINVAL;
}

void qz_http__free(struct qz_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->mhd);	/* also closes the listening socket */
	free(h);
}
