// SPDX-License-Identifier: MIT
/*
 * Watching and firing. Every CPU runs one cpu-clock event at the base
 * rate with callchains; the samples' periods add up to each CPU's busy
 * (or kernel-mode) time per interval, so watching costs what plain
 * `profile -F 99` costs and nothing is symbolized. A CPU over the
 * threshold gets PERF_EVENT_IOC_PERIOD at the burst rate, its stacks kept
 * raw and resolved each interval, until --for has passed; then its base
 * rate is back and it may fire again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include "trigger_internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* mkdir -p */
static int make_dir(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static int check_env(struct qz_session *s, const struct qz_trigger_opts *o)
{
	struct qz_env *env = qz_session__env(s);

	if (env->workload || env->pids || env->tids) {
		qz_session__log(s, QZ_LOG_ERROR,
				"%s --than watches CPUs, not tasks: drop %s; pick CPUs with -C",
				o->name, env->workload ? "the command" : env->pids ? "-p" : "-t");
		return -EINVAL;
	}
	if (o->than < 1 || o->than > 100) {
		qz_session__log(s, QZ_LOG_ERROR, "%s: --than takes a percentage, 1 to 100",
				o->name);
		return -EINVAL;
	}
	if (o->for_ns && o->for_ns < 1000000000ull) {
		qz_session__log(s, QZ_LOG_ERROR,
				"%s: --for is at least 1s (captures are named by the second)",
				o->name);
		return -EINVAL;
	}
	return 0;
}

struct qz_trigger *qz_trigger__new(struct qz_session *s, const struct qz_trigger_opts *opts,
				   int *err)
{
	struct qz_env *env = qz_session__env(s);
	struct qz_trigger *t;

	*err = check_env(s, opts);
	if (*err)
		return NULL;
	*err = -ENOMEM;
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->session = s;
	t->o = *opts;
	t->o.for_ns = opts->for_ns ?: QZ_TRIGGER_FOR_NS;
	t->base_period = 1000000000ull / QZ_TRIGGER_BASE_HZ;
	t->burst_period = opts->burst_period_ns ?: 1000000000ull / QZ_TRIGGER_BURST_HZ;
	t->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	t->cpus = calloc((size_t)t->nr_cpus, sizeof(*t->cpus));
	t->sym = qz_session__symbolizer(s);
	t->fold = t->sym ? qz_stackfold__new(t->sym) : NULL;
	if (opts->dir && !(t->dir = strdup(opts->dir)))
		goto fail;
	/* "DIR/" names the directory too: files are DIR/<time>-cpu<N>. */
	for (size_t n = t->dir ? strlen(t->dir) : 0; n > 1 && t->dir[n - 1] == '/'; n--)
		t->dir[n - 1] = 0;
	if (!t->cpus || !t->fold)
		goto fail;
	if (t->dir && (*err = make_dir(t->dir))) {
		qz_session__log(s, QZ_LOG_ERROR, "--flame-graph %s: cannot make the directory: %s",
				t->dir, qz_strerror(*err));
		goto fail;
	}
	/* Callchains always: a capture starts between two samples. */
	env->callchain = true;
	qz_session__set_sampling(s, t->base_period, 0);
	t->idx = qz_session__add_events(s, "cpu-clock", PERF_SAMPLE_IP | PERF_SAMPLE_PERIOD);
	if (t->idx < 0) {
		*err = t->idx;
		goto fail;
	}
	t->interval_start = now_ns();
	*err = 0;
	return t;
fail:
	qz_trigger__free(t);
	return NULL;
}

void qz_trigger__free(struct qz_trigger *t)
{
	if (!t)
		return;
	for (long c = 0; t->cpus && c < t->nr_cpus; c++) {
		qz_stacktab__free(t->cpus[c].raw);
		qz_strcount__free(t->cpus[c].folded);
		qz_strcount__free(t->cpus[c].functions);
	}
	free(t->cpus);
	qz_stackfold__free(t->fold);
	free(t->dir);
	free(t);
}

void qz_trigger__sample(struct qz_trigger *t, const struct qz_event *ev)
{
	const struct qz_sample *smp = ev->sample;
	/* CLOCK_MONOTONIC, as the capture's bounds: without --clock-offset. */
	uint64_t time = smp->time - qz_session__env(t->session)->clock_offset;
	struct trigger_cpu *tc;
	uint64_t gen;

	if (smp->cpu >= (uint64_t)t->nr_cpus)
		return;
	tc = &t->cpus[smp->cpu];
	/* The idle task is not busy: it is what a CPU does when it is not. */
	if (smp->pid) {
		tc->busy_ns += smp->period;
		if ((int64_t)smp->ip < 0)	/* kernel mode: the upper half */
			tc->sys_ns += smp->period;
	}
	if (!tc->capturing || time < tc->start || time >= tc->end)
		return;
	if (!smp->pid) {
		tc->idle++;
		return;
	}
	tc->samples++;
	gen = qz_symbolizer__gen(t->sym, (pid_t)smp->pid);
	if (smp->callchain_nr)
		qz_stacktab__add(tc->raw, smp->pid, gen, qz_event__comm(ev), smp->callchain,
				 smp->callchain_nr, 1);
	else
		qz_stacktab__add_ip(tc->raw, smp->pid, gen, qz_event__comm(ev), smp->ip, 1);
}

/* Raise (or lower back) one CPU's sampling rate. */
static int set_period(struct qz_trigger *t, int cpu, uint64_t period)
{
	struct qz_evsel *evsel = qz_session__evsel(t->session, t->idx);
	struct qz_cpu_map *cpus = qz_evlist__cpus(qz_session__evlist(t->session));
	int idx = qz_cpu_map__idx(cpus, cpu), err;

	err = idx < 0 ? idx : qz_evsel__set_period(evsel, idx, period);
	if (err)
		qz_session__log(t->session, QZ_LOG_WARN,
				"%s: CPU%d: cannot set the sampling period to %llu ns: %s",
				t->o.name, cpu, (unsigned long long)period, qz_strerror(err));
	return err;
}

static void fire(struct qz_trigger *t, int cpu, double pct, uint64_t now)
{
	struct trigger_cpu *tc = &t->cpus[cpu];

	if ((!tc->raw && !(tc->raw = qz_stacktab__new(0))) ||
	    (!tc->folded && !(tc->folded = qz_strcount__new())) ||
	    (!tc->functions && !(tc->functions = qz_strcount__new()))) {
		qz_session__log(t->session, QZ_LOG_ERROR, "%s: CPU%d at %.1f%%: out of memory",
				t->o.name, cpu, pct);
		return;
	}
	set_period(t, cpu, t->burst_period);
	tc->capturing = true;
	tc->start = now;
	tc->end = now + t->o.for_ns;
	tc->next_allowed = tc->end;
	tc->pct = pct;
	clock_gettime(CLOCK_REALTIME, &tc->wall);
	tc->samples = tc->idle = tc->frames = tc->unknown = tc->dropped = 0;
	t->fired++;
	qz_session__log(t->session, QZ_LOG_DEBUG, "%s: CPU%d at %.1f%%: capturing for %.1f s",
			t->o.name, cpu, pct, t->o.for_ns / 1e9);
}

void qz_trigger__interval(struct qz_trigger *t, struct qz_output *out, bool final)
{
	uint64_t now = now_ns(), len = now - t->interval_start;

	t->interval_start = now;
	qz_stackfold__interval(t->fold);
	for (long c = 0; c < t->nr_cpus; c++) {
		struct trigger_cpu *tc = &t->cpus[c];
		uint64_t ns = t->o.sys ? tc->sys_ns : tc->busy_ns;
		double pct = len ? 100.0 * (double)ns / (double)len : 0;

		tc->busy_ns = tc->sys_ns = 0;
		if (tc->capturing) {
			/* Resolved while its processes' maps are still kept. */
			qz__trigger_resolve(t, tc);
			if (final || now >= tc->end) {
				set_period(t, (int)c, t->base_period);
				qz__trigger_report(t, (int)c, out);
			}
			continue;
		}
		if (!final && pct >= t->o.than && now >= tc->next_allowed)
			fire(t, (int)c, pct < 100 ? pct : 100, now);
	}
	if (final)
		qz_session__log(t->session, QZ_LOG_INFO, "%s: %llu trigger%s", t->o.name,
				(unsigned long long)t->fired, t->fired == 1 ? "" : "s");
}
