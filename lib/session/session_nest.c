// SPDX-License-Identifier: MIT
/*
 * A handler running inside another session (perf-prof's profiler as an
 * event source, `-e 'task-state,profile/-F 99/untraced/'`). The nested
 * session keeps its own handler, options, events and statistics; its
 * events are opened in the outer session's evlist, so they share its
 * rings, its order and its lost-event accounting, and each of them is
 * handed to the nested handler first and then to the outer one, as one
 * of the outer session's events. The library names no handler: the
 * caller's nest hook says which handler a name stands for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "session_internal.h"

/* The nested session's own options that would watch something else. */
static const char *foreign_target(const struct qz_env *env)
{
	if (env->pids)
		return "-p";
	if (env->tids)
		return "-t";
	if (env->cgroup)
		return "--cgroup";
	if (env->workload)
		return "-- command";
	if (env->inherit)
		return "--inherit";
	if (env->output)
		return "-o";
	if (env->json)
		return "--json";
	return NULL;
}

/* Shared rings: the larger, woken the earlier; an order for all. */
static void merge_env(struct qz_env *outer, const struct qz_env *in)
{
	if (in->mmap_pages > outer->mmap_pages)
		outer->mmap_pages = in->mmap_pages;
	if (in->watermark >= 0 && (outer->watermark < 0 || in->watermark < outer->watermark))
		outer->watermark = in->watermark;
	outer->order |= in->order;
	if (in->order_window_ns > outer->order_window_ns)
		outer->order_window_ns = in->order_window_ns;
}

/* Adopt the nested session's events as this one's, from index first. */
static int adopt(struct qz_session *s, struct qz_session *n,
		 struct qz_event_spec *spec)
{
	int first = -1;

	for (int i = 0; i < n->nr_events; i++) {
		struct session_event *nev = &n->events[i];
		char name[256];
		int idx = qz__session_add_event(s, spec, nev->tp, 0);

		if (idx < 0)
			return idx;
		if (first < 0)
			first = idx;
		s->events[idx].nest = n;
		s->events[idx].nest_index = i;
		if (!spec->alias) {
			/* profile(cpu-clock), task-state(sched:sched_switch) */
			snprintf(name, sizeof(name), "%s(%s)", spec->name, nev->name);
			free(s->events[idx].name);
			s->events[idx].name = strdup(name);
			if (!s->events[idx].name)
				return -ENOMEM;
		}
	}
	return first;
}

QZ_API int qz_session__add_nested(struct qz_session *s, const struct qz_event_spec *spec,
				  const struct qz_session_ops *ops, const void *ops_opts,
				  struct qz_env *env, void *hook_ctx,
				  void (*release)(void *arg), void *release_arg)
{
	QZ_OPTS(qz_session_opts, opts, .log = s->log.fn, .log_ctx = s->log.ctx,
		.check_spec = s->check_spec, .nest = s->nest, .hook_ctx = hook_ctx,
		.nest_names = s->nest_names);
	struct session_nested *grown;
	struct qz_session *n;
	const char *foreign;
	int err, first;

	if (s->parent || spec->kind != QZ_SPEC_PROFILER) {
		err = s->parent ? -QZ_ERR_SELECTOR : -EINVAL;
		goto fail_release;
	}
	if (s->counting) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "'%s': this profiler counts events; it cannot read another profiler's one by one",
		       spec->text);
		err = -QZ_ERR_SELECTOR;
		if (release)
			release(release_arg);
		return err;
	}
	grown = realloc(s->nested, (size_t)(s->nr_nested + 1) * sizeof(*grown));
	if (!grown) {
		err = -ENOMEM;
		goto fail_release;
	}
	s->nested = grown;
	n = qz_session__new(ops, ops_opts, env, s->out, &opts);
	if (!n) {
		err = -errno;
		goto fail_release;
	}
	n->parent = s;
	/* Recorded now: freeing s frees it, and releases its options. */
	s->nested[s->nr_nested++] = (struct session_nested){ n, release, release_arg };

	if (n->counting || !ops->sample) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "'%s': this profiler has no events to give another one",
		       spec->text);
		return -QZ_ERR_SELECTOR;
	}
	err = ops->init(n, &n->ctx);
	if (err)
		return err;
	n->inited = true;
	if (n->counting) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "'%s': this profiler counts events and has none to give another one",
		       spec->text);
		return -QZ_ERR_SELECTOR;
	}
	foreign = foreign_target(env);
	if (foreign) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "'%s': a profiler inside another watches what the outer one watches and writes where it writes; give %s to the outer profiler",
		       spec->text, foreign);
		return -QZ_ERR_OPTION;
	}
	if (!n->nr_events) {
		qz_log(&s->log, QZ_LOG_ERROR, "'%s': this profiler added no events",
		       spec->text);
		return -QZ_ERR_SELECTOR;
	}
	merge_env(s->env, env);
	first = adopt(s, n, (struct qz_event_spec *)spec);
	return first;

fail_release:
	if (release)
		release(release_arg);
	if (err == -QZ_ERR_SELECTOR)
		qz_log(&s->log, QZ_LOG_ERROR,
		       "'%s': a profiler inside another cannot run one inside itself",
		       spec->text);
	return err;
}

QZ_API struct qz_session *qz_session__nested(const struct qz_session *s, int index,
					     int *nested_index)
{
	if (index < 0 || index >= s->nr_events || !s->events[index].nest)
		return NULL;
	if (nested_index)
		*nested_index = s->events[index].nest_index;
	return s->events[index].nest;
}

QZ_API struct qz_session *qz_session__parent(const struct qz_session *s)
{
	return s->parent;
}

/* Every event of s belongs to a nested handler whose -N was reached. */
static bool all_stopped(const struct qz_session *s)
{
	for (int i = 0; i < s->nr_events; i++)
		if (!s->events[i].nest || !s->events[i].nest->stopping)
			return false;
	return true;
}

bool qz__nest_sample(struct qz_session *s, const struct session_event *ev,
		     const struct qz_sample *sample)
{
	struct qz_session *n = ev->nest;
	const struct session_event *nev = &n->events[ev->nest_index];
	struct qz_event event;

	/* Its -N was reached: its events are over, for both handlers. */
	if (n->stopping)
		return false;
	event = (struct qz_event){
		.sample = sample,
		.index = ev->nest_index,
		.spec = nev->spec,
		.tp = nev->tp,
		.session = n,
	};
	n->ops->sample(n->ctx, &event);
	if (++n->stats.samples == n->env->exit_n) {
		n->stopping = 1;
		if (all_stopped(s))
			qz_session__stop(s);	/* nothing left to read */
	}
	return true;
}

void qz__nest_opened(struct qz_session *s)
{
	for (int i = 0; i < s->nr_nested; i++) {
		s->nested[i].s->evlist = s->evlist;
		s->nested[i].s->tasks = s->tasks;
	}
}

void qz__nest_lost(struct qz_session *s, int cpu, uint64_t lost)
{
	for (int i = 0; i < s->nr_nested; i++) {
		struct qz_session *n = s->nested[i].s;

		n->stats.lost += lost;
		if (cpu >= 0 && cpu < (int)QZ_ARRAY_SIZE(n->stats.lost_per_cpu))
			n->stats.lost_per_cpu[cpu] += lost;
		if (n->ops->lost)
			n->ops->lost(n->ctx, cpu, lost);
	}
}

void qz__nest_deinit(struct qz_session *s)
{
	for (int i = 0; i < s->nr_nested; i++) {
		struct qz_session *n = s->nested[i].s;

		if (n->inited && n->ops->deinit)
			n->ops->deinit(n->ctx);
		n->inited = false;
		n->ctx = NULL;
	}
}

void qz__nest_free(struct qz_session *s)
{
	qz__nest_deinit(s);
	for (int i = 0; i < s->nr_nested; i++) {
		qz_session__free(s->nested[i].s);
		if (s->nested[i].release)
			s->nested[i].release(s->nested[i].release_arg);
	}
	free(s->nested);
	s->nested = NULL;
	s->nr_nested = 0;
}
