// SPDX-License-Identifier: MIT
/*
 * A collector: one profiler session on its own thread. Each report it
 * makes gets the envelope (host, collector, seq, interval, labels) and
 * goes to its sink as one JSON line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/select.h>
#include <quazar/tp.h>
#include "agent_internal.h"

#define START_TIMEOUT_S 10

static uint64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* argv as the CLI would see it: PROFILER -e EV ... OPTIONS... */
static char **build_argv(const struct qz_config_collector *col, int *argc)
{
	char **argv = calloc(col->n_events * 2 + col->n_options + 2, sizeof(*argv));
	int n = 0;

	if (!argv)
		return NULL;
	argv[n++] = strdup(col->profiler);
	for (size_t i = 0; i < col->n_events; i++) {
		argv[n++] = strdup("-e");
		argv[n++] = strdup(col->events[i]);
	}
	for (size_t i = 0; i < col->n_options; i++)
		argv[n++] = strdup(col->options[i]);
	for (int i = 0; i < n; i++) {
		if (!argv[i]) {
			for (int j = 0; j < n; j++)
				free(argv[j]);
			free(argv);
			return NULL;
		}
	}
	*argc = n;
	return argv;
}

static void free_argv(char **argv, int argc)
{
	for (int i = 0; argv && i < argc; i++)
		free(argv[i]);
	free(argv);
}

/* Everything that makes a collector what it is, to compare on reload. */
char *qz_collector__signature(const struct qz_config *cfg,
			  const struct qz_config_collector *col)
{
	const struct qz_config_sink *sink = qz_config__sink(cfg, col->sink);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f)
		return NULL;
	qz_sig_put(f, "p", col->profiler);
	fprintf(f, "|%llu", (unsigned long long)col->interval_ms);
	qz_sig_put(f, "|s", col->sink ? col->sink : "stdout");
	for (size_t i = 0; i < col->n_events; i++)
		qz_sig_put(f, "|e", col->events[i]);
	for (size_t i = 0; i < col->n_options; i++)
		qz_sig_put(f, "|o", col->options[i]);
	if (sink) {
		fprintf(f, "|sink%d", sink->type);
		qz_sig_put(f, "|", sink->path);
		qz_sig_put(f, "|", sink->brokers);
		qz_sig_put(f, "|", sink->topic);
		qz_sig_put(f, "|", sink->key);
	}
	fclose(f);
	return buf;
}

struct tp_check {
	int found;
};

static int count_match(const char *sys, const char *name, void *ctx)
{
	(void)sys;
	(void)name;
	((struct tp_check *)ctx)->found++;
	return 0;
}

/* The selectors parse and their tracepoints exist. */
static int validate_events(const struct qz_config_collector *col, char *err,
			   size_t err_len)
{
	struct qz_tp *tp = NULL;
	int ret = 0;

	for (size_t i = 0; i < col->n_events && !ret; i++) {
		struct qz_selector sel = { 0 };
		struct qz_parse_error perr;
		char diag[768];

		if (qz_selector__parse_flags(&sel, col->events[i], QZ_SELECTOR_PROFILERS, &perr)) {
			qz_parse_error__format(&perr, col->events[i], diag, sizeof(diag));
			snprintf(err, err_len, "collector '%s' (line %d): bad event selector:\n%s",
				 col->name, col->line, diag);
			ret = -QZ_ERR_SELECTOR;
		}
		for (int e = 0; !ret && e < sel.nr_events; e++) {
			struct qz_event_spec *spec = &sel.events[e];
			struct tp_check check = { 0 };
			char pattern[512], hint[256] = "";

			if (spec->kind == QZ_SPEC_PROFILER && !qz_profiler__find(spec->name)) {
				/* A profiler as an event source must be one. */
				snprintf(err, err_len,
					 "collector '%s' (line %d): '%s' is no event nor profiler ('quazar list' lists events)",
					 col->name, col->line, spec->name);
				ret = -QZ_ERR_UNKNOWN_EVENT;
				break;
			}
			if (spec->kind != QZ_SPEC_TRACEPOINT)
				continue;
			if (!tp && !(tp = qz_tp__new(NULL))) {
				snprintf(err, err_len, "collector '%s': cannot read tracefs: %s",
					 col->name, qz_strerror(-errno));
				ret = -errno;
				break;
			}
			snprintf(pattern, sizeof(pattern), "%s:%s", spec->sys, spec->name);
			if (qz_tp__expand(tp, pattern, count_match, &check) < 0 || !check.found) {
				qz_tp__suggest(tp, pattern, hint, sizeof(hint));
				snprintf(err, err_len,
					 "collector '%s' (line %d): unknown tracepoint '%s'%s%s",
					 col->name, col->line, pattern, hint[0] ? "; " : "", hint);
				ret = -QZ_ERR_UNKNOWN_EVENT;
			}
		}
		qz_selector__clear(&sel);
	}
	qz_tp__free(tp);
	return ret;
}

static void discard(const char *line, size_t len, const char *type, void *ctx)
{
	(void)line;
	(void)len;
	(void)type;
	(void)ctx;
}

struct preflight {
	struct qz_session *session;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	int err;
	char msg[512];		/* the first error the session logged */
};

static void preflight_log(enum qz_log_level level, const char *msg, void *ctx)
{
	struct preflight *p = ctx;

	if (level == QZ_LOG_ERROR && !p->msg[0])
		snprintf(p->msg, sizeof(p->msg), "%s", msg);
}

static void preflight_ready(int err, void *ctx)
{
	struct preflight *p = ctx;

	pthread_mutex_lock(&p->lock);
	if (!p->ready) {
		p->ready = true;
		p->err = err;
	}
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

static void *preflight_main(void *arg)
{
	struct preflight *p = arg;

	preflight_ready(qz_session__run(p->session), p);
	return NULL;
}

/*
 * Run the collector's profiler up to the point where its events are open,
 * then stop it, with its reports thrown away: what only the profiler's
 * init or perf_event_open can find wrong (a top-by field the tracepoint
 * does not have, an event this machine cannot count) is found here,
 * before anything running is touched.
 */
static int preflight(const struct qz_config_collector *col,
		     struct qz_profiler_args *args, char *err, size_t err_len)
{
	struct preflight p = { .lock = PTHREAD_MUTEX_INITIALIZER,
			       .cond = PTHREAD_COND_INITIALIZER };
	QZ_OPTS(qz_output_opts, oopts, .json = true, .deliver = discard);
	QZ_OPTS(qz_session_opts, sopts, .log = preflight_log, .log_ctx = &p,
		.ready = preflight_ready, .ready_ctx = &p);
	struct qz_output *out = qz_output__new(&oopts);
	pthread_t thread;
	int ret;

	p.session = out ? qz_profiler_args__session(args, out, &sopts) : NULL;
	if (!p.session || pthread_create(&thread, NULL, preflight_main, &p)) {
		qz_session__free(p.session);
		qz_output__free(out);
		snprintf(err, err_len, "collector '%s': %s", col->name, strerror(ENOMEM));
		return -ENOMEM;
	}
	pthread_mutex_lock(&p.lock);
	while (!p.ready)
		pthread_cond_wait(&p.cond, &p.lock);
	ret = p.err;
	pthread_mutex_unlock(&p.lock);
	qz_session__stop(p.session);
	pthread_join(thread, NULL);
	qz_session__free(p.session);
	qz_output__free(out);
	if (ret)
		snprintf(err, err_len, "collector '%s' (line %d): cannot start: %s",
			 col->name, col->line, p.msg[0] ? p.msg : qz_strerror(ret));
	return ret;
}

int qz_collector__validate(const struct qz_config_collector *col, bool open_check,
		       char *err, size_t err_len)
{
	const struct qz_profiler *prof = qz_profiler__find(col->profiler);
	char perr[512];
	struct qz_profiler_args *args;
	char **argv;
	int argc, ret;

	if (!prof) {
		int n = snprintf(err, err_len,
				 "collector '%s' (line %d): unknown profiler '%s'; one of:",
				 col->name, col->line, col->profiler);

		for (const struct qz_profiler *const *p = qz_profilers(); *p; p++)
			if (n > 0 && (size_t)n < err_len)
				n += snprintf(err + n, err_len - (size_t)n, " %s", (*p)->name);
		return -QZ_ERR_CONFIG;
	}
	argv = build_argv(col, &argc);
	if (!argv)
		return -ENOMEM;
	args = qz_profiler_args__parse(prof, argc, argv, perr, sizeof(perr));
	if (!args) {
		snprintf(err, err_len, "collector '%s' (line %d): %s", col->name,
			 col->line, perr);
		free_argv(argv, argc);
		return -QZ_ERR_CONFIG;
	}
	ret = validate_events(col, err, err_len);
	if (!ret && open_check) {
		args->env->interval_ns = col->interval_ms * 1000000ull;
		args->env->json = true;
		ret = preflight(col, args, err, err_len);
	}
	qz_profiler_args__free(args);
	free_argv(argv, argc);
	return ret;
}

static void envelope(struct qz_json *j, const char *type, void *ctx)
{
	struct collector *c = ctx;
	struct qz_agent *a = c->agent;
	uint64_t now = wall_ns();

	(void)type;
	/* A report made and never delivered (its JSON failed): gone, known. */
	if (c->made != c->delivered)
		qz_seq__settled(c->seq, c->made, -EIO);
	pthread_mutex_lock(&a->lock);
	qz_json__key_str(j, "host", a->host);
	qz_json__key_str(j, "collector", c->name);
	c->made = qz_seq__next(c->seq, !c->sink->disk);
	qz_json__key_u64(j, "seq", c->made);
	qz_json__key_u64(j, "interval_start", c->interval_start);
	qz_json__key_u64(j, "interval_end", now);
	if (a->labels_json) {
		qz_json__key(j, "labels");
		qz_json__raw(j, a->labels_json, strlen(a->labels_json));
	}
	pthread_mutex_unlock(&a->lock);
	c->interval_start = now;
}

static void deliver(const char *line, size_t len, const char *type, void *ctx)
{
	struct collector *c = ctx;
	struct qz_agent *a = c->agent;
	const char *key = c->sink->key ? c->sink->key : c->name;
	int err;
	char *copy;

	/* Settled (qz_seq__settled) once it is safe from a crash. */
	err = qz_sink__write_tracked(c->sink->sink, line, len, key, c->seq, c->made);
	c->delivered = c->made;
	if (err)
		qz_log(&a->log, QZ_LOG_ERROR, "collector '%s': sink '%s' refused a %s report: %s",
		       c->name, c->sink->name, type, qz_strerror(err));
	qz_log(&a->debug, QZ_LOG_DEBUG, "%s: %.*s", c->name, (int)(len ? len - 1 : 0), line);
	copy = strndup(line, len ? len - 1 : 0);
	pthread_mutex_lock(&a->lock);
	if (copy) {
		free(c->latest);
		c->latest = copy;
	}
	c->reports++;
	pthread_mutex_unlock(&a->lock);
}

/* The session's log lines name their collector. */
static void session_log(enum qz_log_level level, const char *msg, void *ctx)
{
	struct collector *c = ctx;

	qz_log(&c->agent->log, level, "collector '%s': %s", c->name, msg);
}

/* On the collector's thread: the session's events are open, or not. */
static void on_ready(int err, void *ctx)
{
	struct collector *c = ctx;

	pthread_mutex_lock(&c->ready_lock);
	if (!c->ready) {
		c->ready = true;
		c->start_err = err;
	}
	pthread_cond_signal(&c->ready_cond);
	pthread_mutex_unlock(&c->ready_lock);
}

struct collector *qz_collector__new(struct qz_agent *agent,
				const struct qz_config_collector *cfg,
				struct agent_sink *sink, struct agent_seq *seq,
				char *err, size_t err_len)
{
	struct collector *c = calloc(1, sizeof(*c));
	char perr[512];

	if (!c)
		return NULL;
	pthread_mutex_init(&c->ready_lock, NULL);
	pthread_cond_init(&c->ready_cond, NULL);
	c->agent = agent;
	c->sink = sink;
	c->seq = seq;
	c->name = strdup(cfg->name);
	c->prof = qz_profiler__find(cfg->profiler);
	c->argv = build_argv(cfg, &c->argc);
	if (!seq || !c->name || !c->prof || !c->argv)
		goto fail;
	c->args = qz_profiler_args__parse(c->prof, c->argc, c->argv, perr, sizeof(perr));
	if (!c->args) {
		snprintf(err, err_len, "collector '%s': %s", cfg->name, perr);
		goto fail;
	}
	c->env = c->args->env;
	c->env->interval_ns = cfg->interval_ms * 1000000ull;
	c->env->json = true;
	{
		QZ_OPTS(qz_output_opts, oopts, .json = true, .envelope = envelope,
			.deliver = deliver, .ctx = c);
		QZ_OPTS(qz_session_opts, sopts, .log = session_log, .log_ctx = c, .ready = on_ready, .ready_ctx = c);

		c->out = qz_output__new(&oopts);
		c->session = c->out ? qz_profiler_args__session(c->args, c->out, &sopts) : NULL;
	}
	if (!c->session)
		goto fail;
	sink->users++;
	return c;
fail:
	if (!err[0])
		snprintf(err, err_len, "collector '%s': %s", cfg->name, strerror(errno ?: ENOMEM));
	c->sink = NULL;
	qz_collector__free(c);
	return NULL;
}

static void *collector_main(void *arg)
{
	struct collector *c = arg;

	c->interval_start = wall_ns();
	c->exit_err = qz_session__run(c->session);
	if (c->exit_err)
		qz_log(&c->agent->log, QZ_LOG_ERROR, "collector '%s' stopped: %s",
		       c->name, qz_strerror(c->exit_err));
	on_ready(c->exit_err, c);	/* in case run returned before open */
	__atomic_store_n(&c->exited, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Start the thread and wait until its events are open, so a collector
 * that cannot start (a field the profiler does not know, a failed
 * perf_event_open) is an error of the start, not a line in the log.
 */
int qz_collector__start(struct collector *c)
{
	struct timespec until;
	int err = pthread_create(&c->thread, NULL, collector_main, c);

	if (err)
		return -err;
	/* Read by the HTTP thread. */
	__atomic_store_n(&c->running, true, __ATOMIC_RELEASE);
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += START_TIMEOUT_S;
	pthread_mutex_lock(&c->ready_lock);
	while (!c->ready && err != ETIMEDOUT)
		err = pthread_cond_timedwait(&c->ready_cond, &c->ready_lock, &until);
	err = c->ready ? c->start_err : 0;	/* slow, not failed: it goes on */
	pthread_mutex_unlock(&c->ready_lock);
	return err;
}

/* The session makes its final report before run returns. */
void qz_collector__stop(struct collector *c)
{
	if (!c->running)
		return;
	qz_session__stop(c->session);
	pthread_join(c->thread, NULL);
	__atomic_store_n(&c->running, false, __ATOMIC_RELEASE);
}

void qz_collector__free(struct collector *c)
{
	if (!c)
		return;
	qz_collector__stop(c);
	qz_session__free(c->session);
	qz_output__free(c->out);
	qz_profiler_args__free(c->args);
	free_argv(c->argv, c->argc);
	if (c->sink)
		c->sink->users--;
	free(c->latest);
	free(c->signature);
	free(c->name);
	pthread_cond_destroy(&c->ready_cond);
	pthread_mutex_destroy(&c->ready_lock);
	free(c);
}
