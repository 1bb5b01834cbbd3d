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
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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
	char *token;		/* NULL: no authorization asked */
	char *unix_path;	/* the socket we made, removed at free */
	struct stat unix_st;	/* ...if it is still the one we made */
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

/* Compares in a time that does not depend on where they differ. */
static bool same_token(const char *given, const char *token)
{
	size_t n = strlen(given), m = strlen(token);
	unsigned char diff = n != m;

	for (size_t i = 0; i < m; i++)
		diff |= (unsigned char)(given[i < n ? i : n] ^ token[i]);
	return !diff;
}

static bool authorized(struct qz_http *h, struct MHD_Connection *conn)
{
	const char *v;

	if (!h->token)
		return true;
	v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					MHD_HTTP_HEADER_AUTHORIZATION);
	if (!v || strncasecmp(v, "Bearer ", 7))
		return false;
	for (v += 7; *v == ' '; v++)
		;
	return same_token(v, h->token);
}

static enum MHD_Result reply_401(struct MHD_Connection *conn)
{
	static const char text[] = "unauthorized: send Authorization: Bearer TOKEN\n";
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(sizeof(text) - 1, (void *)text,
					    MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer realm=\"quazar\"");
	ret = MHD_queue_response(conn, 401, r);
	MHD_destroy_response(r);
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
	if ((!strcmp(url, "/metrics") && h->ops.metrics) ||
	    (!strcmp(url, "/data") && h->ops.data)) {
		if (!authorized(h, conn))
			return reply_401(conn);
		return url[1] == 'm' ? page_metrics(h, conn) : page_data(h, conn);
	}
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

/* Does something accept connections on the unix socket at path? */
static bool unix_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return true;	/* cannot tell: leave it alone */
	live = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) ||
	       (errno != ECONNREFUSED && errno != ENOENT);
	close(fd);
	return live;
}

/*
 * A unix socket only its owner can use from the first connection on: it
 * is bound under a temporary name, made 0600, then renamed into place.
 */
static int bind_unix(const char *path, struct stat *made)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX }, tmp = { .sun_family = AF_UNIX };
	char dir[sizeof(sa.sun_path)], *slash;
	struct stat st;
	int fd, err;

	if (path[0] != '/' || strlen(path) + 12 >= sizeof(sa.sun_path))
		return -EINVAL;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	snprintf(tmp.sun_path, sizeof(tmp.sun_path), "%s.%d", path, (int)getpid());
	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	*slash = 0;
	if (dir[0] && mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		if (unix_live(&sa))
			return -EADDRINUSE;
	} else if (errno != ENOENT) {
		return -errno;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	unlink(tmp.sun_path);
	/* Bound but not listening: connections are refused until it is 0600. */
	if (bind(fd, (struct sockaddr *)&tmp, sizeof(tmp))) {
		err = -errno;
		close(fd);
		return err;
	}
	if (chmod(tmp.sun_path, 0600) || listen(fd, 64) ||
	    rename(tmp.sun_path, path) || stat(path, made)) {
		err = -errno;
		close(fd);
		unlink(tmp.sun_path);
		return err;
	}
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
	err = -ENOMEM;
	if (QZ_OPT(ops, token, NULL) && !(h->token = strdup(ops->token)))
		goto err;
	if (!strncmp(listen_addr, "unix:", 5)) {
		h->unix_path = strdup(listen_addr + 5);
		fd = h->unix_path ? bind_unix(h->unix_path, &h->unix_st) : -ENOMEM;
		if (fd < 0) {
			free(h->unix_path);
			h->unix_path = NULL;	/* not ours to remove */
		}
	} else {
		fd = bind_listen(listen_addr, &h->port);
	}
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
		if (h->unix_path)
			unlink(h->unix_path);
		qz_log(&h->log, QZ_LOG_ERROR, "http: cannot start the server on %s",
		       listen_addr);
		goto err;
	}
	if (h->unix_path)
		qz_log(&h->log, QZ_LOG_INFO, "http: listening on %s", listen_addr);
	else
		qz_log(&h->log, QZ_LOG_INFO, "http: listening on %s (port %d)", listen_addr,
		       h->port);
	return h;
err:
	free(h->token);
	free(h->unix_path);
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
	if (h->unix_path) {
		struct stat st;

		/* Only if it is still ours: another agent may have taken it. */
		if (!stat(h->unix_path, &st) && st.st_dev == h->unix_st.st_dev &&
		    st.st_ino == h->unix_st.st_ino)
			unlink(h->unix_path);
		free(h->unix_path);
	}
	free(h->token);
	free(h);
}
