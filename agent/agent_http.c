// SPDX-License-Identifier: MIT
/*
 * The agent's HTTP endpoint: its pages (/metrics in Prometheus text, /data
 * as JSON; /healthz is agent_health.c), on a unix socket and over TCP.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "agent_internal.h"

static int metrics_page(struct qz_metrics *m, void *ctx)
{
	struct qz_agent *a = ctx;
	const char **names;
	struct qz_sink_stats *stats;
	static const struct {
		const char *name, *help;
		enum qz_metric_type type;
	} families[] = {
		{ "quazar_collector_reports_total", "Reports made by the collector.", QZ_METRIC_COUNTER },
		{ "quazar_collector_events_total", "Events the collector's profiler received.", QZ_METRIC_COUNTER },
		{ "quazar_collector_lost_events_total", "Events the kernel dropped because a ring was full.", QZ_METRIC_COUNTER },
		{ "quazar_collector_filtered_events_total", "Events dropped by a user-space filter.", QZ_METRIC_COUNTER },
		{ "quazar_collector_seq", "The collector's last report sequence number.", QZ_METRIC_GAUGE },
		{ "quazar_collector_running", "1 while the collector's thread runs.", QZ_METRIC_GAUGE },
		{ "quazar_collector_errors_total", "1 when the collector stopped on an error.", QZ_METRIC_COUNTER },
		{ "quazar_collector_crash_gap_total", "Reports the last run made but had not yet written, acked or spooled when it died (counted at start, with global.state_dir): each may be missing downstream.", QZ_METRIC_COUNTER },
	};

	/* set_config swaps the lists under the lock. */
	pthread_mutex_lock(&a->lock);
	names = calloc(a->nr_sinks + 1, sizeof(*names));
	stats = calloc(a->nr_sinks + 1, sizeof(*stats));
	if (!names || !stats) {
		pthread_mutex_unlock(&a->lock);
		free(names);
		free(stats);
		return -ENOMEM;
	}
	qz_metrics__family(m, "quazar_agent_info",  QZ_METRIC_GAUGE,
			   "Always 1; its labels are the host and global.labels of the config.");
	if (a->info_labels)
		qz_metrics__sample_u64(m, (const char *const *)a->info_labels, 1);
	for (size_t f = 0; f < QZ_ARRAY_SIZE(families); f++) {
		qz_metrics__family(m, families[f].name, families[f].type, families[f].help);
		for (size_t i = 0; i < a->nr_collectors; i++) {
			struct collector *c = a->collectors[i];
			const char *labels[] = { "collector", c->name, NULL };
			struct qz_session_stats st = { .sz = sizeof(st) };
			bool exited = __atomic_load_n(&c->exited, __ATOMIC_ACQUIRE);
			uint64_t v[] = { 0, 0, 0, 0, 0, 0, 0, 0 };

			qz_session__stats(c->session, &st);
			v[0] = c->reports;
			v[1] = st.samples;
			v[2] = st.lost;
			v[3] = st.filtered;
			v[4] = c->seq->seq;
			v[5] = __atomic_load_n(&c->running, __ATOMIC_ACQUIRE) && !exited;
			/* Set before exited is, by the collector's thread. */
			v[6] = exited && c->exit_err != 0;
			v[7] = c->seq->crash_gap;
			qz_metrics__sample_u64(m, labels, v[f]);
		}
	}
	for (size_t i = 0; i < a->nr_sinks; i++) {
		names[i] = a->sinks[i]->name;
		stats[i].sz = sizeof(stats[i]);
		qz_sink__stats(a->sinks[i]->sink, &stats[i]);
	}
	qz_metrics__sinks(m, names, stats, a->nr_sinks);
	pthread_mutex_unlock(&a->lock);
	free(names);
	free(stats);
	return qz_metrics__error(m);
}

static int data_page(struct qz_json *j, void *ctx)
{
	return qz_agent__get_data(ctx, j);
}

int qz_agent_http__start(struct qz_agent *a)
{
	QZ_OPTS(qz_http_ops, ops, .log_fn = a->log.fn, .log_ctx = a->log.ctx,
		.metrics = metrics_page, .data = data_page,
		.healthz = qz_agent_health__page, .token = a->http_token);
	char addr[256];
	int err = 0;

	if (a->http_socket && !a->http_unix) {
		snprintf(addr, sizeof(addr), "unix:%s", a->http_socket);
		a->http_unix = qz_http__new(addr, &ops, a);
		if (!a->http_unix) {
			err = -errno;
			qz_log(&a->log, QZ_LOG_ERROR,
			       "cannot serve HTTP on the unix socket %s: %s; set global.http_socket "
			       "to a path in a folder root can write, or 'off'", a->http_socket,
			       qz_strerror(err));
		} else {
			qz_log(&a->log, QZ_LOG_INFO,
			       "HTTP endpoint on unix:%s (mode 0600): /healthz /metrics /data%s",
			       a->http_socket, a->http_token ? " (bearer token)" : "");
		}
	}
	if (a->http_listen && !a->http) {
		a->http = qz_http__new(a->http_listen, &ops, a);
		if (!a->http) {
			err = err ?: -errno;
			qz_log(&a->log, QZ_LOG_ERROR,
			       "cannot serve HTTP on %s: %s; set global.http_listen to a free address or 'off'",
			       a->http_listen, qz_strerror(-errno));
		} else {
			qz_log(&a->log, QZ_LOG_INFO,
			       "HTTP endpoint on %s (port %d): /healthz /metrics /data%s",
			       a->http_listen, qz_http__port(a->http),
			       a->http_token ? " (bearer token)" : "");
		}
	}
	return err;
}

void qz_agent_http__stop(struct qz_agent *a)
{
	qz_http__free(a->http);
	qz_http__free(a->http_unix);
	a->http = a->http_unix = NULL;
}

int qz_agent_http__read_token(struct qz_agent *a, const char *path, char **token,
			      char *err, size_t err_len)
{
	char buf[4096], *start, *end;
	struct stat st;
	size_t n;
	FILE *f = fopen(path, "re");

	*token = NULL;
	if (!f || fstat(fileno(f), &st)) {
		snprintf(err, err_len, "global.http_token_file: cannot read %s: %s", path,
			 strerror(errno));
		if (f)
			fclose(f);
		return -EINVAL;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	for (start = buf; *start && isspace((unsigned char)*start); start++)
		;
	for (end = start + strlen(start); end > start && isspace((unsigned char)end[-1]); end--)
		;
	*end = 0;
	for (char *p = start; p < end; p++)
		if (!isgraph((unsigned char)*p))
			start = end;	/* spaces or control characters inside */
	if (!*start) {
		snprintf(err, err_len,
			 "global.http_token_file: %s holds no token (one line, e.g. from "
			 "'openssl rand -hex 32')", path);
		return -EINVAL;
	}
	if (st.st_mode & 077)
		qz_log(&a->log, QZ_LOG_WARN,
		       "global.http_token_file: %s can be read by others (mode %03o): chmod 600 it",
		       path, (unsigned int)(st.st_mode & 0777));
	*token = strdup(start);
	return *token ? 0 : -ENOMEM;
}
