// SPDX-License-Identifier: MIT
/*
 * The event loop: epoll over the rings' fds (woken by perf watermarks),
 * a drain timer so a quiet ring is still read promptly, the interval
 * timer, the workload's pidfd and the stop eventfd. Never busy-polls.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include "session_internal.h"

#define DRAIN_NS 100000000ull		/* read quiet rings every 100 ms */
#define DEFAULT_ORDER_WINDOW_NS 100000000ull

enum { TAG_RING, TAG_STOP, TAG_INTERVAL, TAG_DRAIN, TAG_WORKLOAD, TAG_USAGE, TAG_TICK,
       TAG_NESTED, TAG_FD };

/* The handler's own fds (qz_session__add_fd): read when readable or quiet. */
static void call_fds(struct qz_session *s)
{
	for (int i = 0; i < s->nr_fds; i++)
		s->fds[i].fn(s->ctx);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int timer_new(uint64_t period_ns)
{
	struct itimerspec its = {
		.it_interval = { (time_t)(period_ns / 1000000000ull),
				 (long)(period_ns % 1000000000ull) },
	};
	int fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);

	its.it_value = its.it_interval;
	if (fd >= 0 && timerfd_settime(fd, 0, &its, NULL)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void drain_fd(int fd)
{
	uint64_t v;

	(void)!read(fd, &v, sizeof(v));
}

/*
 * The stats are read by other threads (the agent's HTTP thread) while
 * this one counts: stores are atomic. Only this thread writes, so it may
 * read them plainly.
 */
#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static void report_lost(struct qz_session *s, int cpu, uint64_t lost)
{
	struct qz_output *out = s->out;

	STAT_ADD(s->stats.lost, lost);
	if (cpu >= 0 && cpu < (int)QZ_ARRAY_SIZE(s->stats.lost_per_cpu))
		STAT_ADD(s->stats.lost_per_cpu[cpu], lost);
	if (s->ops->lost)
		s->ops->lost(s->ctx, cpu, lost);
	qz__nest_lost(s, cpu, lost);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "lost", now_ns());

		qz_json__key_i64(j, "cpu", cpu);
		qz_json__key_u64(j, "lost", lost);
		qz_output__end(out);
	} else if (qz_output__file(out)) {
		fprintf(qz_output__file(out), "LOST %llu events on CPU %d\n",
			(unsigned long long)lost, cpu);
	}
}

/*
 * The event of a sample's IDENTIFIER: the ids of open, in a probe or two;
 * else (an id they lack: events opened later) the last such id again, or
 * the evlist's search. The ids come first: asking whether this sample's
 * event is the last one's is a branch the CPU guesses wrong whenever two
 * events interleave (multi-trace's pairs), about every other sample.
 */
static struct session_event *event_of(struct qz_session *s, uint64_t id)
{
	struct qz_evsel *evsel;

	if (s->ids) {
		for (uint64_t i = qz__session_id_slot(s, id); s->ids[i].ev;
		     i = (i + 1) & s->ids_mask) {
			if (s->ids[i].id == id)
				return s->ids[i].ev;
		}
	}
	if (s->last.ev && s->last.id == id)
		return s->last.ev;
	evsel = qz_evlist__evsel_by_id(s->evlist, id);
	s->last.id = id;
	s->last.ev = evsel ? qz_evsel__priv(evsel) : NULL;
	return s->last.ev;
}

/*
 * A sample, parsed through its event's layout into the event's own sample
 * (no general walk, nothing cleared), handed on as the event's qz_event.
 */
static void dispatch_sample(struct qz_session *s,
			    const struct perf_event_header *rec)
{
	struct session_event *ev;
	uint64_t id;

	if (rec->size < sizeof(*rec) + sizeof(id)) {
		STAT_ADD(s->stats.filtered, 1);
		return;
	}
	/* Every sample starts with its IDENTIFIER: qz_evlist__open asks for it. */
	memcpy(&id, rec + 1, sizeof(id));
	ev = event_of(s, id);
	if (!ev || !ev->layout || qz_sample_layout__parse(ev->layout, rec, &ev->sample)) {
		STAT_ADD(s->stats.filtered, 1);
		return;
	}
	if (ev->user_filter &&
	    !qz_filter__match_sample(ev->user_filter, &ev->sample)) {
		STAT_ADD(s->stats.filtered, 1);
		return;
	}
	if (s->env->exit_n && s->stats.samples >= s->env->exit_n)
		return;
	ev->sample.time += s->env->clock_offset;	/* --clock-offset, mod 2^64 */
	if (s->env->sampling_limit && qz__self_over_limit(s, &ev->sample))
		return;
	/* An event of a nested handler: it sees it first (or is done). */
	if (ev->nest && !qz__nest_sample(s, ev, &ev->sample))
		return;
	/* --perfeval-* times the handler; asked of the env first: no call per sample. */
	if ((s->env->perfeval_cpus || s->env->perfeval_pids) && qz__self_perfeval(s))
		qz__self_sample(s, &ev->event);
	else
		s->ops->sample(s->ctx, &ev->event);
	STAT_ADD(s->stats.samples, 1);
	if (s->stats.samples == s->env->exit_n)
		qz_session__stop(s);
}

/* The records that are not samples (apart: their frame is large). */
static __attribute__((noinline)) void on_other_record(const struct perf_event_header *rec,
						      int ring, void *ctx)
{
	struct qz_session *s = ctx;
	struct qz_sample_format fmt;
	struct qz_record r;

	switch (rec->type) {
	case PERF_RECORD_LOST:
	case PERF_RECORD_LOST_SAMPLES:
		qz_evlist__account(s->evlist, rec, ring);
		fmt = qz_evlist__sample_format(s->evlist);
		r.sz = sizeof(r);
		if (!qz_record__parse(rec, &fmt, &r))
			report_lost(s, qz_evlist__ring_cpu(s->evlist, ring),
				    rec->type == PERF_RECORD_LOST ? r.lost.lost :
								   r.lost_samples.lost);
		break;
	case PERF_RECORD_THROTTLE:
		/* The kernel stops an event that overflows too often per tick. */
		if (!s->throttled++)
			qz_log(&s->log, QZ_LOG_WARN,
			       "the kernel throttled an event on ring %d (kernel.perf_event_max_sample_rate): events are missing; filter more",
			       ring);
		break;
	case PERF_RECORD_COMM:
	case PERF_RECORD_FORK:
	case PERF_RECORD_EXIT:
		fmt = qz_evlist__sample_format(s->evlist);
		if (s->tasks)
			qz_tasks__record(s->tasks, rec, &fmt);
		if (s->sym)
			qz_symbolizer__record(s->sym, rec, &fmt);
		break;
	case PERF_RECORD_MMAP2:
		if (s->sym) {
			fmt = qz_evlist__sample_format(s->evlist);
			qz_symbolizer__record(s->sym, rec, &fmt);
		}
		break;
	}
}

static void on_record(const struct perf_event_header *rec, int ring, void *ctx)
{
	if (rec->type == PERF_RECORD_SAMPLE) {
		((struct qz_session *)ctx)->cur_ring = ring;	/* --sampling-limit */
		dispatch_sample(ctx, rec);
	} else {
		on_other_record(rec, ring, ctx);
	}
}

/*
 * A record older than one already delivered. With --order it arrived past
 * the reorder window: counted (stats.late, the summary and the handlers'
 * reports say so), never delivered out of order. Without --order nobody
 * asked for a global order, so it is delivered as it comes, like perf-prof.
 */
static void on_late(const struct perf_event_header *rec, int ring, void *ctx)
{
	struct qz_session *s = ctx;

	if (!s->env->order) {
		on_record(rec, ring, ctx);
		return;
	}
	STAT_ADD(s->stats.late, 1);
}

static void read_rings(struct qz_session *s, struct qz_ordered *ordered,
		       bool all)
{
	uint64_t cutoff = QZ_ORDERED_ALL;

	if (!ordered)
		return;
	if (s->env->order && !all) {
		uint64_t window = s->env->order_window_ns ?: DEFAULT_ORDER_WINDOW_NS;
		uint64_t now = now_ns();

		cutoff = now > window ? now - window : 0;
	}
	/* Mappings and comms change over time: read them in time order. */
	if (!s->env->order && s->any_order)
		qz_ordered__drain(ordered, on_record, s);
	else
		qz_ordered__read(ordered, cutoff, on_record, s);
	/* Lines reach the file once per pass, not once per event. */
	qz_output__flush(s->out);
}

static void report_interval(struct qz_session *s, bool final)
{
	if (s->ops->interval)
		s->ops->interval(s->ctx, s->out, final);
	qz_output__flush(s->out);
	qz__self_perfeval_report(s, final);
	/*
	 * The handler has resolved its stacks: exited processes may go. Nested
	 * handlers report on clocks of their own: then the bounds alone do it.
	 */
	if (s->sym && !s->nr_nested)
		qz_symbolizer__reap(s->sym);
}

/*
 * The mappings of what runs already, read once the events are on so no
 * mmap falls in between: every process, or those of -p/-t. A workload
 * alone needs none: its exec is recorded.
 */
static void seed_maps(struct qz_session *s)
{
	struct qz_thread_map *threads = qz_evlist__threads(s->evlist);
	int nr = qz_thread_map__nr(threads);

	if (!s->sym)
		return;
	if (nr == 1 && qz_thread_map__tid(threads, 0) == -1) {
		qz_symbolizer__seed(s->sym, -1);
		return;
	}
	for (int i = 0; i < nr && !s->workload; i++) {
		pid_t tid = qz_thread_map__tid(threads, i);
		pid_t pid = s->tasks ? qz_tasks__pid(s->tasks, tid) : tid;

		qz_symbolizer__seed(s->sym, pid > 0 ? pid : tid);
	}
}

/* Requests from qz_session__request (signals): answered here, on this thread. */
static void answer_requests(struct qz_session *s, struct qz_ordered *ordered)
{
	unsigned what = __atomic_exchange_n(&s->requests, 0, __ATOMIC_ACQUIRE);

	if (what & QZ_SESSION_CHILD)
		qz__follow_poll(s);
	if (what & (QZ_SESSION_STATUS | QZ_SESSION_USAGE))
		read_rings(s, ordered, false);	/* the state includes what is queued */
	if (what & QZ_SESSION_STATUS)
		qz__self_status(s);
	if (what & QZ_SESSION_USAGE)
		qz__self_usage(s);
}

/* A nested handler's report: on its own -i, and the final one. */
static void report_nested(struct qz_session *n, bool final)
{
	if (!final && n->stopping)
		return;		/* its -N was reached: only the final report */
	if (n->ops->interval && n->inited)
		n->ops->interval(n->ctx, n->out, final);
	qz_output__flush(n->out);
}

static int epoll_add(int epfd, int fd, uint64_t tag, uint32_t idx)
{
	struct epoll_event e = { .events = EPOLLIN, .data.u64 = tag << 32 | idx };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &e) ? -errno : 0;
}

/*
 * The kernel emits a LOST record only when it next writes to the ring, so
 * a loss at the very end of a burst may never show up as a record. Each
 * event's PERF_FORMAT_LOST count is exact: report what records missed.
 */
static void reconcile_lost(struct qz_session *s)
{
	struct qz_cpu_map *cpus = qz_evlist__cpus(s->evlist);
	int nr_threads = qz_thread_map__nr(qz_evlist__threads(s->evlist));

	for (int c = 0; c < qz_cpu_map__nr(cpus); c++) {
		int cpu = qz_cpu_map__cpu(cpus, c);
		uint64_t lost = 0, seen;

		for (int i = 0; i < s->nr_events; i++) {
			for (int t = 0; t < nr_threads; t++) {
				QZ_OPTS(qz_counts, counts);

				if (!qz_evsel__read(s->events[i].evsel, c, t, &counts))
					lost += counts.lost;
			}
		}
		seen = cpu >= 0 && cpu < (int)QZ_ARRAY_SIZE(s->stats.lost_per_cpu) ?
			       s->stats.lost_per_cpu[cpu] : 0;
		if (lost > seen)
			report_lost(s, cpu, lost - seen);
	}
}

static void log_summary(struct qz_session *s)
{
	char per_cpu[512] = "";
	size_t n = 0;

	if (s->stats.dropped)
		qz_log(&s->log, QZ_LOG_WARN,
		       "dropped %llu events over --sampling-limit %llu per second per instance",
		       (unsigned long long)s->stats.dropped,
		       (unsigned long long)s->env->sampling_limit);
	if (s->stats.late)
		qz_log(&s->log, QZ_LOG_WARN,
		       "%llu events arrived later than the --order window allowed and were not delivered; widen --order-window",
		       (unsigned long long)s->stats.late);
	if (!s->stats.lost)
		return;
	for (int cpu = 0; cpu < (int)QZ_ARRAY_SIZE(s->stats.lost_per_cpu) && n < sizeof(per_cpu) - 32; cpu++)
		if (s->stats.lost_per_cpu[cpu])
			n += (size_t)snprintf(per_cpu + n, sizeof(per_cpu) - n, " cpu%d=%llu",
					      cpu, (unsigned long long)s->stats.lost_per_cpu[cpu]);
	qz_log(&s->log, QZ_LOG_WARN,
	       "lost %llu events (ring full):%s; give more ring pages with -m or filter more",
	       (unsigned long long)s->stats.lost, per_cpu);
}

int qz__session_loop(struct qz_session *s)
{
	struct qz_ordered *ordered = NULL;
	int epfd, interval_fd = -1, drain_fd_ = -1, pid_fd = -1, err = 0;
	int usage_fd = -1, tick_fd = -1;
	int nested_fd[QZ_MAX_EVENT_ARGS * 2];
	bool done = false;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
	/* Reading rings one after another suits only handlers that all allow it. */
	s->any_order = s->ops->any_order && !s->sym;
	for (int i = 0; i < s->nr_nested; i++)
		s->any_order &= s->nested[i].s->ops->any_order;
	for (int i = 0; i < (int)QZ_ARRAY_SIZE(nested_fd); i++) {
		uint64_t ns = i < s->nr_nested ? s->nested[i].s->env->interval_ns : 0;

		nested_fd[i] = ns ? timer_new(ns) : -1;
		if (nested_fd[i] >= 0)
			epoll_add(epfd, nested_fd[i], TAG_NESTED, (uint32_t)i);
	}
	epoll_add(epfd, s->stop_fd, TAG_STOP, 0);
	if (!s->counting) {
		QZ_OPTS(qz_ordered_opts, oopts, .late = on_late,
			.log = s->log.fn, .log_ctx = s->log.ctx);

		ordered = qz_evlist__new_ordered(s->evlist, &oopts);
		if (!ordered) {
			err = -errno;
			goto out;
		}
		for (int i = 0; i < qz_evlist__nr_rings(s->evlist); i++)
			epoll_add(epfd, qz_evlist__ring_fd(s->evlist, i), TAG_RING,
				  (uint32_t)i);
		drain_fd_ = timer_new(DRAIN_NS);
		epoll_add(epfd, drain_fd_, TAG_DRAIN, 0);
	}
	if (s->env->interval_ns) {
		interval_fd = timer_new(s->env->interval_ns);
		epoll_add(epfd, interval_fd, TAG_INTERVAL, 0);
	}
	if (s->env->usage_self_ns) {
		usage_fd = timer_new(s->env->usage_self_ns);
		epoll_add(epfd, usage_fd, TAG_USAGE, 0);
	}
	if (s->tick) {
		tick_fd = timer_new(s->tick_ns);
		epoll_add(epfd, tick_fd, TAG_TICK, 0);
	}
	for (int i = 0; i < s->nr_fds; i++)
		epoll_add(epfd, s->fds[i].fd, TAG_FD, (uint32_t)i);
	if (s->nr_fds && drain_fd_ < 0) {
		drain_fd_ = timer_new(DRAIN_NS);
		epoll_add(epfd, drain_fd_, TAG_DRAIN, 0);
	}

	err = qz_evlist__enable(s->evlist);
	if (err)
		goto out;
	seed_maps(s);
	if (s->workload) {
		pid_fd = (int)syscall(SYS_pidfd_open, qz_workload__pid(s->workload), 0);
		if (pid_fd >= 0)
			epoll_add(epfd, pid_fd, TAG_WORKLOAD, 0);
		err = qz_workload__start(s->workload);
		if (err) {
			qz_log(&s->log, QZ_LOG_ERROR, "cannot run '%s': %s",
			       s->env->workload[0], qz_strerror(err));
			goto out;
		}
	}

	while (!done && !__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE)) {
		struct epoll_event events[64];
		int n = epoll_wait(epfd, events, 64, -1);
		bool rings = false;

		if (n < 0 && errno != EINTR) {
			err = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			switch (events[i].data.u64 >> 32) {
			case TAG_RING:
				rings = true;
				/*
				 * The task of a per-thread ring exited: level
				 * triggered, it would wake us forever. The
				 * drain timer still reads what it holds.
				 */
				if (events[i].events & (EPOLLHUP | EPOLLERR))
					epoll_ctl(epfd, EPOLL_CTL_DEL,
						  qz_evlist__ring_fd(s->evlist,
								     (int)(uint32_t)events[i].data.u64),
						  NULL);
				break;
			case TAG_FD:
				s->fds[(uint32_t)events[i].data.u64].fn(s->ctx);
				break;
			case TAG_DRAIN:
				drain_fd(drain_fd_);
				rings = true;
				call_fds(s);
				if (s->follow)	/* in case a SIGCHLD never came */
					qz__follow_poll(s);
				break;
			case TAG_USAGE:
				drain_fd(usage_fd);
				read_rings(s, ordered, false);
				qz__self_usage(s);
				break;
			case TAG_TICK:
				drain_fd(tick_fd);
				s->tick(s->ctx);
				break;
			case TAG_INTERVAL:
				drain_fd(interval_fd);
				read_rings(s, ordered, false);
				call_fds(s);
				report_interval(s, false);
				break;
			case TAG_NESTED: {
				uint32_t k = (uint32_t)events[i].data.u64;

				drain_fd(nested_fd[k]);
				read_rings(s, ordered, false);
				report_nested(s->nested[k].s, false);
				break;
			}
			case TAG_WORKLOAD:
				done = true;
				break;
			case TAG_STOP:
				/* Stop (the loop's condition) or requests. */
				drain_fd(s->stop_fd);
				answer_requests(s, ordered);
				break;
			}
		}
		if (rings)
			read_rings(s, ordered, false);
	}

	/* Everything the kernel wrote before disable is read and reported. */
	qz_evlist__disable(s->evlist);
	read_rings(s, ordered, true);
	call_fds(s);
	if (!s->counting)
		reconcile_lost(s);
	report_interval(s, true);
	for (int i = 0; i < s->nr_nested; i++)
		report_nested(s->nested[i].s, true);
	log_summary(s);
out:
	for (int i = 0; i < (int)QZ_ARRAY_SIZE(nested_fd); i++)
		if (nested_fd[i] >= 0)
			close(nested_fd[i]);
	qz_ordered__free(ordered);
	if (interval_fd >= 0)
		close(interval_fd);
	if (drain_fd_ >= 0)
		close(drain_fd_);
	if (pid_fd >= 0)
		close(pid_fd);
	if (usage_fd >= 0)
		close(usage_fd);
	if (tick_fd >= 0)
		close(tick_fd);
	close(epfd);
	return err;
}

QZ_API int qz_session__run(struct qz_session *s)
{
	int err;

	err = s->ops->init(s, &s->ctx);
	if (err) {
		if (s->ready)
			s->ready(err, s->ready_ctx);
		return err;
	}
	s->inited = true;
	err = qz__session_open(s);
	if (s->ready)
		s->ready(err, s->ready_ctx);
	if (!err)
		err = qz__session_loop(s);
	if (s->ops->deinit)
		s->ops->deinit(s->ctx);
	s->inited = false;
	s->ctx = NULL;
	qz__nest_deinit(s);
	return err;
}

QZ_API const char *qz_event__comm(const struct qz_event *ev)
{
	struct qz_tasks *tasks = ev->session->tasks;
	/* COMM records have the kernel's time: without --clock-offset. */
	uint64_t time = ev->sample->type & PERF_SAMPLE_TIME ?
				ev->sample->time - ev->session->env->clock_offset : 0;
	const char *comm = tasks ? qz_tasks__comm_at(tasks, (pid_t)ev->sample->tid, time) :
				   NULL;

	if (!comm && !ev->sample->tid)
		return "swapper";
	return comm ? comm : "";
}

QZ_API void qz_event__json_header(const struct qz_event *ev, struct qz_json *j)
{
	qz_json__key_str(j, "event", ev->session->events[ev->index].name);
	qz_json__key_u64(j, "cpu", ev->sample->cpu);
	qz_json__key_u64(j, "pid", ev->sample->pid);
	qz_json__key_u64(j, "tid", ev->sample->tid);
	qz_json__key_str(j, "comm", qz_event__comm(ev));
}
