// SPDX-License-Identifier: MIT
/*
 * multi-trace's options and events: -e positions to session events, keys
 * to tracepoint fields, checked with messages that name the input and a
 * fix. The runtime is multi_trace.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include <quazar/filter.h>
#include "multi_trace.h"
#include "profiler_table.h"

/* Options beyond the common ones (mt_options below). */
struct mt_opts {
	char *key;
	uint64_t than, lower, only_than;
	bool perins;
	char *heatmap;
	char *flame_graph;
	char *detail;
	bool cycle;
	char *impl;
};

#define DETAIL_MAX_BYTES (64u << 20)

/* "prev_comm, prev_pid, ..." : an event's own fields, for messages. */
void qz_mt__list_fields(const struct qz_tp_event *tp, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
	for (int i = 0; tp && i < qz_tp_event__nr_fields(tp) && n + 2 < len; i++) {
		const struct qz_tp_field *f = qz_tp_event__field_at(tp, i);

		if (qz_tp_field__flags(f) & QZ_TP_FIELD_COMMON &&
		    strcmp(qz_tp_field__name(f), "common_pid"))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? ", " : "",
				      qz_tp_field__name(f));
	}
}

/*
 * The field named by an attr (key=, ptr=, size=) of session event idx.
 * Logs what is wrong and how to fix it; -QZ_ERR_UNKNOWN_FIELD.
 */
int qz_mt__resolve_field(struct qz_session *s, int idx, const char *attr,
		     const char *name, const struct qz_tp_field **out)
{
	struct qz_tp_event *tp = qz_session__tp_event(s, idx);
	const char *ev = qz_session__event_name(s, idx);
	char fields[1024];

	*out = tp ? qz_tp_event__field(tp, name) : NULL;
	if (*out)
		return 0;
	if (!tp) {
		qz_session__log(s, QZ_LOG_ERROR,
				"%s=%s on '%s': only tracepoints have fields; drop %s= or use a tracepoint",
				attr, name, ev, attr);
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	qz_mt__list_fields(tp, fields, sizeof(fields));
	qz_session__log(s, QZ_LOG_ERROR,
			"%s=%s: %s has no field '%s'; its fields are: %s",
			attr, name, ev, name, fields);
	return -QZ_ERR_UNKNOWN_FIELD;
}

/*
 * Does text name a field of session event idx (rather than an expression)?
 * A bare name is a field unless it is a variable the event lacks as a
 * field (_cpu): a misspelt field is then reported with the event's fields.
 */
bool qz_mt__is_field(struct qz_session *s, int idx, const char *text)
{
	static const char *const vars[] = { "_cpu", "_pid", "_tid", "_time", "_period" };
	const struct qz_tp_event *tp = qz_session__tp_event(s, idx);

	if (!is_field_name(text))
		return false;
	if (tp && qz_tp_event__field(tp, text))
		return true;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if (!strcmp(text, vars[i]))
			return false;
	return true;
}

static int parse_impl(struct qz_session *s, const char *impl, enum mt_impl *out)
{
	if (!impl || !strcmp(impl, "delay")) {
		*out = MT_IMPL_DELAY;
		return 0;
	}
	if (!strcmp(impl, "pair")) {
		*out = MT_IMPL_PAIR;
		return 0;
	}
	qz_session__log(s, QZ_LOG_ERROR,
			"--impl %s: not supported; use --impl delay (default) or --impl pair%s",
			impl, !strcmp(impl, "kmemprof") ? " (for leaks: quazar kmemleak)" : "");
	return -QZ_ERR_OPTION;
}

static int mt_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct mt_opts *opts = qz_session__ops_opts(s);
	struct mt_config cfg = { .session = s };
	struct mt_event_cfg *evs = NULL;
	char *heatmap = NULL, err[512];
	int ret, n;
	struct mt *m;

	if (env->events.n < 2 && !(env->events.n == 1 && opts->cycle)) {
		qz_session__log(s, QZ_LOG_ERROR,
				"multi-trace needs a chain of events: -e EVENT1 -e EVENT2 [-e ...] (or one -e with --cycle)");
		return -EINVAL;
	}
	ret = parse_impl(s, opts->impl, &cfg.impl);
	if (ret)
		return ret;
	if (opts->only_than && opts->than && opts->only_than != opts->than) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--only-than sets the threshold --than does: give one of them");
		return -QZ_ERR_OPTION;
	}
	if (opts->detail) {
		if (!opts->than && !opts->lower && !opts->only_than) {
			qz_session__log(s, QZ_LOG_ERROR,
					"--detail prints the events around outliers: give --than TIME (or --lower TIME) too");
			return -QZ_ERR_OPTION;
		}
		ret = qz_mt_detail__parse(opts->detail, &cfg.dopts, err, sizeof(err));
		if (ret) {
			qz_session__log(s, QZ_LOG_ERROR, "%s", err);
			return -QZ_ERR_OPTION;
		}
		cfg.detail = true;
		cfg.detail_max_bytes = DETAIL_MAX_BYTES;
	}
	for (int i = 0; i < env->events.n; i++) {
		int first = qz_session__add_events(s, env->events.v[i], 0);
		struct mt_event_cfg *grown;

		if (first < 0) {
			free(evs);
			return first;
		}
		n = qz_session__nr_events(s);
		grown = realloc(evs, (size_t)n * sizeof(*evs));
		if (!grown) {
			free(evs);
			return -ENOMEM;
		}
		evs = grown;
		for (int idx = first; idx < n; idx++)
			evs[idx] = (struct mt_event_cfg){ .pos = i };
	}
	n = qz_session__nr_events(s);
	ret = 0;
	for (int idx = 0; idx < n && !ret; idx++) {
		const struct qz_event_spec *spec = qz_session__spec(s, idx);
		const char *key = spec->key ? spec->key : opts->key;

		/*
		 * An untraced event without fields (profile/-F 99/untraced/)
		 * only shows in --detail: -k's field does not apply to it.
		 */
		if (!spec->key && spec->untraced && !qz_session__tp_event(s, idx))
			key = NULL;

		evs[idx].untraced = spec->untraced;
		evs[idx].trigger = spec->trigger;
		if (spec->printkey && !cfg.printkey) {
			/* Rows merge every event's keys: the first printkey= prints them. */
			cfg.printkey = qz_session__expr_flags(s, idx, "printkey", spec->printkey,
							      QZ_FILTER_KEY | QZ_FILTER_PRINTF);
			if (!cfg.printkey) {
				ret = -errno;
				break;
			}
		}
		if (spec->role) {
			evs[idx].role = qz_session__expr(s, idx, "role", spec->role);
			if (!evs[idx].role) {
				ret = -errno;
				break;
			}
		}
		if (key && !qz_mt__is_field(s, idx, key)) {
			/* Not a field: an expression over fields and variables (_cpu). */
			evs[idx].key_expr = qz_session__expr(s, idx, spec->key ? "key" : "-k", key);
			ret = evs[idx].key_expr ? 0 : -errno;
			cfg.has_key_field = true;
			if (!cfg.key_name)
				cfg.key_name = key;
		} else if (key) {
			ret = qz_mt__resolve_field(s, idx, spec->key ? "key" : "-k", key,
					       &evs[idx].key);
			cfg.has_key_field = true;
			if (!cfg.key_name)
				cfg.key_name = key;
		}
	}
	for (int pos = 0; pos < env->events.n && !ret; pos++) {
		bool traced = false;

		for (int idx = 0; idx < n; idx++)
			traced |= evs[idx].pos == pos && !evs[idx].untraced;
		if (!traced) {
			qz_session__log(s, QZ_LOG_ERROR,
					"-e '%s': every event of this position is untraced; at least one must take part in the chain",
					env->events.v[pos]);
			ret = -QZ_ERR_OPTION;
		}
	}
	if (ret) {
		free(evs);
		return ret;
	}
	/* The fields it reads, unless an expression may read any. */
	qz_session__set_sample_fields(s, MT_SAMPLE_FIELDS);
	for (int idx = 0; idx < n; idx++)
		if (evs[idx].key_expr || evs[idx].role || cfg.printkey)
			qz_session__set_sample_fields(s, ~0ull);
	cfg.key_tid = env->pids || env->tids || env->workload;
	if (!cfg.key_name)
		cfg.key_name = cfg.key_tid ? "THREAD" : "CPU";
	/* Keys relate events across CPUs: that needs the global order. */
	if (cfg.has_key_field || cfg.detail)
		env->order = true;
	cfg.nr_events = n;
	cfg.events = evs;
	cfg.nr_pos = env->events.n;
	cfg.cycle = opts->cycle;
	cfg.perins = opts->perins;
	cfg.than = opts->than ? opts->than : opts->only_than;
	cfg.only_than = opts->only_than != 0;
	cfg.lower = opts->lower;
	if (opts->flame_graph && !opts->than && !opts->lower) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--flame-graph folds the stacks of the events --than/--lower print (with --detail, those around them too): give --than TIME, and the stack attr (or -g)");
		free(evs);
		return -QZ_ERR_OPTION;
	}
	cfg.flame_graph = opts->flame_graph;
	if (opts->heatmap) {
		size_t len = strlen(opts->heatmap);

		heatmap = malloc(len + 5);
		if (!heatmap) {
			free(evs);
			return -ENOMEM;
		}
		strcpy(heatmap, opts->heatmap);
		if (len < 4 || strcmp(opts->heatmap + len - 4, ".svg"))
			strcat(heatmap, ".svg");
		cfg.heatmap = heatmap;
		cfg.heatmap_col_ns = env->interval_ns / 10;	/* 0: 100 ms */
	}
	m = qz_mt__new(&cfg);
	free(evs);
	free(heatmap);
	if (!m)
		return -ENOMEM;
	*ctx = m;
	return 0;
}

static void mt_deinit(void *ctx)
{
	qz_mt__free(ctx);
}

static const struct qz_option mt_options[] = {
	QZ_OPTION_ENTRY(struct mt_opts, key, "key", 'k', QZ_OPTION_STRING, "EXPR",
			"key of events without key= (a field or an expression: -k '(_cpu<<16)|vec')"),
	QZ_OPTION_ENTRY(struct mt_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"report what exceeds TIME (ns, us, ms, s)"),
	QZ_OPTION_ENTRY(struct mt_opts, only_than, "only-than", 0, QZ_OPTION_TIME, "TIME",
			"as --than, and print an interval's table only when a latency exceeded TIME"),
	QZ_OPTION_ENTRY(struct mt_opts, lower, "lower", 0, QZ_OPTION_TIME, "TIME",
			"report what is below TIME"),
	QZ_OPTION_ENTRY(struct mt_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"statistics per instance (CPU, thread or key)"),
	QZ_OPTION_ENTRY(struct mt_opts, heatmap, "heatmap", 0, QZ_OPTION_STRING, "FILE",
			"write a latency heatmap (FILE.svg)"),
	QZ_OPTION_ENTRY(struct mt_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING, "FILE",
			"at exit, the stacks of the printed events to FILE.folded and FILE.svg"),
	QZ_OPTION_ENTRY(struct mt_opts, detail, "detail", 0, QZ_OPTION_OPT_STRING, "[=-N,+N,samecpu,...]",
			"print the events between outlier pairs"),
	QZ_OPTION_ENTRY(struct mt_opts, cycle, "cycle", 0, QZ_OPTION_BOOL, NULL,
			"close the event chain: last relates to first"),
	QZ_OPTION_ENTRY(struct mt_opts, impl, "impl", 0, QZ_OPTION_STRING, "IMPL",
			"two-event analysis: delay (default) or pair"),
	{ 0 },
};

const struct qz_profiler qz_profiler_multi_trace = {
	.name = "multi-trace",
	.help = "relate events by key: latency statistics per event pair, outliers, heatmap",
	.usage = "event attrs: key=FIELD, role=EXPR (1: event1, 2: event2, 3: both),\n"
		 "             untraced, alias=NAME, stack\n"
		 "examples:\n"
		 "  quazar multi-trace -e 'sched:sched_wakeup,sched:sched_wakeup_new' \\\n"
		 "      -e 'sched:sched_switch//key=next_pid/' -k pid -i 1000\n"
		 "  quazar multi-trace -e irq:softirq_entry -e irq:softirq_exit --than 100us\n"
		 "  quazar multi-trace -e 'kmem:kmalloc//key=ptr/' -e 'kmem:kfree//key=ptr/' --impl pair",
	.options = mt_options,
	.opts_size = sizeof(struct mt_opts),
	.attrs = QZ_PATTR_KEY | QZ_PATTR_PRINTKEY | QZ_PATTR_ROLE | QZ_PATTR_UNTRACED | QZ_PATTR_TRIGGER,
	.nest = true,
	.ops = {
		.init = mt_init,
		.sample = qz_mt__sample,
		.interval = qz_mt__interval,
		.deinit = mt_deinit,
		.status = qz_mt__status,
	},
};
