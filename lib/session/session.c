// SPDX-License-Identifier: MIT
/*
 * Session setup: selectors to events, events to an evlist on the right
 * CPUs and threads, filters to the kernel or to user space.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include "session_internal.h"
#include "../util/util.h"
#include "../select/select_internal.h"

QZ_API struct qz_session *qz_session__new(const struct qz_session_ops *ops,
					  const void *ops_opts,
					  struct qz_env *env,
					  struct qz_output *out,
					  const struct qz_session_opts *opts)
{
	struct qz_session *s;

	QZ_OPTS_CHECK_OR_NULL(opts);
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->ops = ops;
	s->ops_opts = ops_opts;
	s->env = env;
	s->out = out;
	s->log.fn = QZ_OPT(opts, log, NULL);
	s->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	s->ready = QZ_OPT(opts, ready, NULL);
	s->ready_ctx = QZ_OPT(opts, ready_ctx, NULL);
	s->status_out = QZ_OPT(opts, status_out, NULL);
	s->cur_ring = -1;
	s->check_spec = QZ_OPT(opts, check_spec, NULL);
	s->nest = QZ_OPT(opts, nest, NULL);
	s->hook_ctx = QZ_OPT(opts, hook_ctx, NULL);
	s->nest_names = QZ_OPT(opts, nest_names, NULL);
	s->track_tasks = true;
	s->sample_fields = ~0ull;
	if (!env->interval_ns && ops->default_interval_ms && !env->workload)
		env->interval_ns = ops->default_interval_ms * 1000000ull;
	env->order |= ops->default_order;
	s->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->stop_fd < 0) {
		int err = errno;

		free(s);
		errno = err;
		return NULL;
	}
	return s;
}

QZ_API void qz_session__free(struct qz_session *s)
{
	if (!s)
		return;
	qz__nest_free(s);
	for (int i = 0; i < s->nr_events; i++) {
		free(s->events[i].name);
		if (!s->events[i].borrowed_filter)
			qz_filter__free(s->events[i].user_filter);
		qz_sample_layout__free(s->events[i].layout);
	}
	free(s->ids);
	for (int i = 0; i < s->nr_exprs; i++)
		qz_filter__free(s->exprs[i]);
	free(s->exprs);
	qz_symbolizer__free(s->ksyms);
	qz_tasks__free(s->expr_tasks);
	for (int i = 0; i < s->nr_selectors; i++)
		qz_selector__clear(&s->selectors[i]);
	qz__follow_free(s);
	qz__self_free(s);
	if (!s->parent) {
		qz_evlist__free(s->evlist);
		qz_tasks__free(s->tasks);
		qz_symbolizer__free(s->sym);
	}
	qz_workload__free(s->workload);
	qz_tp__free(s->tp);
	close(s->stop_fd);
	free(s);
}

QZ_API void qz_session__log(struct qz_session *s, enum qz_log_level level,
			    const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	qz_log(&s->log, level, "%s", line);
}

QZ_API int qz_session__set_regs_user(struct qz_session *s, int index,
				     uint64_t mask)
{
	if (index < 0 || index >= s->nr_events)
		return -EINVAL;
	s->events[index].regs_user = mask;
	if (mask)
		s->events[index].sample_type |= PERF_SAMPLE_REGS_USER;
	return 0;
}

QZ_API int qz_session__set_bpf(struct qz_session *s, int index, int prog_fd)
{
	if (index < 0 || index >= s->nr_events || prog_fd < 0)
		return -EINVAL;
	if (s->events[index].bpf_fd >= 0 && s->events[index].bpf_fd != prog_fd)
		return -EEXIST;
	s->events[index].bpf_fd = prog_fd;
	return 0;
}

QZ_API int qz_session__add_fd(struct qz_session *s, int fd, void (*fn)(void *ctx))
{
	if (fd < 0 || !fn)
		return -EINVAL;
	if (s->parent)
		return -EOPNOTSUPP;
	if (s->nr_fds == QZ_SESSION_MAX_FDS)
		return -ENOSPC;
	s->fds[s->nr_fds++] = (struct session_fd){ .fd = fd, .fn = fn };
	return 0;
}

QZ_API int qz_session__set_group(struct qz_session *s, int leader, int member)
{
	if (leader < 0 || leader >= s->nr_events || member < 0 ||
	    member >= s->nr_events || leader == member ||
	    s->events[leader].member)
		return -EINVAL;
	s->events[member].member = true;
	s->events[member].leader = leader;
	return 0;
}

QZ_API void qz_session__set_counting(struct qz_session *s, bool counting)
{
	s->counting = counting;
}

QZ_API void qz_session__set_track_tasks(struct qz_session *s, bool on)
{
	s->track_tasks = on;
}

QZ_API void qz_session__set_sample_fields(struct qz_session *s, uint64_t fields)
{
	s->sample_fields = fields;
}

QZ_API int qz_session__nr_events(const struct qz_session *s)
{
	return s->nr_events;
}

QZ_API const struct qz_event_spec *qz_session__spec(const struct qz_session *s,
						    int index)
{
	return s->events[index].spec;
}

QZ_API struct qz_tp_event *qz_session__tp_event(const struct qz_session *s,
						int index)
{
	return s->events[index].tp;
}

static const char *expr_ksymbol(uint64_t addr, void *ctx)
{
	struct qz_session *s = ctx;
	struct qz_symbol sym;

	if (!s->ksyms && !(s->ksyms = qz_symbolizer__new()))
		return NULL;
	return qz_symbolizer__kernel(s->ksyms, addr, &sym) ? NULL : sym.name;
}

static const char *expr_comm(int pid, void *ctx)
{
	struct qz_session *s = ctx;
	struct qz_tasks *tasks = s->tasks;

	if (!tasks && !s->expr_tasks)
		s->expr_tasks = qz_tasks__new(NULL);
	if (!tasks)
		tasks = s->expr_tasks;
	if (!pid)
		return "swapper";
	return tasks ? qz_tasks__comm(tasks, (pid_t)pid) : NULL;
}

void qz__session_expr_opts(struct qz_session *s, const struct qz_event_spec *spec,
			   unsigned flags, struct qz_filter_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->sz = sizeof(*opts);
	opts->ksymbol = expr_ksymbol;
	opts->comm = expr_comm;
	opts->ctx = s;
	/* What a sample stands for when it carries no period (period=N). */
	opts->period = spec->period ?: s->period ?: 1;
	opts->flags = flags;
}

QZ_API const struct qz_filter *qz_session__expr_flags(struct qz_session *s, int index,
						      const char *attr, const char *text,
						      unsigned flags)
{
	struct session_event *ev = &s->events[index];
	struct qz_filter_opts opts;
	struct qz_filter **grown, *f;
	struct qz_parse_error perr;
	char diag[1024];

	qz__session_expr_opts(s, ev->spec, flags | QZ_FILTER_VALUE, &opts);
	f = qz_filter__compile_opts(text, (flags & QZ_FILTER_KEY) ? NULL : ev->tp, &opts, &perr);
	if (!f) {
		int err = errno;

		qz_parse_error__format(&perr, text, diag, sizeof(diag));
		qz_log(&s->log, QZ_LOG_ERROR, "bad %s= for %s:\n%s", attr, ev->name, diag);
		errno = err;
		return NULL;
	}
	grown = realloc(s->exprs, (size_t)(s->nr_exprs + 1) * sizeof(*grown));
	if (!grown) {
		qz_filter__free(f);
		errno = ENOMEM;
		return NULL;
	}
	s->exprs = grown;
	s->exprs[s->nr_exprs++] = f;
	return f;
}

QZ_API const struct qz_filter *qz_session__expr(struct qz_session *s, int index,
					       const char *attr, const char *text)
{
	const struct qz_filter *f = qz_session__expr_flags(s, index, attr, text, 0);

	if (f && qz_filter__is_str(f)) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "%s=%s on %s: %s= takes a number, and this is a string%s", attr, text,
		       s->events[index].name, attr,
		       !strcmp(attr, "key") ? "; name keys with comm=EXPR" : "");
		errno = QZ_ERR_FILTER;
		return NULL;
	}
	return f;
}

QZ_API struct qz_evsel *qz_session__evsel(struct qz_session *s, int index)
{
	return s->events[index].evsel;
}

QZ_API const char *qz_session__event_name(const struct qz_session *s, int index)
{
	return s->events[index].name;
}

QZ_API struct qz_env *qz_session__env(struct qz_session *s)
{
	return s->env;
}

QZ_API const void *qz_session__ops_opts(const struct qz_session *s)
{
	return s->ops_opts;
}

QZ_API void qz_session__set_sampling(struct qz_session *s, uint64_t period,
				     uint64_t freq)
{
	s->period = period;
	s->freq = freq;
}

QZ_API struct qz_output *qz_session__output(struct qz_session *s)
{
	return s->out;
}

QZ_API struct qz_evlist *qz_session__evlist(struct qz_session *s)
{
	return s->evlist;
}

QZ_API struct qz_tasks *qz_session__tasks(struct qz_session *s)
{
	return s->tasks;
}

QZ_API struct qz_symbolizer *qz_session__symbolizer(struct qz_session *s)
{
	/* A nested handler's records are its parent's. */
	if (s->parent)
		return qz_session__symbolizer(s->parent);
	if (!s->sym) {
		QZ_OPTS(qz_symbolizer_opts, opts, .log = s->log.fn, .log_ctx = s->log.ctx);

		s->sym = qz_symbolizer__new_opts(&opts);
	}
	return s->sym;
}

QZ_API void qz_session__stop(struct qz_session *s)
{
	uint64_t one = 1;

	__atomic_store_n(&s->stopping, 1, __ATOMIC_RELEASE);
	/* write() is async-signal-safe: a signal handler may call this. */
	(void)!write(s->stop_fd, &one, sizeof(one));
}

QZ_API void qz_session__request(struct qz_session *s, unsigned what)
{
	uint64_t one = 1;

	/* An atomic or and a write: both async-signal-safe. */
	__atomic_fetch_or(&s->requests, what, __ATOMIC_RELEASE);
	(void)!write(s->stop_fd, &one, sizeof(one));
}

QZ_API int qz_session__set_tick(struct qz_session *s, uint64_t period_ns,
				void (*fn)(void *ctx))
{
	if (!period_ns || !fn)
		return -EINVAL;
	s->tick_ns = period_ns;
	s->tick = fn;
	return 0;
}

QZ_API void qz_session__set_system_wide(struct qz_session *s, bool on)
{
	s->system_wide = on;
}

QZ_API int qz_session__workload_pid(struct qz_session *s)
{
	int err = qz__session_workload(s);

	return err ? err : (int)qz_workload__pid(s->workload);
}

QZ_API int qz_session__stats(const struct qz_session *s,
			     struct qz_session_stats *stats)
{
	/* The session's thread counts meanwhile: each counter read whole. */
	struct qz_session_stats all = {
		.sz = sizeof(all),
		.samples = __atomic_load_n(&s->stats.samples, __ATOMIC_RELAXED),
		.filtered = __atomic_load_n(&s->stats.filtered, __ATOMIC_RELAXED),
		.lost = __atomic_load_n(&s->stats.lost, __ATOMIC_RELAXED),
		.late = __atomic_load_n(&s->stats.late, __ATOMIC_RELAXED),
		.dropped = __atomic_load_n(&s->stats.dropped, __ATOMIC_RELAXED),
	};

	if (stats->sz < QZ_OFFSETOFEND(struct qz_session_stats, late))
		return -EINVAL;
	qz__copy_sized(stats, &all, sizeof(all));
	return 0;
}

QZ_API uint64_t qz_session__cpu_lost(const struct qz_session *s, int cpu)
{
	if (cpu < 0 || cpu >= QZ_SESSION_MAX_CPUS)
		return 0;
	return __atomic_load_n(&s->stats.lost_per_cpu[cpu], __ATOMIC_RELAXED);
}

static void log_parse_error(struct qz_session *s, const char *what,
			    const char *text, const struct qz_parse_error *err)
{
	char diag[1024];

	qz_parse_error__format(err, text, diag, sizeof(diag));
	qz_log(&s->log, QZ_LOG_ERROR, "%s:\n%s", what, diag);
}

static uint64_t default_sample_type(const struct qz_session *s,
				    const struct qz_event_spec *spec)
{
	uint64_t type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			PERF_SAMPLE_PERIOD;

	if (spec->kind == QZ_SPEC_TRACEPOINT || spec->kind == QZ_SPEC_UPROBE ||
	    spec->kind == QZ_SPEC_URETPROBE)
		type |= PERF_SAMPLE_RAW;
	if (spec->stack || s->env->callchain)
		type |= PERF_SAMPLE_CALLCHAIN;
	return type;
}

/* One session event per exact event: globs expand here. */
int qz__session_add_event(struct qz_session *s, struct qz_event_spec *spec,
			  struct qz_tp_event *tp, uint64_t sample_type)
{
	struct session_event *ev;
	char name[256];

	if (s->nr_events >= MAX_SESSION_EVENTS) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "too many events (at most %d); narrow the selector",
		       MAX_SESSION_EVENTS);
		return -E2BIG;
	}
	ev = &s->events[s->nr_events];
	memset(ev, 0, sizeof(*ev));
	ev->spec = spec;
	ev->tp = tp;
	ev->bpf_fd = -1;
	ev->sample_type = default_sample_type(s, spec) | sample_type;
	if (spec->alias)
		snprintf(name, sizeof(name), "%s", spec->alias);
	else if (tp)
		snprintf(name, sizeof(name), "%s:%s", qz_tp_event__sys(tp),
			 qz_tp_event__name(tp));
	else
		snprintf(name, sizeof(name), "%s", spec->text);
	ev->name = strdup(name);
	if (!ev->name)
		return -ENOMEM;
	return s->nr_events++;
}

static int ensure_tp(struct qz_session *s)
{
	QZ_OPTS(qz_tp_opts, opts, .log = s->log.fn, .log_ctx = s->log.ctx);

	if (s->tp)
		return 0;
	s->tp = qz_tp__new(&opts);
	if (!s->tp) {
		int err = -errno;

		qz_log(&s->log, QZ_LOG_ERROR,
		       "cannot read tracepoint formats (tracefs): %s; are you root?",
		       qz_strerror(err));
		return err;
	}
	return 0;
}

struct expand_ctx {
	struct qz_session *s;
	struct qz_event_spec *spec;
	uint64_t sample_type;
	int first;
	int err;
	bool glob;
	char left_out[512];	/* matches the filter cannot read */
	size_t nr_left_out;
	struct qz_parse_error perr;	/* why the first was left out */
};

/*
 * A glob's filter applies to every match that has its fields: a match
 * lacking one is left out (and named), not an error, unless all are.
 */
static bool filter_fits(struct expand_ctx *x, struct qz_tp_event *tp)
{
	struct qz_filter_opts opts;
	struct qz_parse_error perr;
	struct qz_filter *f;
	size_t n;

	if (!x->glob || !x->spec->filter)
		return true;
	qz__session_expr_opts(x->s, x->spec, 0, &opts);
	f = qz_filter__compile_opts(x->spec->filter, tp, &opts, &perr);
	if (f || errno != QZ_ERR_UNKNOWN_FIELD) {
		/* Other errors are the filter's own: reported when it is set. */
		qz_filter__free(f);
		return true;
	}
	if (!x->nr_left_out++)
		x->perr = perr;
	n = strlen(x->left_out);
	{
		/* The name the filter reads that this match lacks. */
		const char *f = x->spec->filter;
		int c = perr.column >= 0 && (size_t)perr.column < strlen(f) ? perr.column : 0;
		int len = (int)strspn(f + c, "abcdefghijklmnopqrstuvwxyz"
					     "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.");

		snprintf(x->left_out + n, sizeof(x->left_out) - n, "%s%s:%s (no field '%.*s')",
			 n ? ", " : "", qz_tp_event__sys(tp), qz_tp_event__name(tp),
			 len > 40 ? 40 : len, f + c);
	}
	return false;
}

static int add_expanded(const char *sys, const char *name, void *arg)
{
	struct expand_ctx *x = arg;
	struct qz_tp_event *tp = qz_tp__event(x->s->tp, sys, name);
	int idx;

	if (!tp) {
		x->err = -errno;
		qz_log(&x->s->log, QZ_LOG_ERROR, "cannot load the format of %s:%s: %s",
		       sys, name, qz_strerror(x->err));
		return 1;
	}
	if (!filter_fits(x, tp))
		return 0;
	idx = qz__session_add_event(x->s, x->spec, tp, x->sample_type);
	if (idx < 0) {
		x->err = idx;
		return 1;
	}
	if (x->first < 0)
		x->first = idx;
	return 0;
}

static int add_tracepoints(struct qz_session *s, struct qz_event_spec *spec,
			   uint64_t sample_type)
{
	struct expand_ctx x = { .s = s, .spec = spec, .sample_type = sample_type, .first = -1 };
	char pattern[512];
	int ret;

	ret = ensure_tp(s);
	if (ret)
		return ret;
	snprintf(pattern, sizeof(pattern), "%s:%s", spec->sys, spec->name);
	x.glob = qz__has_glob(pattern);
	ret = qz_tp__expand(s->tp, pattern, add_expanded, &x);
	if (x.err)
		return x.err;
	if (x.nr_left_out && x.first < 0) {
		char diag[1024];

		qz_parse_error__format(&x.perr, spec->filter, diag, sizeof(diag));
		qz_log(&s->log, QZ_LOG_ERROR,
		       "%s: no match of the glob has the fields of its filter:\n%s",
		       spec->text, diag);
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	if (x.nr_left_out)
		qz_log(&s->log, QZ_LOG_WARN,
		       "%s: the filter applies to the matches that have its fields; left out %s",
		       spec->text, x.left_out);
	if (ret < 0) {
		char hint[512] = "";

		qz_tp__suggest(s->tp, pattern, hint, sizeof(hint));
		qz_log(&s->log, QZ_LOG_ERROR,
		       "unknown tracepoint '%s'%s%s; 'quazar list %s:*' lists them",
		       pattern, hint[0] ? ": " : "", hint, spec->sys);
		return ret;
	}
	return x.first;
}

/* "did you mean" over the event names and the names nest takes. */
static const char *closest_name(const struct qz_session *s, const char *name)
{
	const char *best = qz__builtin_closest(name, strlen(name));
	int best_d = best ? qz__edit_distance(name, strlen(name), best, strlen(best), 8) :
			    qz__suggest_limit(strlen(name)) + 1;

	for (const char *const *n = s->nest_names; n && *n; n++) {
		int d = qz__edit_distance(name, strlen(name), *n, strlen(*n), best_d);

		if (d < best_d) {
			best = *n;
			best_d = d;
		}
	}
	return best_d <= qz__suggest_limit(strlen(name)) ? best : NULL;
}

/* An event of a selector that names a profiler: the nest hook runs it. */
static int add_profiler(struct qz_session *s, const char *selector,
			struct qz_event_spec *spec)
{
	struct qz_parse_error perr = { .column = spec->column };
	const char *near;
	int idx;

	if (!s->nest) {
		snprintf(perr.message, sizeof(perr.message),
			 "'%s' names no event%s", spec->name,
			 spec->profiler_opts ? "; profilers run as event sources inside quazar's profilers" : "");
		log_parse_error(s, "bad event selector", selector, &perr);
		return -QZ_ERR_UNKNOWN_EVENT;
	}
	if (s->parent) {
		snprintf(perr.message, sizeof(perr.message),
			 "a profiler running inside another cannot run '%s' inside itself: give it to the outer profiler",
			 spec->name);
		log_parse_error(s, "bad event selector", selector, &perr);
		return -QZ_ERR_SELECTOR;
	}
	idx = s->nest(s, spec, s->hook_ctx);
	if (idx != -ENOENT)
		return idx;
	near = closest_name(s, spec->name);
	if (near)
		snprintf(perr.message, sizeof(perr.message),
			 "unknown event or profiler '%.48s'; did you mean '%s'?", spec->name, near);
	else
		snprintf(perr.message, sizeof(perr.message),
			 "unknown event or profiler '%.48s': a tracepoint is written sys:name ('quazar list' lists events, 'quazar --help' the profilers)",
			 spec->name);
	log_parse_error(s, "bad event selector", selector, &perr);
	return -QZ_ERR_UNKNOWN_EVENT;
}

QZ_API int qz_session__add_events(struct qz_session *s, const char *selector,
				  uint64_t sample_type)
{
	struct qz_selector *sel;
	struct qz_parse_error perr;
	int first = -1, err;

	if (s->nr_selectors >= (int)QZ_ARRAY_SIZE(s->selectors))
		return -E2BIG;
	sel = &s->selectors[s->nr_selectors];
	memset(sel, 0, sizeof(*sel));
	err = qz_selector__parse_flags(sel, selector, s->nest ? QZ_SELECTOR_PROFILERS : 0,
				       &perr);
	if (err) {
		log_parse_error(s, "bad event selector", selector, &perr);
		qz_selector__clear(sel);
		return err;
	}
	s->nr_selectors++;
	for (int i = 0; i < sel->nr_events; i++) {
		struct qz_event_spec *spec = &sel->events[i];
		int idx;

		if (s->check_spec && (err = s->check_spec(s, spec, s->hook_ctx)))
			return err;
		if (spec->kind == QZ_SPEC_TRACEPOINT)
			idx = add_tracepoints(s, spec, sample_type);
		else if (spec->kind == QZ_SPEC_PROFILER)
			idx = add_profiler(s, selector, spec);
		else
			idx = qz__session_add_event(s, spec, NULL, sample_type);
		if (idx < 0)
			return idx;
		if (first < 0)
			first = idx;
	}
	return first;
}
