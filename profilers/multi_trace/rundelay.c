// SPDX-License-Identifier: MIT
/*
 * rundelay: how long tasks wait for a CPU, perf-prof's built-in
 * multi-trace form:
 *
 *	quazar rundelay -e sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch//key=prev_pid/ \
 *	                -e sched:sched_switch//key=next_pid/ -k pid
 *
 * A task becomes runnable when it is woken (sched_wakeup, _new: key pid)
 * or preempted (sched_switch with it still runnable: key prev_pid), and
 * runs at its switch-in (sched_switch: key next_pid). Without -e these are
 * the events. The runnable switch-out is filtered on prev_state R: 0, or
 * 256 when preempted (TASK_REPORT_MAX, the "R+" of kernels since 4.14).
 *
 * -p/-t and --filter COMM become tracepoint filters on those events, and
 * the events are opened on every CPU: an event attached to a task misses
 * the switch-in and the wakeup, which happen in other tasks' context.
 * The pairing, tables, --than, --detail and --heatmap are multi-trace's.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/select.h>
#include <quazar/session.h>
#include "multi_trace.h"
#include "profiler_table.h"

/* Options beyond the common ones (rundelay_options below). */
struct rundelay_opts {
	char *key;
	uint64_t than;
	char *detail;
	bool perins;
	char *heatmap;
	char *filter;
};

#define MAX_SCOPE 256
#define DETAIL_MAX_BYTES (64u << 20)

static const char *const default_events[2] = {
	"sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch//key=prev_pid/",
	"sched:sched_switch//key=next_pid/",
};

struct scope {
	char pid[4096], prev[4096], next[4096];	/* "pid==1||comm~\"java\"", ... */
	int nr;
};

static int scope_add(struct qz_session *s, struct scope *sc, const char *what,
		     bool comm)
{
	static const char *const pid_f[] = { "pid", "prev_pid", "next_pid" };
	static const char *const comm_f[] = { "comm", "prev_comm", "next_comm" };
	char *bufs[] = { sc->pid, sc->prev, sc->next };

	if (sc->nr >= MAX_SCOPE) {
		qz_session__log(s, QZ_LOG_ERROR,
				"rundelay follows at most %d threads or names; use --filter COMM for larger scopes",
				MAX_SCOPE);
		return -E2BIG;
	}
	for (int i = 0; i < 3; i++) {
		size_t n = strlen(bufs[i]);

		if (comm)
			snprintf(bufs[i] + n, sizeof(sc->pid) - n, "%s%s%s\"%s\"", n ? "||" : "",
				 comm_f[i], strpbrk(what, "*?[") ? "~" : "==", what);
		else
			snprintf(bufs[i] + n, sizeof(sc->pid) - n, "%s%s==%s", n ? "||" : "",
				 pid_f[i], what);
	}
	sc->nr++;
	return 0;
}

/* -p PID: every thread of the process now; -t TID: that thread. */
static int scope_list(struct qz_session *s, struct scope *sc, const char *list, bool pids)
{
	char *copy = strdup(list), *tok, *save = NULL;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save)) {
		char path[64];
		struct dirent *d;
		DIR *dir;

		if (tok[strspn(tok, "0123456789")] || !*tok) {
			qz_session__log(s, QZ_LOG_ERROR, "%s %s: not a number", pids ? "-p" : "-t", tok);
			err = -QZ_ERR_OPTION;
			break;
		}
		if (!pids) {
			err = scope_add(s, sc, tok, false);
			continue;
		}
		snprintf(path, sizeof(path), "/proc/%s/task", tok);
		dir = opendir(path);
		if (!dir) {
			err = -errno;
			qz_session__log(s, QZ_LOG_ERROR, "-p %s: no such process (%s)", tok,
					qz_strerror(err));
			break;
		}
		while (!err && (d = readdir(dir)))
			if (d->d_name[0] != '.')
				err = scope_add(s, sc, d->d_name, false);
		closedir(dir);
	}
	free(copy);
	return err;
}

/*
 * spec's text with filter added to its own (both must hold): the event as
 * written, its "/filter/" replaced, its attributes kept.
 */
static char *splice_filter(const struct qz_event_spec *spec, const char *filter)
{
	size_t head = strlen(spec->sys) + 1 + strlen(spec->name), len;
	const char *text = spec->text, *rest;
	char *out;

	if (!filter[0])
		return strdup(text);
	if (strncmp(text, spec->sys, strlen(spec->sys)) || text[strlen(spec->sys)] != ':')
		return NULL;
	if (spec->filter)
		rest = text + head + 1 + strlen(spec->filter) + 1;
	else if (text[head] == '/')
		rest = text + head + 2;
	else
		rest = text + head;
	len = head + strlen(filter) + strlen(spec->filter ? spec->filter : "") + strlen(rest) + 16;
	out = malloc(len);
	if (!out)
		return NULL;
	if (spec->filter)
		snprintf(out, len, "%.*s/(%s)&&(%s)/%s", (int)head, text, spec->filter, filter, rest);
	else
		snprintf(out, len, "%.*s/%s/%s", (int)head, text, filter, rest);
	return out;
}

/* Which of the four rundelay events a spec of -e position pos is, or -1. */
static int role_of(const struct qz_event_spec *spec, int pos, const char *key)
{
	const char *k = spec->key ? spec->key : key;

	if (spec->kind != QZ_SPEC_TRACEPOINT || spec->untraced || !k || strcmp(spec->sys, "sched"))
		return -1;
	if (pos == 0 && !strcmp(k, "pid") && !strcmp(spec->name, "sched_wakeup"))
		return 0;
	if (pos == 0 && !strcmp(k, "pid") && !strcmp(spec->name, "sched_wakeup_new"))
		return 1;
	if (pos == 0 && !strcmp(k, "prev_pid") && !strcmp(spec->name, "sched_switch"))
		return 2;
	if (pos == 1 && !strcmp(k, "next_pid") && !strcmp(spec->name, "sched_switch"))
		return 3;
	return -1;
}

/* The -e strings with the scope's filters spliced into the four events. */
static int scoped_events(struct qz_session *s, const struct scope *sc, const char *key,
			 char *out[2])
{
	const char *in[2];
	char filters[4][4200];
	int found = 0, err = 0;
	struct qz_env *env = qz_session__env(s);

	snprintf(filters[0], sizeof(filters[0]), "%s", sc->pid);
	snprintf(filters[1], sizeof(filters[1]), "%s", sc->pid);
	snprintf(filters[2], sizeof(filters[2]), "(prev_state==0||prev_state==256)%s%s%s",
		 sc->prev[0] ? "&&(" : "&&prev_pid>0", sc->prev, sc->prev[0] ? ")" : "");
	snprintf(filters[3], sizeof(filters[3]), "%s", sc->next);
	for (int i = 0; i < 2; i++)
		in[i] = env->events.n ? env->events.v[i] : default_events[i];
	for (int pos = 0; pos < 2 && !err; pos++) {
		struct qz_selector sel = { 0 };
		struct qz_parse_error perr;
		size_t n = 0, cap = 1;
		char *joined;

		err = qz_selector__parse(&sel, in[pos], &perr);
		if (err) {
			char diag[1024];

			qz_parse_error__format(&perr, in[pos], diag, sizeof(diag));
			qz_session__log(s, QZ_LOG_ERROR, "bad event selector:\n%s", diag);
			break;
		}
		for (int i = 0; i < sel.nr_events; i++)
			cap += strlen(sel.events[i].text) + 4300;
		joined = calloc(1, cap);
		for (int i = 0; joined && i < sel.nr_events; i++) {
			int role = role_of(&sel.events[i], pos, key);
			char *t = splice_filter(&sel.events[i], role >= 0 ? filters[role] : "");

			found += role >= 0;
			if (!t) {
				err = -ENOMEM;
				break;
			}
			n += (size_t)snprintf(joined + n, cap - n, "%s%s", i ? "," : "", t);
			free(t);
		}
		qz_selector__clear(&sel);
		if (!joined)
			err = -ENOMEM;
		out[pos] = joined;
	}
	if (!err && found != 4) {
		qz_session__log(s, QZ_LOG_ERROR,
				"rundelay needs sched_wakeup and sched_wakeup_new (key pid) and sched_switch (key=prev_pid) in the first -e, sched_switch (key=next_pid) in the second; found %d of the 4. Give no -e for these defaults",
				found);
		err = -QZ_ERR_OPTION;
	}
	return err;
}

static int rundelay_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct rundelay_opts *opts = qz_session__ops_opts(s);
	struct mt_config cfg = { .session = s };
	struct mt_event_cfg *evs = NULL;
	const char *key = opts->key ?: "pid";
	char *events[2] = { NULL, NULL }, *heatmap = NULL, err_buf[512];
	struct scope *sc = calloc(1, sizeof(*sc));
	int err = 0, n;
	struct mt *m;

	if (!sc)
		return -ENOMEM;
	if (env->workload || env->cgroup) {
		qz_session__log(s, QZ_LOG_ERROR,
				"rundelay cannot follow %s (its events would miss switch-ins and wakeups); use -p PID or --filter COMM",
				env->workload ? "a command" : "--cgroup");
		err = -QZ_ERR_OPTION;
	} else if (env->events.n && env->events.n != 2) {
		qz_session__log(s, QZ_LOG_ERROR,
				"rundelay takes two -e (wakeups and runnable switch-outs, then switch-ins), or none");
		err = -QZ_ERR_OPTION;
	}
	if (!err && opts->filter) {
		char *copy = strdup(opts->filter), *tok, *save = NULL;

		if (!copy)
			err = -ENOMEM;
		for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && !err;
		     tok = strtok_r(NULL, ",", &save))
			err = scope_add(s, sc, tok, true);
		free(copy);
	}
	if (!err && env->pids)
		err = scope_list(s, sc, env->pids, true);
	if (!err && env->tids)
		err = scope_list(s, sc, env->tids, false);
	if (!err)
		err = scoped_events(s, sc, key, events);
	if (!err)
		qz_session__log(s, QZ_LOG_INFO, "rundelay: -e '%s' -e '%s' -k %s", events[0],
				events[1], key);
	free(sc);
	/* Opened on every CPU, scoped by the filters: see the top of this file. */
	free(env->pids);
	free(env->tids);
	env->pids = env->tids = NULL;
	if (!err && opts->detail) {
		if (!opts->than) {
			qz_session__log(s, QZ_LOG_ERROR,
					"--detail prints the events around outliers: give --than TIME too");
			err = -QZ_ERR_OPTION;
		} else if (qz_mt_detail__parse(opts->detail, &cfg.dopts, err_buf, sizeof(err_buf))) {
			qz_session__log(s, QZ_LOG_ERROR, "%s", err_buf);
			err = -QZ_ERR_OPTION;
		} else {
			cfg.detail = true;
			cfg.detail_max_bytes = DETAIL_MAX_BYTES;
		}
	}
	for (int pos = 0; pos < 2 && !err; pos++) {
		int first = qz_session__add_events(s, events[pos], 0);
		struct mt_event_cfg *grown;

		if (first < 0) {
			err = first;
			break;
		}
		n = qz_session__nr_events(s);
		grown = realloc(evs, (size_t)n * sizeof(*evs));
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		evs = grown;
		for (int idx = first; idx < n; idx++) {
			const struct qz_event_spec *spec = qz_session__spec(s, idx);
			const char *k = spec->key ? spec->key : key;

			evs[idx] = (struct mt_event_cfg){ .pos = pos, .untraced = spec->untraced };
			if (evs[idx].untraced)
				continue;
			if (is_field_name(k)) {
				err = qz_mt__resolve_field(s, idx, spec->key ? "key" : "-k", k,
							   &evs[idx].key);
			} else {
				evs[idx].key_expr = qz_session__expr(s, idx, spec->key ? "key" : "-k", k);
				err = evs[idx].key_expr ? 0 : -errno;
			}
			if (err)
				break;
		}
	}
	free(events[0]);
	free(events[1]);
	if (!err && opts->heatmap) {
		size_t len = strlen(opts->heatmap);

		heatmap = malloc(len + 5);
		if (!heatmap)
			err = -ENOMEM;
		else
			snprintf(heatmap, len + 5, "%s%s", opts->heatmap,
				 len >= 4 && !strcmp(opts->heatmap + len - 4, ".svg") ? "" : ".svg");
	}
	if (err) {
		free(evs);
		return err;
	}
	cfg.nr_events = qz_session__nr_events(s);
	cfg.events = evs;
	cfg.nr_pos = 2;
	cfg.perins = opts->perins;
	cfg.has_key_field = true;
	cfg.key_comm = true;
	cfg.key_name = key;
	cfg.impl = MT_IMPL_DELAY;
	cfg.than = opts->than;
	cfg.heatmap = heatmap;
	cfg.heatmap_col_ns = env->interval_ns / 10;
	env->order = true;	/* a task moves between CPUs */
	m = qz_mt__new(&cfg);
	free(evs);
	free(heatmap);
	if (!m)
		return -ENOMEM;
	*ctx = m;
	return 0;
}

static void rundelay_deinit(void *ctx)
{
	qz_mt__free(ctx);
}

static const struct qz_option rundelay_options[] = {
	QZ_OPTION_ENTRY(struct rundelay_opts, key, "key", 'k', QZ_OPTION_STRING, "FIELD",
			"the key of the events without key= (default pid)"),
	QZ_OPTION_ENTRY(struct rundelay_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"print each wait longer than TIME"),
	QZ_OPTION_ENTRY(struct rundelay_opts, detail, "detail", 0, QZ_OPTION_OPT_STRING,
			"[=-N,+N,samecpu,...]", "print the events between outlier pairs"),
	QZ_OPTION_ENTRY(struct rundelay_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"statistics per task"),
	QZ_OPTION_ENTRY(struct rundelay_opts, heatmap, "heatmap", 0, QZ_OPTION_STRING, "FILE",
			"write a latency heatmap (FILE.svg)"),
	QZ_OPTION_ENTRY(struct rundelay_opts, filter, "filter", 0, QZ_OPTION_STRING, "COMM[,COMM]",
			"only tasks of these names (globs allowed)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_rundelay = {
	.name = "rundelay",
	.help = "run delay: how long tasks wait for a CPU after a wakeup or a preemption",
	.usage = "Without -e: -e 'sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch//key=prev_pid/'\n"
		 "            -e 'sched:sched_switch//key=next_pid/' -k pid\n"
		 "examples:\n"
		 "  quazar rundelay -e sched:sched_wakeup,sched:sched_wakeup_new,sched:sched_switch//key=prev_pid/ \\\n"
		 "      -e sched:sched_switch//key=next_pid/ -k pid --order -p 1 -i 1000 --than 4ms\n"
		 "  quazar rundelay --filter java -i 1000 --than 4ms\n"
		 "  quazar rundelay -i 1000 --perins",
	.options = rundelay_options,
	.opts_size = sizeof(struct rundelay_opts),
	.attrs = QZ_PATTR_KEY | QZ_PATTR_UNTRACED,
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.default_order = true,
		.init = rundelay_init,
		.sample = qz_mt__sample,
		.interval = qz_mt__interval,
		.deinit = rundelay_deinit,
		.status = qz_mt__status,
	},
};
