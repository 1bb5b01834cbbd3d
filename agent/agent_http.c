// SPDX-License-Identifier: MIT
/* The agent's pages: /metrics in Prometheus text, /data as JSON. */
#include <errno.h>
#include <stdlib.h>
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
			uint64_t v[] = { 0, 0, 0, 0, 0, 0, 0 };

			qz_session__stats(c->session, &st);
			v[0] = c->reports;
			v[1] = st.samples;
			v[2] = st.lost;
			v[3] = st.filtered;
			v[4] = c->seq->seq;
			v[5] = c->running && !__atomic_load_n(&c->exited, __ATOMIC_ACQUIRE);
			v[6] = c->exit_err != 0;
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
		.metrics = metrics_page, .data = data_page);

	a->http = qz_http__new(a->http_listen, &ops, a);
	if (!a->http) {
		int err = -errno;

		qz_log(&a->log, QZ_LOG_ERROR,
		       "cannot serve HTTP on %s: %s; set global.http_listen to a free address or 'off'",
		       a->http_listen, qz_strerror(err));
		return err;
	}
	qz_log(&a->log, QZ_LOG_INFO, "HTTP endpoint on %s (port %d): /healthz /metrics /data",
	       a->http_listen, qz_http__port(a->http));
	return 0;
}
