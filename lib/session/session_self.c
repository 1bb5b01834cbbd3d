// SPDX-License-Identifier: MIT
/*
 * What a session says about itself, on request and without stopping: its
 * counters and the handler's state (SIGUSR1), its own resource use
 * (SIGUSR2, --usage-self), the cost of events in chosen contexts
 * (--perfeval-cpus/-pids); and --sampling-limit, the cap on samples per
 * second per instance.
 *
 * All of it runs on the loop's thread: signal handlers only ask
 * (qz_session__request), the loop answers.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include "session_internal.h"

#define NS 1000000000ull

struct limit {
	uint64_t start, count;		/* this one-second window */
};

/* One --perfeval set: CPUs or threads, sorted, with their counts. */
struct perfeval {
	const char *what, *list;	/* "cpus" or "pids"; as typed */
	int *keys;			/* cpu or tid, sorted */
	uint64_t *events, *cost_ns;	/* per key, this interval */
	int nr;
	uint64_t seen;			/* every sample this interval */
	uint64_t max_ns;
};

struct session_self {
	/* usage: the last line's baseline */
	uint64_t wall, cpu_user, cpu_sys, events;
	struct limit *limits;		/* per ring */
	int nr_limits;
	struct perfeval pe[2];		/* cpus, pids */
	uint64_t pe_start;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NS + (uint64_t)ts.tv_nsec;
}

static uint64_t tv_ns(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * NS + (uint64_t)tv->tv_usec * 1000;
}

static uint64_t events_read(const struct qz_session *s)
{
	return s->stats.samples + s->stats.filtered + s->stats.dropped;
}

static struct qz_output *status_out(struct qz_session *s)
{
	return s->status_out ? s->status_out : s->out;
}

static void usage_baseline(struct qz_session *s)
{
	struct session_self *me = s->self;
	struct rusage ru;

	me->wall = mono_ns();
	me->events = events_read(s);
	if (!getrusage(RUSAGE_SELF, &ru)) {
		me->cpu_user = tv_ns(&ru.ru_utime);
		me->cpu_sys = tv_ns(&ru.ru_stime);
	}
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int perfeval_init(struct qz_session *s, struct perfeval *pe,
			 const char *what, const char *list)
{
	struct qz_cpu_map *cpus = NULL;
	struct qz_thread_map *threads = NULL;
	char err[256] = "";

	pe->what = what;
	pe->list = list;
	if (!strcmp(what, "cpus")) {
		cpus = qz_cpu_map__new(list, err, sizeof(err));
		pe->nr = cpus ? qz_cpu_map__nr(cpus) : 0;
	} else {
		threads = qz_thread_map__new_str(list, NULL, err, sizeof(err));
		pe->nr = threads ? qz_thread_map__nr(threads) : 0;
	}
	if (!pe->nr) {
		qz_log(&s->log, QZ_LOG_ERROR, "--perfeval-%s '%s': %s", what, list,
		       err[0] ? err : "nothing to watch");
		qz_cpu_map__put(cpus);
		qz_thread_map__put(threads);
		return -EINVAL;
	}
	pe->keys = calloc((size_t)pe->nr, sizeof(*pe->keys));
	pe->events = calloc((size_t)pe->nr, sizeof(*pe->events));
	pe->cost_ns = calloc((size_t)pe->nr, sizeof(*pe->cost_ns));
	if (pe->keys && pe->events && pe->cost_ns)
		for (int i = 0; i < pe->nr; i++)
			pe->keys[i] = cpus ? qz_cpu_map__cpu(cpus, i) :
					     (int)qz_thread_map__tid(threads, i);
	qz_cpu_map__put(cpus);
	qz_thread_map__put(threads);
	if (!pe->keys || !pe->events || !pe->cost_ns)
		return -ENOMEM;
	qsort(pe->keys, (size_t)pe->nr, sizeof(int), cmp_int);
	return 0;
}

int qz__self_init(struct qz_session *s)
{
	struct qz_env *env = s->env;
	struct session_self *me;
	int err = 0;

	if (s->counting && (env->sampling_limit || env->perfeval_cpus || env->perfeval_pids)) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "--sampling-limit and --perfeval-* act on samples; this profiler counts without sampling");
		return -QZ_ERR_OPTION;
	}
	me = s->self = calloc(1, sizeof(*me));
	if (!me)
		return -ENOMEM;
	usage_baseline(s);
	me->pe_start = me->wall;
	if (env->sampling_limit && s->evlist) {
		me->nr_limits = qz_evlist__nr_rings(s->evlist);
		me->limits = calloc((size_t)me->nr_limits ?: 1, sizeof(*me->limits));
		if (!me->limits)
			return -ENOMEM;
	}
	if (env->perfeval_cpus)
		err = perfeval_init(s, &me->pe[0], "cpus", env->perfeval_cpus);
	if (!err && env->perfeval_pids)
		err = perfeval_init(s, &me->pe[1], "pids", env->perfeval_pids);
	return err;
}

void qz__self_free(struct qz_session *s)
{
	struct session_self *me = s->self;

	if (!me)
		return;
	for (int i = 0; i < 2; i++) {
		free(me->pe[i].keys);
		free(me->pe[i].events);
		free(me->pe[i].cost_ns);
	}
	free(me->limits);
	free(me);
	s->self = NULL;
}

bool qz__self_over_limit(struct qz_session *s, const struct qz_sample *smp)
{
	struct session_self *me = s->self;
	struct limit *l;

	if (!me || s->cur_ring < 0 || s->cur_ring >= me->nr_limits)
		return false;
	l = &me->limits[s->cur_ring];
	if (smp->time < l->start || smp->time - l->start >= NS) {
		l->start = smp->time;
		l->count = 0;
	}
	if (++l->count <= s->env->sampling_limit)
		return false;
	__atomic_store_n(&s->stats.dropped, s->stats.dropped + 1, __ATOMIC_RELAXED);
	return true;
}

static int pe_find(const struct perfeval *pe, int key)
{
	const int *hit;

	if (!pe->keys)
		return -1;
	hit = bsearch(&key, pe->keys, (size_t)pe->nr, sizeof(int), cmp_int);
	return hit ? (int)(hit - pe->keys) : -1;
}

/* The handler's sample call, timed when the sample is in a watched context. */
void qz__self_sample(struct qz_session *s, const struct qz_event *ev)
{
	struct session_self *me = s->self;
	int idx[2] = { pe_find(&me->pe[0], (int)ev->sample->cpu),
		       pe_find(&me->pe[1], (int)ev->sample->tid) };
	uint64_t t0, d;

	me->pe[0].seen++;
	me->pe[1].seen++;
	if (idx[0] < 0 && idx[1] < 0) {
		s->ops->sample(s->ctx, ev);
		return;
	}
	t0 = mono_ns();
	s->ops->sample(s->ctx, ev);
	d = mono_ns() - t0;
	for (int i = 0; i < 2; i++) {
		if (idx[i] < 0)
			continue;
		me->pe[i].events[idx[i]]++;
		me->pe[i].cost_ns[idx[i]] += d;
		if (d > me->pe[i].max_ns)
			me->pe[i].max_ns = d;
	}
}

bool qz__self_perfeval(const struct qz_session *s)
{
	return s->self && (s->self->pe[0].keys || s->self->pe[1].keys);
}

static void perfeval_one(struct qz_session *s, struct perfeval *pe, uint64_t span,
			 bool final)
{
	struct qz_output *out = status_out(s);
	uint64_t events = 0, cost = 0;
	double secs = span ? (double)span / 1e9 : 1;
	int active = 0;

	for (int i = 0; i < pe->nr; i++) {
		events += pe->events[i];
		cost += pe->cost_ns[i];
		active += pe->events[i] != 0;
	}
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "perfeval", mono_ns());

		qz_json__key_str(j, "context", pe->what);
		qz_json__key_str(j, "list", pe->list);
		qz_json__key_bool(j, "final", final);
		qz_json__key_u64(j, "interval_ns", span);
		qz_json__key_u64(j, "sampled", pe->seen);
		qz_json__key_u64(j, "matched", events);
		qz_json__key_double(j, "matched_per_sec", (double)events / secs);
		qz_json__key_u64(j, "ns_per_event", events ? cost / events : 0);
		qz_json__key_u64(j, "max_ns", pe->max_ns);
		qz_json__key(j, "instances");
		qz_json__begin_array(j);
		for (int i = 0; i < pe->nr; i++) {
			if (!pe->events[i])
				continue;
			qz_json__begin_object(j);
			qz_json__key_i64(j, pe->what[0] == 'c' ? "cpu" : "tid", pe->keys[i]);
			qz_json__key_u64(j, "events", pe->events[i]);
			qz_json__key_u64(j, "ns_per_event", pe->cost_ns[i] / pe->events[i]);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		FILE *f = qz_output__file(out);

		fprintf(f, "quazar perfeval %s %s: %" PRIu64 " of %" PRIu64
			   " events in their context (%.0f/s) on %d instances, %" PRIu64
			   " ns per event in quazar (max %" PRIu64 " ns)\n",
			pe->what, pe->list, events, pe->seen, (double)events / secs, active,
			events ? cost / events : 0, pe->max_ns);
		for (int i = 0; i < pe->nr; i++)
			if (pe->events[i])
				fprintf(f, "  %s %d: %" PRIu64 " events (%.0f/s), %" PRIu64
					   " ns per event\n",
					pe->what[0] == 'c' ? "cpu" : "tid", pe->keys[i],
					pe->events[i], (double)pe->events[i] / secs,
					pe->cost_ns[i] / pe->events[i]);
	}
	memset(pe->events, 0, (size_t)pe->nr * sizeof(*pe->events));
	memset(pe->cost_ns, 0, (size_t)pe->nr * sizeof(*pe->cost_ns));
	pe->seen = 0;
	pe->max_ns = 0;
}

void qz__self_perfeval_report(struct qz_session *s, bool final)
{
	struct session_self *me = s->self;
	uint64_t now = mono_ns();

	if (!qz__self_perfeval(s))
		return;
	for (int i = 0; i < 2; i++)
		if (me->pe[i].keys)
			perfeval_one(s, &me->pe[i], now - me->pe_start, final);
	me->pe_start = now;
	qz_output__flush(status_out(s));
}

/* Resident set size now, from /proc/self/statm; 0 if unknown. */
static uint64_t rss_bytes(void)
{
	unsigned long long size, resident;
	FILE *f = fopen("/proc/self/statm", "re");
	int n;

	if (!f)
		return 0;
	n = fscanf(f, "%llu %llu", &size, &resident);
	fclose(f);
	return n == 2 ? resident * (uint64_t)sysconf(_SC_PAGESIZE) : 0;
}

void qz__self_usage(struct qz_session *s)
{
	struct session_self *me = s->self;
	struct qz_output *out = status_out(s);
	uint64_t now = mono_ns(), user = me->cpu_user, sys = me->cpu_sys;
	uint64_t events = events_read(s) - me->events, span = now - me->wall;
	double secs = span ? (double)span / 1e9 : 1, upct, spct;
	uint64_t rss = rss_bytes();
	struct rusage ru;

	if (!getrusage(RUSAGE_SELF, &ru)) {
		user = tv_ns(&ru.ru_utime);
		sys = tv_ns(&ru.ru_stime);
	}
	upct = span ? 100.0 * (double)(user - me->cpu_user) / (double)span : 0;
	spct = span ? 100.0 * (double)(sys - me->cpu_sys) / (double)span : 0;
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "usage", now);

		qz_json__key_u64(j, "interval_ns", span);
		qz_json__key_double(j, "cpu_pct", upct + spct);
		qz_json__key_double(j, "user_pct", upct);
		qz_json__key_double(j, "sys_pct", spct);
		qz_json__key_u64(j, "rss_bytes", rss);
		qz_json__key_u64(j, "events", events);
		qz_json__key_double(j, "events_per_sec", (double)events / secs);
		qz_json__key_u64(j, "lost", s->stats.lost);
		qz_json__key_u64(j, "dropped", s->stats.dropped);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		fprintf(qz_output__file(out),
			"quazar usage: cpu %.2f%% (user %.2f%%, sys %.2f%%) over %.3f s, rss %.1f MiB, "
			"%.0f events/s (%" PRIu64 " events), lost %" PRIu64 ", dropped %" PRIu64 "\n",
			upct + spct, upct, spct, secs, (double)rss / (1 << 20),
			(double)events / secs, events, s->stats.lost, s->stats.dropped);
	}
	qz_output__flush(out);
	me->wall = now;
	me->cpu_user = user;
	me->cpu_sys = sys;
	me->events += events;
}

void qz__self_status(struct qz_session *s)
{
	struct qz_output *out = status_out(s);

	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "status", mono_ns());

		qz_json__key_u64(j, "samples", s->stats.samples);
		qz_json__key_u64(j, "filtered", s->stats.filtered);
		qz_json__key_u64(j, "dropped", s->stats.dropped);
		qz_json__key_u64(j, "lost", s->stats.lost);
		qz_json__key_u64(j, "late", s->stats.late);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		fprintf(qz_output__file(out),
			"quazar status: %" PRIu64 " events delivered, %" PRIu64 " filtered, %" PRIu64
			" dropped (--sampling-limit), lost %" PRIu64 ", late %" PRIu64 "\n",
			s->stats.samples, s->stats.filtered, s->stats.dropped, s->stats.lost,
			s->stats.late);
	}
	if (s->ops->status && s->ctx)
		s->ops->status(s->ctx, out);
	qz_output__flush(out);
}
