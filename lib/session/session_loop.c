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

enum { TAG_RING, TAG_STOP, TAG_INTERVAL, TAG_DRAIN, TAG_WORKLOAD };

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

static void report_lost(struct qz_session *s, int cpu, uint64_t lost)
{
	struct qz_output *out = s->out;

	s->stats.lost += lost;
	if (cpu >= 0 && cpu < (int)QZ_ARRAY_SIZE(s->stats.lost_per_cpu))
		s->stats.lost_per_cpu[cpu] += lost;
	if (s->ops->lost)
		s->ops->lost(s->ctx, cpu, lost);
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
 * The event of a sample's IDENTIFIER: the last one again (samples come in
 * runs), else the ids of open, else (an id they lack) the evlist's.
 */
static struct session_event *event_of(struct qz_session *s, uint64_t id)
{
	struct session_event *ev = NULL;

	if (s->last.ev && s->last.id == id)
		return s->last.ev;
	if (s->ids) {
		for (uint64_t i = qz__session_id_slot(s, id); s->ids[i].ev;
		     i = (i + 1) & s->ids_mask) {
			if (s->ids[i].id == id) {
				ev = s->ids[i].ev;
				break;
			}
		}
	}
	if (!ev) {
		struct qz_evsel *evsel = qz_evlist__evsel_by_id(s->evlist, id);

		ev = evsel ? qz_evsel__priv(evsel) : NULL;
	}
	s->last.id = id;
	s->last.ev = ev;
	return ev;
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
		s->stats.filtered++;
		return;
	}
	/* Every sample starts with its IDENTIFIER: qz_evlist__open asks for it. */
	memcpy(&id, rec + 1, sizeof(id));
	ev = event_of(s, id);
	if (!ev || !ev->layout || qz_sample_layout__parse(ev->layout, rec, &ev->sample)) {
		s->stats.filtered++;
		return;
	}
	if (ev->user_filter &&
	    !qz_filter__match(ev->user_filter, ev->sample.raw, ev->sample.raw_size)) {
		s->stats.filtered++;
		return;
	}
	if (s->env->exit_n && s->stats.samples >= s->env->exit_n)
		return;
	s->ops->sample(s->ctx, &ev->event);
	if (++s->stats.samples == s->env->exit_n)
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
		if (s->tasks) {
			fmt = qz_evlist__sample_format(s->evlist);
			qz_tasks__record(s->tasks, rec, &fmt);
		}
		break;
	}
}

static void on_record(const struct perf_event_header *rec, int ring, void *ctx)
{
	if (rec->type == PERF_RECORD_SAMPLE)
		dispatch_sample(ctx, rec);
	else
		on_other_record(rec, ring, ctx);
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
	s->stats.late++;
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
	if (!s->env->order && s->ops->any_order)
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
	bool done = false;

	epfd = epoll_create1(EPOLL_CLOEXEC);
	if (epfd < 0)
		return -errno;
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

	err = qz_evlist__enable(s->evlist);
	if (err)
		goto out;
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

	while (!done && !s->stopping) {
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
				break;
			case TAG_DRAIN:
				drain_fd(drain_fd_);
				rings = true;
				break;
			case TAG_INTERVAL:
				drain_fd(interval_fd);
				read_rings(s, ordered, false);
				report_interval(s, false);
				break;
			case TAG_WORKLOAD:
				done = true;
				break;
			case TAG_STOP:
				done = true;
				break;
			}
		}
		if (rings)
			read_rings(s, ordered, false);
	}

	/* Everything the kernel wrote before disable is read and reported. */
	qz_evlist__disable(s->evlist);
	read_rings(s, ordered, true);
	if (!s->counting)
		reconcile_lost(s);
	report_interval(s, true);
	log_summary(s);
out:
	qz_ordered__free(ordered);
	if (interval_fd >= 0)
		close(interval_fd);
	if (drain_fd_ >= 0)
		close(drain_fd_);
	if (pid_fd >= 0)
		close(pid_fd);
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
	err = qz__session_open(s);
	if (s->ready)
		s->ready(err, s->ready_ctx);
	if (!err)
		err = qz__session_loop(s);
	if (s->ops->deinit)
		s->ops->deinit(s->ctx);
	s->ctx = NULL;
	return err;
}

QZ_API const char *qz_event__comm(const struct qz_event *ev)
{
	struct qz_tasks *tasks = ev->session->tasks;
	const char *comm = tasks ? qz_tasks__comm(tasks, (pid_t)ev->sample->tid) : NULL;

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
