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
#include "../perf/perf_internal.h"

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

/*
 * cpus=LIST: the event runs on those CPUs only, of the CPUs the session
 * watches. Events that follow threads on any CPU cannot be held to some.
 */
int qz__session_only_cpus(struct qz_session *s, const char *list,
			  struct qz_evsel *evsel, char *errbuf, size_t errlen)
{
	struct qz_cpu_map *watched = qz_evlist__cpus(s->evlist), *online = NULL;
	struct qz_cpu_map *only;
	char err[256] = "";
	int kept = 0;

	if (!watched)	/* the evlist's default: every online CPU */
		watched = online = qz_cpu_map__new_online();
	if (!watched || qz_cpu_map__nr(watched) < 1 || qz_cpu_map__cpu(watched, 0) < 0) {
		qz_cpu_map__put(online);
		snprintf(errbuf, errlen,
			 "cpus=%s: this session counts threads on any CPU (-p/-t); cpus= needs per-CPU events: drop it, or give -C",
			 list);
		return -EINVAL;
	}
	only = qz_cpu_map__new(list, err, sizeof(err));
	if (!only) {
		snprintf(errbuf, errlen, "cpus=%s: %s", list, err);
		return -EINVAL;
	}
	for (int i = 0; i < qz_cpu_map__nr(only); i++)
		kept += qz_cpu_map__idx(watched, qz_cpu_map__cpu(only, i)) >= 0;
	qz_cpu_map__put(online);
	if (!kept) {
		qz_cpu_map__put(only);
		snprintf(errbuf, errlen, "cpus=%s: none of those CPUs is watched%s%s",
			 list, s->env->cpus ? " (-C " : "",
			 s->env->cpus ? s->env->cpus : "");
		if (s->env->cpus)
			strncat(errbuf, ")", errlen - strlen(errbuf) - 1);
		return -EINVAL;
	}
	qz_evsel__set_only_cpus(evsel, only);
	qz_cpu_map__put(only);
	return 0;
}

struct qz_evsel *qz__session_new_evsel(struct qz_session *s, struct session_event *ev,
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
	if (s->counting || ev->member) {
		/* A member's count travels in its leader's samples. */
		attr->sample_type = ev->member ? attr->sample_type | ev->sample_type : 0;
		attr->sample_period = 0;
		attr->freq = 0;
	} else {
		attr->sample_type |= ev->sample_type;
		attr->sample_regs_user |= ev->regs_user;
		/* The kernel's own count of what it dropped, read at the end. */
		attr->read_format |= PERF_FORMAT_LOST;
		default_sampling(attr);
		if (s->period && !ev->spec->period && !ev->spec->freq) {
			attr->freq = 0;
			attr->sample_period = s->period;
		}
		if (s->freq) {
			attr->freq = 1;
			attr->sample_freq = s->freq;
		}
		qz__attr_honour_period(attr, ev->spec->kind == QZ_SPEC_UPROBE ||
					     ev->spec->kind == QZ_SPEC_URETPROBE);
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
	if (ev->bpf_fd >= 0)
		qz_evsel__set_bpf(evsel, ev->bpf_fd);	/* attached at open */
	if (ev->spec->cpus && qz__session_only_cpus(s, ev->spec->cpus, evsel, errbuf, errlen)) {
		qz_evsel__free(evsel);
		errno = EINVAL;
		return NULL;
	}
	return evsel;
}

/*
 * The evsel of an event a nested handler added: made as its own session
 * would (its env, -g, -F, regs), then given this session's attrs of the
 * profiler's selector (stack, cpus=) and its -C.
 */
static struct qz_evsel *nested_evsel(struct qz_session *s, struct session_event *ev,
				     char *errbuf, size_t errlen)
{
	struct qz_session *n = ev->nest;
	struct session_event *nev = &n->events[ev->nest_index];
	const char *cpus = nev->spec->cpus ?: ev->spec->cpus ?: n->env->cpus;
	struct qz_evsel *evsel;

	n->evlist = s->evlist;		/* its cpus, for cpus= */
	evsel = qz__session_new_evsel(n, nev, errbuf, errlen);
	if (!evsel)
		return NULL;
	qz_evsel__set_priv(evsel, ev);
	qz_evsel__attr(evsel)->sample_type |= ev->sample_type & PERF_SAMPLE_CALLCHAIN;
	if (cpus && cpus != nev->spec->cpus &&
	    qz__session_only_cpus(s, cpus, evsel, errbuf, errlen)) {
		qz_evsel__free(evsel);
		errno = EINVAL;
		return NULL;
	}
	nev->evsel = evsel;
	return evsel;
}

int qz__session_workload(struct qz_session *s)
{
	int err;

	if (s->workload)
		return 0;
	if (!s->env->workload)
		return -ESRCH;
	s->workload = qz_workload__prepare(s->env->workload);
	if (s->workload)
		return 0;
	err = -errno;
	qz_log(&s->log, QZ_LOG_ERROR, "cannot start '%s': %s", s->env->workload[0],
	       qz_strerror(err));
	return err;
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
	if (s->system_wide) {
		/* The handler scopes by filters: every CPU, any thread. */
		if (env->workload)
			ret = qz__session_workload(s);
		if (ret)
			goto out;
	} else if (env->workload) {
		pid_t pid;

		ret = qz__session_workload(s);
		if (ret)
			goto out;
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
int qz__session_setup_filter(struct qz_session *s, struct session_event *ev)
{
	const char *text = ev->spec->filter;
	struct qz_filter_opts opts;
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
	qz__session_expr_opts(s, ev->spec, 0, &opts);
	ev->user_filter = qz_filter__compile_opts(text, ev->tp, &opts, &perr);
	if (!ev->user_filter) {
		log_filter_error(s, ev, &perr);
		return -QZ_ERR_FILTER;
	}
	if (ev->member && qz_filter__needs_user_space(ev->user_filter)) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "%s is counted in the kernel, whose filters compare a field with a constant; '%s' needs user space",
		       ev->name, text);
		return -QZ_ERR_FILTER;
	}
	if (qz_filter__needs_user_space(ev->user_filter))
		return 0;
	err = qz_evsel__apply_filter(ev->evsel, text);
	if (err && ev->member) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "%s is counted in the kernel, which rejected filter '%s': %s",
		       ev->name, text, qz_strerror(err));
		return err;
	}
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
 * handler reads, and those the session reads itself. Its sample is parsed through that layout only, so it is zeroed
 * here once and never again.
 */
static int setup_layout(struct qz_session *s, struct session_event *ev, int index)
{
	struct qz_sample_format fmt = qz_evsel__sample_format(ev->evsel);
	uint64_t fields = s->sample_fields;

	/* A filter's expression, or a nested handler, may read any field. */
	if (ev->user_filter || ev->nest)
		fields = ~0ull;
	/* What the session itself reads: --clock-offset and --sampling-limit
	 * the time, --perfeval-* the CPU and the task. */
	if (s->env->clock_offset || s->env->sampling_limit)
		fields |= PERF_SAMPLE_TIME;
	if (s->env->perfeval_cpus || s->env->perfeval_pids)
		fields |= PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | PERF_SAMPLE_TID;
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
		.track_maps = s->sym && !s->counting,
		/* A workload's new threads: inherited, or opened by --ptrace. */
		.inherit = (s->env->workload && !s->system_wide && !s->env->ptrace) ||
			   s->env->inherit,
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
	if (s->env->kvmclock) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "--kvmclock %s: not supported: converting to a guest's kvmclock needs the perf clock (quazar's timestamps are CLOCK_MONOTONIC), the guest's pvclock and its TSC offset; give the offset you computed with --clock-offset (docs/perf-prof.md)",
		       s->env->kvmclock);
		return -QZ_ERR_OPTION;
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
		ev->evsel = ev->nest ? nested_evsel(s, ev, errbuf, sizeof(errbuf)) :
				       qz__session_new_evsel(s, ev, errbuf, sizeof(errbuf));
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
	for (int i = 0; i < s->nr_events; i++) {
		struct session_event *ev = &s->events[i];

		if (ev->member &&
		    (err = qz_evsel__set_leader(ev->evsel, s->events[ev->leader].evsel)))
			return err;
	}
	err = qz_evlist__open(s->evlist);
	if (err)
		return err;
	for (int i = 0; i < s->nr_events; i++) {
		struct session_event *ev = &s->events[i];

		if (ev->nest) {
			/* The nested handler's filter, on the shared evsel. */
			struct session_event *nev = &ev->nest->events[ev->nest_index];

			err = qz__session_setup_filter(ev->nest, nev);
			ev->user_filter = nev->user_filter;
			ev->borrowed_filter = true;
		} else {
			err = qz__session_setup_filter(s, ev);
		}
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
	if ((s->track_tasks || s->sym) && !s->counting) {
		s->tasks = qz_tasks__new(NULL);
		if (!s->tasks)
			return -errno;
	}
	qz__nest_opened(s);
	err = qz__self_init(s);
	if (!err)
		err = qz__follow_start(s);
	return err;
}
