// SPDX-License-Identifier: MIT
/*
 * The tracepoint registry: one libtraceevent handle, formats parsed the
 * first time an event is asked for, and glob expansion over the events
 * tracefs lists. tracefs is mounted through libtracefs when absent.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tracefs.h>
#include "tp_internal.h"
#include "../util/util.h"

static bool host_big_endian(void)
{
	const uint16_t one = 1;

	return *(const uint8_t *)&one == 0;
}

QZ_API struct qz_tp *qz_tp__new(const struct qz_tp_opts *opts)
{
	const char *dir = QZ_OPT(opts, tracing_dir, NULL);
	bool offline = QZ_OPT(opts, offline, false);
	struct qz_tp *tp;
	enum tep_endian endian = host_big_endian() ? TEP_BIG_ENDIAN : TEP_LITTLE_ENDIAN;

	QZ_OPTS_CHECK_OR_NULL(opts);
	tp = calloc(1, sizeof(*tp));
	if (!tp)
		goto fail_errno;
	tp->log.fn = QZ_OPT(opts, log, NULL);
	tp->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	/* libtraceevent/libtracefs would print to stderr; the library never does. */
	tep_set_loglevel(TEP_LOG_NONE);
	tracefs_set_loglevel(TEP_LOG_NONE);
	if (!offline) {
		if (!dir)
			dir = tracefs_tracing_dir();	/* mounts tracefs if needed */
		if (!dir) {
			qz_log(&tp->log, QZ_LOG_ERROR, "tracefs is not mounted and cannot be mounted");
			errno = ENODEV;
			goto fail;
		}
		tp->dir = strdup(dir);
		if (!tp->dir)
			goto fail_errno;
	}
	tp->tep = tep_alloc();
	if (!tp->tep)
		goto fail_errno;
	tep_set_long_size(tp->tep, (int)sizeof(long));
	tep_set_page_size(tp->tep, (int)sysconf(_SC_PAGESIZE));
	tep_set_file_bigendian(tp->tep, endian);
	tep_set_local_bigendian(tp->tep, endian);
	trace_seq_init(&tp->seq);
	return tp;

fail_errno:
	errno = ENOMEM;
fail:
	qz_tp__free(tp);
	return NULL;
}

QZ_API void qz_tp__free(struct qz_tp *tp)
{
	int saved = errno;

	if (!tp)
		return;
	for (int i = 0; i < tp->nr_events; i++)
		qz__tp_event_free(tp->events[i]);
	free(tp->events);
	free(tp->scratch);
	if (tp->seq.buffer)
		trace_seq_destroy(&tp->seq);
	if (tp->tep)
		tep_free(tp->tep);
	free(tp->dir);
	free(tp);
	errno = saved;
}

QZ_API const char *qz_tp__tracing_dir(const struct qz_tp *tp)
{
	return tp ? tp->dir : NULL;
}

struct tep_handle *qz__tp_tep(struct qz_tp *tp)
{
	return tp ? tp->tep : NULL;
}

static struct qz_tp_event *find_loaded(struct qz_tp *tp, const char *sys,
				       const char *name)
{
	for (int i = 0; i < tp->nr_events; i++) {
		struct tep_event *e = tp->events[i]->tep;

		if (!strcmp(e->name, name) && !strcmp(e->system, sys))
			return tp->events[i];
	}
	return NULL;
}

static bool valid_format(const char *buf, size_t len)
{
	const char *id = memmem(buf, len, "\nID: ", 5);
	char *stop;
	long v;

	if (!id || !memmem(buf, len, "common_type;", 12) || !memmem(buf, len, "\nformat:", 8))
		return false;
	v = strtol(id + 5, &stop, 10);
	return v > 0 && v < 65536 && stop != id + 5 && (*stop == '\n' || *stop == '\0');
}

static int parse_format(struct qz_tp *tp, const char *sys, const char *buf,
			size_t len, struct qz_tp_event **evp)
{
	struct tep_event *e = NULL;
	struct qz_tp_event *ev, **grown;
	enum tep_errno te;

	/*
	 * libtraceevent keeps whatever it parsed, and finds common_type in
	 * its lowest-ID event: a format without an ID or common fields would
	 * break printing for every other event. Refuse those up front.
	 */
	if (!valid_format(buf, len)) {
		qz_log(&tp->log, QZ_LOG_WARN, "%s: not a tracepoint format", sys);
		return -QZ_ERR_UNKNOWN_EVENT;
	}
	te = tep_parse_format(tp->tep, &e, buf, len, sys);
	/* A print fmt libtraceevent cannot parse still leaves usable fields. */
	if (!e || (te && te != TEP_ERRNO__READ_PRINT_FAILED)) {
		qz_log(&tp->log, QZ_LOG_WARN, "cannot parse the format of %s event (%d)",
		       sys, (int)te);
		return -QZ_ERR_UNKNOWN_EVENT;
	}
	if (te)
		qz_log(&tp->log, QZ_LOG_WARN, "%s:%s: print fmt not understood; printing fields",
		       sys, e->name);
	ev = find_loaded(tp, sys, e->name);
	if (ev) {
		/* Already known (added twice): keep the first wrapper. */
		*evp = ev;
		return 0;
	}
	if (tp->nr_events == tp->cap_events) {
		int cap = tp->cap_events ? tp->cap_events * 2 : 16;

		grown = realloc(tp->events, sizeof(*grown) * (size_t)cap);
		if (!grown)
			return -ENOMEM;
		tp->events = grown;
		tp->cap_events = cap;
	}
	ev = qz__tp_event_new(tp, e);
	if (!ev)
		return -ENOMEM;
	tp->events[tp->nr_events++] = ev;
	*evp = ev;
	return 0;
}

QZ_API int qz_tp__add_format(struct qz_tp *tp, const char *sys,
			     const char *format, struct qz_tp_event **evp)
{
	struct qz_tp_event *ev = NULL;
	int ret;

	if (!tp || !sys || !format)
		return -EINVAL;
	ret = parse_format(tp, sys, format, strlen(format), &ev);
	if (!ret && evp)
		*evp = ev;
	return ret;
}

/* A name that is safe as a path component under events/. */
static bool plain_name(const char *s)
{
	if (!*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/')
			return false;
	return true;
}

static char *read_file(const char *path, size_t *len)
{
	size_t cap = 8192, n = 0;
	char *buf = malloc(cap), *grown;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t r;

	if (fd < 0 || !buf)
		goto fail;
	/* tracefs files report size 0: read until EOF. */
	while ((r = read(fd, buf + n, cap - n - 1)) > 0) {
		n += (size_t)r;
		if (n + 1 == cap) {
			if (cap > 1 << 24 || !(grown = realloc(buf, cap * 2)))
				goto fail;
			buf = grown;
			cap *= 2;
		}
	}
	if (r < 0)
		goto fail;
	close(fd);
	buf[n] = '\0';
	*len = n;
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

QZ_API struct qz_tp_event *qz_tp__event(struct qz_tp *tp, const char *sys,
					const char *name)
{
	struct qz_tp_event *ev;
	char *path, *buf;
	size_t len;
	int ret;

	if (!tp || !sys || !name) {
		errno = EINVAL;
		return NULL;
	}
	ev = find_loaded(tp, sys, name);
	if (ev)
		return ev;
	if (!tp->dir || !plain_name(sys) || !plain_name(name)) {
		errno = QZ_ERR_UNKNOWN_EVENT;
		return NULL;
	}
	if (asprintf(&path, "%s/events/%s/%s/format", tp->dir, sys, name) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	buf = read_file(path, &len);
	free(path);
	if (!buf) {
		errno = QZ_ERR_UNKNOWN_EVENT;
		return NULL;
	}
	ret = parse_format(tp, sys, buf, len, &ev);
	free(buf);
	if (ret) {
		errno = -ret;
		return NULL;
	}
	return ev;
}

QZ_API struct qz_tp_event *qz_tp__event_by_id(struct qz_tp *tp, int id)
{
	for (int i = 0; tp && i < tp->nr_events; i++)
		if (tp->events[i]->id == id)
			return tp->events[i];
	errno = QZ_ERR_UNKNOWN_EVENT;
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int push_name(char ***names, size_t *nr, size_t *cap, const char *sys,
		     const char *name)
{
	char **grown;

	if (*nr == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		grown = realloc(*names, sizeof(*grown) * *cap);
		if (!grown)
			return -ENOMEM;
		*names = grown;
	}
	if (asprintf(&(*names)[*nr], "%s:%s", sys, name) < 0)
		return -ENOMEM;
	(*nr)++;
	return 0;
}

void qz__tp_names_free(char **names, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
}

int qz__tp_names(struct qz_tp *tp, char ***out, size_t *out_nr)
{
	char **names = NULL, **systems = NULL;
	size_t nr = 0, cap = 0, w = 0;
	int ret = 0;

	for (int i = 0; !ret && i < tp->nr_events; i++)
		ret = push_name(&names, &nr, &cap, tp->events[i]->tep->system,
				tp->events[i]->tep->name);
	if (tp->dir)
		systems = tracefs_event_systems(tp->dir);
	for (int s = 0; !ret && systems && systems[s]; s++) {
		char **events = tracefs_system_events(tp->dir, systems[s]);

		for (int e = 0; !ret && events && events[e]; e++)
			ret = push_name(&names, &nr, &cap, systems[s], events[e]);
		tracefs_list_free(events);
	}
	tracefs_list_free(systems);
	if (ret) {
		qz__tp_names_free(names, nr);
		return ret;
	}
	if (nr)
		qsort(names, nr, sizeof(*names), cmp_str);
	for (size_t i = 0; i < nr; i++) {
		if (w && !strcmp(names[w - 1], names[i]))
			free(names[i]);
		else
			names[w++] = names[i];
	}
	*out = names;
	*out_nr = w;
	return 0;
}

QZ_API int qz_tp__expand(struct qz_tp *tp, const char *pattern,
			 qz_tp_expand_fn fn, void *ctx)
{
	const char *colon;
	char **names, *sys;
	size_t nr, plen;
	int ret, count = 0;

	if (!tp || !pattern || !(colon = strchr(pattern, ':')))
		return -EINVAL;
	sys = strndup(pattern, (size_t)(colon - pattern));
	if (!sys)
		return -ENOMEM;
	if (!qz__has_glob(pattern)) {
		/* Exact: the format read is the existence check. */
		ret = qz_tp__event(tp, sys, colon + 1) ? 1 : -QZ_ERR_UNKNOWN_EVENT;
		if (ret == 1 && fn && (ret = fn(sys, colon + 1, ctx)) == 0)
			ret = 1;
		free(sys);
		return ret;
	}
	free(sys);
	ret = qz__tp_names(tp, &names, &nr);
	if (ret)
		return ret;
	plen = strlen(pattern);
	for (size_t i = 0; i < nr; i++) {
		char *c = strchr(names[i], ':');
		size_t slen = (size_t)(c - names[i]);

		/* Match the parts separately so '*' never crosses the ':'. */
		if (!qz__glob_match(pattern, (size_t)(colon - pattern), names[i], slen) ||
		    !qz__glob_match(colon + 1, plen - (size_t)(colon + 1 - pattern),
				    c + 1, strlen(c + 1)))
			continue;
		count++;
		if (fn) {
			*c = '\0';
			ret = fn(names[i], c + 1, ctx);
			*c = ':';
			if (ret)
				break;
		}
	}
	qz__tp_names_free(names, nr);
	if (ret)
		return ret;
	return count ? count : -QZ_ERR_UNKNOWN_EVENT;
}
