// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "groupcount.h"

/* The name an expression or a column uses: alias=, else "sched_switch". */
static const char *member_name(struct qz_session *s, int idx)
{
	const struct qz_event_spec *spec = qz_session__spec(s, idx);
	struct qz_tp_event *tp = qz_session__tp_event(s, idx);

	if (spec->alias)
		return spec->alias;
	if (tp)
		return qz_tp_event__name(tp);
	return qz_session__event_name(s, idx);
}

int qz_groupcount__check_scope(struct qz_session *s, const char *name)
{
	struct qz_env *env = qz_session__env(s);

	if (env->pids || env->tids || env->cgroup || env->workload) {
		qz_session__log(s, QZ_LOG_ERROR,
				"%s runs a timer on CPUs: it takes -C, not -p, -t, --cgroup or a command",
				name);
		return -QZ_ERR_OPTION;
	}
	return 0;
}

int qz_groupcount__init(struct groupcount *g, struct qz_session *s,
		     uint64_t period_ns, uint64_t freq, uint64_t sample_type)
{
	struct qz_env *env = qz_session__env(s);
	int err, n;

	memset(g, 0, sizeof(*g));
	g->session = s;
	g->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	if (g->nr_cpus < 1)
		g->nr_cpus = 1;
	qz_session__set_sampling(s, period_ns, freq);
	g->leader = qz_session__add_events(s, "cpu-clock", PERF_SAMPLE_READ | sample_type);
	if (g->leader < 0)
		return g->leader;
	for (int i = 0; i < env->events.n; i++) {
		err = qz_session__add_events(s, env->events.v[i], 0);
		if (err < 0)
			return err;
	}
	n = qz_session__nr_events(s);
	g->nr = n - g->leader - 1;
	g->members = calloc((size_t)g->nr + 1, sizeof(*g->members));
	g->names = calloc((size_t)g->nr + 1, sizeof(*g->names));
	g->last = calloc((size_t)g->nr_cpus * (size_t)(g->nr + 1), sizeof(*g->last));
	g->primed = calloc((size_t)g->nr_cpus, 1);
	g->delta = calloc((size_t)g->nr + 1, sizeof(*g->delta));
	if (!g->members || !g->names || !g->last || !g->primed || !g->delta ||
	    qz_u64map__init(&g->slot_of, sizeof(int)))
		return -ENOMEM;
	for (int i = 0; i < g->nr; i++) {
		int idx = g->leader + 1 + i;
		const struct qz_event_spec *spec = qz_session__spec(s, idx);

		if (spec->stack || spec->untraced || spec->key || spec->period) {
			qz_session__log(s, QZ_LOG_ERROR,
					"%s is counted, not sampled: stack, untraced, key= and period= do not apply; drop them",
					qz_session__event_name(s, idx));
			return -QZ_ERR_OPTION;
		}
		err = qz_session__set_group(s, g->leader, idx);
		if (err)
			return err;
		g->members[i] = idx;
		g->names[i] = member_name(s, idx);
	}
	return 0;
}

void qz_groupcount__free(struct groupcount *g)
{
	free(g->members);
	free(g->names);
	free(g->last);
	free(g->primed);
	free(g->delta);
	if (g->slot_of.keys)
		qz_u64map__free(&g->slot_of);
	memset(g, 0, sizeof(*g));
}

/* Kernel ids of every fd of the group, to their slot: done at the first tick. */
static int map_ids(struct groupcount *g)
{
	for (int i = 0; i <= g->nr; i++) {
		int idx = i < g->nr ? g->members[i] : g->leader;
		struct qz_evsel *evsel = qz_session__evsel(g->session, idx);

		for (int j = 0; evsel && j < qz_evsel__nr_ids(evsel); j++) {
			int *slot = qz_u64map__put(&g->slot_of, qz_evsel__id(evsel, j), NULL);

			if (!slot)
				return -ENOMEM;
			*slot = i;
		}
	}
	g->ids_ready = true;
	return 0;
}

void qz_groupcount__reset(struct groupcount *g)
{
	memset(g->primed, 0, (size_t)g->nr_cpus);
}

bool qz_groupcount__tick(struct groupcount *g, const struct qz_event *ev)
{
	const struct qz_sample *smp = ev->sample;
	uint64_t *last, seen = 0;
	bool primed;

	if (smp->cpu >= (uint64_t)g->nr_cpus)
		return false;
	if (!g->ids_ready && map_ids(g))
		return false;
	last = g->last + smp->cpu * (uint64_t)(g->nr + 1);
	primed = g->primed[smp->cpu];
	for (uint64_t i = 0; i < smp->read.nr; i++) {
		uint64_t value, id;
		int *slot;

		if (qz_sample__read_entry(smp, i, &value, &id, NULL))
			break;
		slot = qz_u64map__get(&g->slot_of, id);
		if (!slot)
			continue;
		/* Counters only grow; a smaller value is a restarted group. */
		g->delta[*slot] = value >= last[*slot] ? value - last[*slot] : value;
		last[*slot] = value;
		seen++;
	}
	g->primed[smp->cpu] = 1;
	if (seen != (uint64_t)g->nr + 1) {
		g->bad_reads++;
		g->primed[smp->cpu] = 0;
		return false;
	}
	return primed;
}
