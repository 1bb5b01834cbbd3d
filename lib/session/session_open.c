// SPDX-License-Identifier: MIT
/*
 * Opening a session's events: maps from -C/-p/-t/--cgroup/-- cmd, one
 * evsel per event, filters to the kernel or, when it cannot, user space.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "session_internal.h"

/* Sampling defaults for events that count unless told otherwise. */
static void default_sampling(struct perf_event_attr *attr)
{
	if (attr->sample_period || attr->freq)
		return;
	if (attr->type == PERF_TYPE_HARDWARE ||
	    (attr->type == PERF_TYPE_SOFTWARE &&
	     (attr->config == PERF_COUNT_SW_CPU_CLOCK ||
	      attr->config == PERF_COUNT_SW_TASK_CLOCK))) {
		/* Time and cycles: sample at a rate, not every unit. */
		attr->freq = 1;
		attr->sample_freq = 1000;
	} else {
		attr->sample_period = 1;
	}
}

static struct qz_evsel *new_evsel(struct qz_session *s, struct session_event *ev,
				  char *errbuf, size_t errlen)
{
	QZ_OPTS(qz_attr_opts, aopts, .log = s->log.fn, .log_ctx = s->log.ctx,
		.errbuf = errbuf, .errlen = errlen);
	struct qz_event_spec exact = *ev->spec;
	struct perf_event_attr *attr;
	struct qz_evsel *evsel;

	/* The filter is applied after open, so a rejection can fall back. */
	exact.filter = NULL;
	if (ev->tp) {
		exact.sys = (char *)qz_tp_event__sys(ev->tp);
		exact.name = (char *)qz_tp_event__name(ev->tp);
	}
	evsel = qz_evsel__new_from_spec(&exact, &aopts);
	if (!evsel)
		return NULL;
	attr = qz_evsel__attr(evsel);
	if (s->counting) {
		attr->sample_type = 0;
		attr->sample_period = 0;
		attr->freq = 0;
	} else {
		attr->sample_type |= ev->sample_type;
		attr->sample_regs_user |= ev->regs_user;
		/* The kernel's own count of what it dropped, read at the end. */
		attr->read_format |= PERF_FORMAT_LOST;
		default_sampling(attr);
		if (s->period && !ev->spec->period) {
			attr->freq = 0;
			attr->sample_period = s->period;
		}
		if (s->freq) {
			attr->freq = 1;
			attr->sample_freq = s->freq;
		}
	}
	/* One clock for the kernel's timestamps and the --order cutoff. */
	attr->use_clockid = 1;
	attr->clockid = CLOCK_MONOTONIC;
	attr->exclude_user |= s->env->exclude_user;
	attr->exclude_kernel |= s->env->exclude_kernel;
	attr->exclude_guest |= s->env->exclude_guest;
	attr->exclude_host |= s->env->exclude_host;
	if (attr->sample_type & PERF_SAMPLE_CALLCHAIN) {
		attr->exclude_callchain_user = !s->env->user_callchain;
		attr->exclude_callchain_kernel = !s->env->kernel_callchain;
	}
	qz_evsel__set_priv(evsel, ev);
	return evsel;
}

static int setup_maps(struct qz_session *s)
{
	struct qz_env *env = s->env;
	struct qz_cpu_map *cpus = NULL;
	struct qz_thread_map *threads = NULL;
	char err[256] = "";
	int ret = 0;

	if (env->cpus) {
		cpus = qz_cpu_map__new(env->cpus, err, sizeof(err));
		if (!cpus) {
			qz_log(&s->log, QZ_LOG_ERROR, "-C '%s': %s", env->cpus, err);
			return -EINVAL;
		}
	}
	if (env->workload) {
		pid_t pid;

		s->workload = qz_workload__prepare(env->workload);
		if (!s->workload) {
			ret = -errno;
			qz_log(&s->log, QZ_LOG_ERROR, "cannot start '%s': %s",
			       env->workload[0], qz_strerror(ret));
			goto out;
		}
		pid = qz_workload__pid(s->workload);
		threads = qz_thread_map__new_tids(&pid, 1);
	} else if (env->pids || env->tids) {
		threads = qz_thread_map__new_str(env->pids, env->tids, err,
						 sizeof(err));
		if (!threads) {
			ret = -errno;
			qz_log(&s->log, QZ_LOG_ERROR, "%s%s%s%s: %s",
			       env->pids ? "-p " : "", env->pids ? env->pids : "",
			       env->tids ? " -t " : "", env->tids ? env->tids : "",
			       err[0] ? err : qz_strerror(ret));
			goto out;
		}
	}
	/*
	 * A task's counters count on every CPU: per-CPU ones would run only
	 * part of the time and scaling would inflate them.
	 */
	if (s->counting && threads && !cpus && !env->cgroup)
		cpus = qz_cpu_map__new_any();
	ret = qz_evlist__set_maps(s->evlist, cpus, threads);
	if (!ret && env->cgroup) {
		ret = qz_evlist__set_cgroup(s->evlist, env->cgroup);
		if (ret)
			qz_log(&s->log, QZ_LOG_ERROR,
			       "--cgroup '%s': %s; give a cgroup v2 path such as /sys/fs/cgroup/system.slice",
			       env->cgroup, qz_strerror(ret));
	}
out:
	qz_cpu_map__put(cpus);
	qz_thread_map__put(threads);
	return ret;
}

static void log_filter_error(struct qz_session *s, struct session_event *ev,
			     const struct qz_parse_error *perr)
{
	char diag[1024];

	qz_parse_error__format(perr, ev->spec->filter, diag, sizeof(diag));
	qz_log(&s->log, QZ_LOG_ERROR, "bad filter for %s:\n%s", ev->name, diag);
}

/*
 * The filter is compiled first, so a bad field is reported with its column
 * whoever runs it; then the kernel takes it when it can.
 */
static int setup_filter(struct qz_session *s, struct session_event *ev)
{
	const char *text = ev->spec->filter;
	struct qz_parse_error perr;
	int err;

	if (!text || !*text)
		return 0;
	if (!ev->tp) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "%s: filters apply to tracepoints only; drop '/%s/'",
		       ev->name, text);
		return -QZ_ERR_FILTER;
	}
	ev->user_filter = qz_filter__compile(text, ev->tp, &perr);
	if (!ev->user_filter) {
		log_filter_error(s, ev, &perr);
		return -QZ_ERR_FILTER;
	}
	if (qz_filter__needs_user_space(ev->user_filter))
		return 0;
	err = qz_evsel__apply_filter(ev->evsel, text);
	if (err) {
		qz_log(&s->log, QZ_LOG_DEBUG,
		       "%s: the kernel rejected filter '%s' (%s); evaluating it in user space",
		       ev->name, text, qz_strerror(err));
		return 0;
	}
	qz_filter__free(ev->user_filter);
	ev->user_filter = NULL;
	return 0;
}

/*
 * Each event's sample layout, now that its format is fixed: the fields the
 * handler reads, and those the session reads itself (RAW for a user-space
 * filter). Its sample is parsed through that layout only, so it is zeroed
 * here once and never again.
 */
static int setup_layout(struct qz_session *s, struct session_event *ev, int index)
{
	struct qz_sample_format fmt = qz_evsel__sample_format(ev->evsel);
	uint64_t fields = s->sample_fields;

	if (ev->user_filter)
		fields |= PERF_SAMPLE_RAW;
	ev->layout = qz_sample_layout__new(&fmt, fields);
	if (!ev->layout)
		return -errno;
	memset(&ev->sample, 0, sizeof(ev->sample));
	ev->sample.sz = sizeof(ev->sample);
	ev->event = (struct qz_event){
		.sample = &ev->sample,
		.index = index,
		.spec = ev->spec,
		.tp = ev->tp,
		.session = s,
	};
	return 0;
}

/*
 * Every kernel id of every event, to its event: a sample's IDENTIFIER finds
 * its event in one probe or two. Ids added after open (none today) are
 * still found through the evlist.
 */
static int setup_ids(struct qz_session *s)
{
	size_t n = 0, cap = 16;

	for (int i = 0; i < s->nr_events; i++)
		n += (size_t)qz_evsel__nr_ids(s->events[i].evsel);
	while (cap < 2 * n)
		cap *= 2;
	s->ids = calloc(cap, sizeof(*s->ids));
	if (!s->ids)
		return -ENOMEM;
	s->ids_mask = cap - 1;
	for (int i = 0; i < s->nr_events; i++) {
		struct session_event *ev = &s->events[i];

		for (int j = 0; j < qz_evsel__nr_ids(ev->evsel); j++) {
			uint64_t id = qz_evsel__id(ev->evsel, j), slot;

			if (!id)
				continue;	/* an fd that did not open */
			for (slot = qz__session_id_slot(s, id); s->ids[slot].ev;
			     slot = (slot + 1) & s->ids_mask)
				;
			s->ids[slot] = (struct session_id){ id, ev };
		}
	}
	return 0;
}

static uint32_t watermark_bytes(const struct qz_env *env, size_t pages)
{
	if (env->watermark < 0)
		return 0;	/* the evlist's default: half the ring */
	return (uint32_t)((uint64_t)pages * 4096 * (uint64_t)env->watermark / 100) ?: 8;
}

int qz__session_open(struct qz_session *s)
{
	size_t pages = s->env->mmap_pages ?: QZ_DEFAULT_RING_PAGES;
	QZ_OPTS(qz_evlist_opts, opts, .track_tasks = s->track_tasks && !s->counting,
		.inherit = s->env->workload || s->env->inherit,
		.ring_pages = pages,
		.watermark_bytes = watermark_bytes(s->env, pages),
		.log = s->log.fn, .log_ctx = s->log.ctx);
	char errbuf[512];
	int err;

	if (!s->nr_events) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "no events: give some with -e (see 'quazar list')");
		return -EINVAL;
	}
	s->evlist = qz_evlist__new(&opts);
	if (!s->evlist)
		return -errno;
	err = setup_maps(s);
	if (err)
		return err;
	for (int i = 0; i < s->nr_events; i++) {
		struct session_event *ev = &s->events[i];

		errbuf[0] = 0;
		ev->evsel = new_evsel(s, ev, errbuf, sizeof(errbuf));
		if (!ev->evsel) {
			err = -errno;
			qz_log(&s->log, QZ_LOG_ERROR, "event '%s': %s", ev->name,
			       errbuf[0] ? errbuf : qz_strerror(err));
			return err;
		}
		err = qz_evlist__add(s->evlist, ev->evsel);
		if (err)
			return err;
	}
	err = qz_evlist__open(s->evlist);
	if (err)
		return err;
	for (int i = 0; i < s->nr_events; i++) {
		err = setup_filter(s, &s->events[i]);
		if (err)
			return err;
	}
	for (int i = 0; i < s->nr_events && !s->counting; i++) {
		err = setup_layout(s, &s->events[i], i);
		if (err)
			return err;
	}
	if (!s->counting) {
		err = setup_ids(s);
		if (err)
			return err;
	}
	if (!s->counting) {
		err = qz_evlist__mmap(s->evlist);
		if (err) {
			qz_log(&s->log, QZ_LOG_ERROR,
			       "cannot map the rings (%zu pages per CPU): %s; -m takes a power of two",
			       pages, qz_strerror(err));
			return err;
		}
	}
	if (s->track_tasks && !s->counting) {
		s->tasks = qz_tasks__new(NULL);
		if (!s->tasks)
			return -errno;
	}
	return 0;
}
