// SPDX-License-Identifier: MIT
/* Prometheus text exposition format 0.0.4: HELP, TYPE, then samples. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "metrics_internal.h"

void qz_metrics_init(struct qz_metrics *m)
{
	memset(m, 0, sizeof(*m));
}

static void put(struct qz_metrics *m, const char *s, size_t n)
{
	if (m->err)
		return;
	if (m->len + n + 1 > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;
		char *b;

		while (cap < m->len + n + 1)
			cap *= 2;
		b = realloc(m->buf, cap);
		if (!b) {
			m->err = -ENOMEM;
			return;
		}
		m->buf = b;
		m->cap = cap;
	}
	memcpy(m->buf + m->len, s, n);
	m->len += n;
	m->buf[m->len] = 0;
}

static void puts_(struct qz_metrics *m, const char *s)
{
	put(m, s, strlen(s));
}

/* Metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names without ':'. */
static void put_name(struct qz_metrics *m, const char *name, bool colon)
{
	for (const char *p = name; *p; p++) {
		char c = *p;
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  c == '_' || (colon && c == ':') ||
			  (p != name && c >= '0' && c <= '9');

		put(m, ok ? &c : "_", 1);
	}
	if (!*name)
		put(m, "_", 1);
}

/* HELP text escapes \ and newline; label values also ". */
static void put_escaped(struct qz_metrics *m, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			put(m, "\\\\", 2);
		else if (*s == '\n')
			put(m, "\\n", 2);
		else if (quote && *s == '"')
			put(m, "\\\"", 2);
		else
			put(m, s, 1);
	}
}

void qz_metrics__family(struct qz_metrics *m, const char *name,
			       enum qz_metric_type type, const char *help)
{
	size_t start;

	puts_(m, "# HELP ");
	start = m->len;
	put_name(m, name, true);
	if (!m->err)
		snprintf(m->family, sizeof(m->family), "%.*s", (int)(m->len - start),
			 m->buf + start);
	puts_(m, " ");
	put_escaped(m, help ? help : "", false);
	puts_(m, "\n# TYPE ");
	puts_(m, m->family);
	puts_(m, type == QZ_METRIC_COUNTER ? " counter\n" : " gauge\n");
}

static void put_sample(struct qz_metrics *m, const char *const *labels,
		       const char *value)
{
	puts_(m, m->family);
	if (labels && labels[0]) {
		puts_(m, "{");
		for (const char *const *l = labels; l[0] && l[1]; l += 2) {
			if (l != labels)
				puts_(m, ",");
			put_name(m, l[0], false);
			puts_(m, "=\"");
			put_escaped(m, l[1], true);
			puts_(m, "\"");
		}
		puts_(m, "}");
	}
	puts_(m, " ");
	puts_(m, value);
	puts_(m, "\n");
}

void qz_metrics__sample(struct qz_metrics *m, const char *const *labels,
			       double value)
{
	char v[32];

	if (isnan(value))
		snprintf(v, sizeof(v), "NaN");
	else if (isinf(value))
		snprintf(v, sizeof(v), "%sInf", value > 0 ? "+" : "-");
	else
		snprintf(v, sizeof(v), "%.17g", value);
	put_sample(m, labels, v);
}

void qz_metrics__sample_u64(struct qz_metrics *m,
				   const char *const *labels, uint64_t value)
{
	char v[24];

	snprintf(v, sizeof(v), "%" PRIu64, value);
	put_sample(m, labels, v);
}

int qz_metrics__error(const struct qz_metrics *m)
{
	return m->err;
}

void qz_metrics__sinks(struct qz_metrics *m, const char *const *names,
			      const struct qz_sink_stats *stats, size_t n)
{
	static const struct {
		const char *name, *help;
		enum qz_metric_type type;
		size_t off;
	} fam[] = {
#define S(name, type, field, help) \
	{ "quazar_sink_" name, help, type, offsetof(struct qz_sink_stats, field) }
		S("written_total", QZ_METRIC_COUNTER, written, "Reports written to the sink."),
		S("delivered_total", QZ_METRIC_COUNTER, delivered,
		  "Reports delivered (written out, or acked by the brokers)."),
		S("queue_depth", QZ_METRIC_GAUGE, queued,
		  "Reports in the producer queue, not yet acked."),
		S("held", QZ_METRIC_GAUGE, held, "Reports held in memory while the queue drains."),
		S("spooled_total", QZ_METRIC_COUNTER, spooled, "Reports appended to the spool."),
		S("replayed_total", QZ_METRIC_COUNTER, replayed,
		  "Spooled reports delivered later."),
		S("spool_records", QZ_METRIC_GAUGE, spool_records, "Reports in the spool."),
		S("spool_bytes", QZ_METRIC_GAUGE, spool_bytes, "Size of the spool on disk."),
		S("spool_dropped_total", QZ_METRIC_COUNTER, spool_dropped,
		  "Oldest reports dropped from a full spool."),
		S("errors_total", QZ_METRIC_COUNTER, errors,
		  "Failed writes and delivery errors."),
		S("possible_duplicates_total", QZ_METRIC_COUNTER, possible_dups,
		  "Reports that failed after being sent and were sent again without reading the topic back: each may be in it twice."),
		S("spool_corrupt_total", QZ_METRIC_COUNTER, spool_corrupt,
		  "Spooled reports found damaged on disk and skipped."),
		S("fatal_errors_total", QZ_METRIC_COUNTER, fatal_errors,
		  "Fatal producer errors; each one recreates the producer."),
#undef S
	};

	for (size_t f = 0; f < sizeof(fam) / sizeof(fam[0]); f++) {
		qz_metrics__family(m, fam[f].name, fam[f].type, fam[f].help);
		for (size_t i = 0; i < n; i++) {
			const char *labels[] = { "sink", names[i], NULL };

			qz_metrics__sample_u64(m, labels,
				*(const uint64_t *)((const char *)&stats[i] + fam[f].off));
		}
	}
}
