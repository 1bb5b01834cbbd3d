// SPDX-License-Identifier: MIT
/*
 * A thread's counter group. All counters are in one PERF_FORMAT_GROUP, so a
 * span boundary is a single read(); where every member is a hardware
 * counter whose user page allows rdpmc, it is no syscall at all.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "span_internal.h"

static const struct {
	uint32_t type;
	uint64_t config;
	const char *event;	/* perf's name, for reasons */
	const char *attr;	/* the span attribute */
} counters[QZ_SPAN_NR_COUNTERS] = {
	[QZ_SPAN_TASK_CLOCK] = { PERF_TYPE_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK,
				 "task-clock", "perf.task_clock_ns" },
	[QZ_SPAN_PAGE_FAULTS] = { PERF_TYPE_SOFTWARE,
				  PERF_COUNT_SW_PAGE_FAULTS, "page-faults",
				  "perf.page_faults" },
	[QZ_SPAN_CONTEXT_SWITCHES] = { PERF_TYPE_SOFTWARE,
				       PERF_COUNT_SW_CONTEXT_SWITCHES,
				       "context-switches",
				       "perf.context_switches" },
	[QZ_SPAN_CPU_MIGRATIONS] = { PERF_TYPE_SOFTWARE,
				     PERF_COUNT_SW_CPU_MIGRATIONS,
				     "cpu-migrations", "perf.cpu_migrations" },
	[QZ_SPAN_CYCLES] = { PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES,
			     "cycles", "perf.cycles" },
	[QZ_SPAN_INSTRUCTIONS] = { PERF_TYPE_HARDWARE,
				   PERF_COUNT_HW_INSTRUCTIONS, "instructions",
				   "perf.instructions" },
	[QZ_SPAN_CACHE_MISSES] = { PERF_TYPE_HARDWARE,
				   PERF_COUNT_HW_CACHE_MISSES, "cache-misses",
				   "perf.cache_misses" },
};

/* Hardware first: a hardware leader keeps the group in the PMU's context. */
static const uint8_t open_order[QZ_SPAN_NR_COUNTERS] = {
	QZ_SPAN_CYCLES, QZ_SPAN_INSTRUCTIONS, QZ_SPAN_CACHE_MISSES,
	QZ_SPAN_TASK_CLOCK, QZ_SPAN_PAGE_FAULTS, QZ_SPAN_CONTEXT_SWITCHES,
	QZ_SPAN_CPU_MIGRATIONS,
};

/* Bits of perf_event_mmap_page.capabilities. */
#define CAP_USER_RDPMC (1ull << 2)
#define CAP_USER_TIME (1ull << 3)

QZ_API const char *qz_span_counter__name(enum qz_span_counter c)
{
	if ((unsigned)c >= QZ_SPAN_NR_COUNTERS)
		return NULL;
	return counters[c].attr;
}

static int paranoid(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_paranoid", "r");
	int level = -9;

	if (f) {
		if (fscanf(f, "%d", &level) != 1)
			level = -9;
		fclose(f);
	}
	return level;
}

static void note(struct qz_counter_group *g, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Append to the reason: "a; b". */
static void note(struct qz_counter_group *g, const char *fmt, ...)
{
	size_t len = strlen(g->reason);
	va_list ap;

	if (len && len + 2 < sizeof(g->reason)) {
		memcpy(g->reason + len, "; ", 3);
		len += 2;
	}
	if (len >= sizeof(g->reason) - 1)
		return;
	va_start(ap, fmt);
	vsnprintf(g->reason + len, sizeof(g->reason) - len, fmt, ap);
	va_end(ap);
}

static int open_one(struct qz_counter_group *g, unsigned int id,
		    bool user_only)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = counters[id].type,
		.config = counters[id].config,
		.read_format = PERF_FORMAT_GROUP |
			       PERF_FORMAT_TOTAL_TIME_ENABLED |
			       PERF_FORMAT_TOTAL_TIME_RUNNING,
		.exclude_kernel = user_only,
		.exclude_hv = 1,
		/* Enabled once whole: see qz__counter_group_open. */
		.disabled = !g->nr,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1,
			      g->nr ? g->fd[0] : -1, PERF_FLAG_FD_CLOEXEC);

	if (fd < 0)
		return -errno;
	g->fd[g->nr] = fd;
	g->id[g->nr] = (uint8_t)id;
	g->nr++;
	g->mask |= 1u << id;
	return 0;
}

static bool denied(int err)
{
	return err == -EACCES || err == -EPERM;
}

/* The events of want, in open order; user_only leaves out the two
 * scheduler counters, which the kernel counts only in kernel mode. */
static int open_all(struct qz_counter_group *g, uint32_t want, bool user_only)
{
	bool hw_gone = false;

	for (unsigned int i = 0; i < QZ_SPAN_NR_COUNTERS; i++) {
		unsigned int id = open_order[i];
		bool hw = counters[id].type == PERF_TYPE_HARDWARE;
		int err;

		if (!(want & (1u << id)) || (hw && hw_gone))
			continue;
		if (user_only && (id == QZ_SPAN_CONTEXT_SWITCHES ||
				  id == QZ_SPAN_CPU_MIGRATIONS))
			continue;
		err = open_one(g, id, user_only);
		if (!err)
			continue;
		if (denied(err) && !user_only && !g->nr)
			return err;	/* try again in user space only */
		if (hw && !(g->mask & QZ_SPAN_COUNTERS_HW)) {
			/* No hardware PMU, or none this thread may use. */
			if (denied(err))
				note(g, "perf_event_open(%s): %s",
				     counters[id].event, strerror(-err));
			else
				note(g, "no hardware PMU (perf_event_open(%s): %s)",
				     counters[id].event, strerror(-err));
			hw_gone = true;
			continue;
		}
		note(g, "perf_event_open(%s): %s", counters[id].event,
		     strerror(-err));
		if (!g->nr)
			return err;	/* the leader cannot be left out */
		continue;
	}
	if (!g->nr)
		return -ENOENT;
	return 0;
}

static void close_fds(struct qz_counter_group *g)
{
	long page = sysconf(_SC_PAGESIZE);

	for (unsigned int i = 0; i < g->nr; i++) {
		if (g->page[i])
			munmap(g->page[i], (size_t)page);
		g->page[i] = NULL;
		close(g->fd[i]);
		g->fd[i] = -1;
	}
	g->nr = 0;
	g->mask = 0;
	g->pmu = false;
	g->rdpmc = false;
}

/* Map every member's user page; keep them only if all allow rdpmc. */
static void try_rdpmc(struct qz_counter_group *g)
{
	long page = sysconf(_SC_PAGESIZE);

	if (!qz__rdpmc_arch()) {
		note(g, "rdpmc: not on this architecture");
		return;
	}
	if (g->mask & QZ_SPAN_COUNTERS_SW) {
		note(g, "rdpmc: software counters need read()");
		return;
	}
	for (unsigned int i = 0; i < g->nr; i++) {
		void *p = mmap(NULL, (size_t)page, PROT_READ, MAP_SHARED,
			       g->fd[i], 0);
		uint64_t caps;

		if (p == MAP_FAILED) {
			note(g, "rdpmc: mmap: %s", strerror(errno));
			goto undo;
		}
		g->page[i] = p;
		caps = ((volatile struct perf_event_mmap_page *)p)
			       ->capabilities;
		if (!(caps & CAP_USER_RDPMC) || !(caps & CAP_USER_TIME)) {
			note(g, "rdpmc: cap_user_rdpmc is 0 (see /sys/bus/event_source/devices/cpu/rdpmc)");
			goto undo;
		}
	}
	g->rdpmc = true;
	return;
undo:
	for (unsigned int i = 0; i < g->nr; i++) {
		if (g->page[i])
			munmap(g->page[i], (size_t)page);
		g->page[i] = NULL;
	}
}

int qz__counter_group_open(struct qz_counter_group *g, uint32_t want,
			   bool allow_rdpmc)
{
	int err;

	memset(g, 0, sizeof(*g));
	for (unsigned int i = 0; i < QZ_SPAN_NR_COUNTERS; i++)
		g->fd[i] = -1;
	want &= QZ_SPAN_COUNTERS_ALL;
	if (!want)
		want = QZ_SPAN_COUNTERS_ALL;
	err = open_all(g, want, false);
	if (denied(err)) {
		close_fds(g);
		g->reason[0] = '\0';
		err = open_all(g, want, true);
		if (!err) {
			g->flags |= QZ_SPAN_F_USER_ONLY;
			note(g, "user space only (perf_event_paranoid=%d): no context-switches or cpu-migrations",
			     paranoid());
		}
	}
	if (err) {
		close_fds(g);
		/* The notes name each event that failed; else say it here. */
		if (!g->reason[0])
			note(g, "perf_event_open: %s", strerror(-err));
		if (denied(err))
			note(g, "perf_event_paranoid=%d, no CAP_PERFMON",
			     paranoid());
		return err;
	}
	/*
	 * A sibling added to a group that is already counting is not
	 * scheduled in until the thread's next context switch: page faults
	 * went uncounted in the first span. So the leader opens disabled and
	 * the whole group is enabled at once, as perf stat does.
	 */
	if (ioctl(g->fd[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP)) {
		err = -errno;
		close_fds(g);
		note(g, "PERF_EVENT_IOC_ENABLE: %s", strerror(-err));
		return err;
	}
	g->pmu = (g->mask & QZ_SPAN_COUNTERS_HW) != 0;
	if (allow_rdpmc)
		try_rdpmc(g);
	return 0;
}

void qz__counter_group_close(struct qz_counter_group *g)
{
	close_fds(g);
}

/* Every member from its user page; -EAGAIN sends the caller to read(). */
static int read_rdpmc(const struct qz_counter_group *g,
		      struct qz_counter_read *r)
{
	for (unsigned int i = 0; i < g->nr; i++) {
		struct qz_rdpmc_value v;
		int err = qz__rdpmc_read(g->page[i], NULL, NULL, &v);

		if (err)
			return err;
		r->v[g->id[i]] = v.count;
		if (!i) {
			r->enabled = v.enabled;
			r->running = v.running;
		}
	}
	r->rdpmc = true;
	return 0;
}

int qz__counter_group_read(const struct qz_counter_group *g,
			   struct qz_counter_read *r)
{
	uint64_t buf[3 + QZ_SPAN_NR_COUNTERS];
	size_t want = (3 + g->nr) * sizeof(uint64_t);
	ssize_t n;

	if (g->rdpmc && !read_rdpmc(g, r))
		return 0;
	n = read(g->fd[0], buf, want);
	if (n != (ssize_t)want)
		return n < 0 ? -errno : -EIO;
	if (buf[0] != g->nr)
		return -EIO;
	r->enabled = buf[1];
	r->running = buf[2];
	for (unsigned int i = 0; i < g->nr; i++)
		r->v[g->id[i]] = buf[3 + i];
	r->rdpmc = false;
	return 0;
}

void qz__counter_group_delta(const struct qz_counter_read *a,
			     const struct qz_counter_read *b, uint32_t mask,
			     struct qz_span_data *d)
{
	uint64_t enabled = b->enabled - a->enabled;
	uint64_t running = b->running - a->running;
	bool scale = running < enabled;

	d->time_enabled_ns = enabled;
	d->time_running_ns = running;
	if (enabled && !running) {
		d->counters = 0;
		d->unavailable = "the counters were not on the PMU during the span";
		return;
	}
	for (unsigned int c = 0; c < QZ_SPAN_NR_COUNTERS; c++) {
		uint64_t v;

		if (!(mask & (1u << c)))
			continue;
		v = b->v[c] - a->v[c];
		/* Multiplexed: estimate the whole from the part counted. */
		if (scale)
			v = (uint64_t)((unsigned __int128)v * enabled /
				       running);
		d->values[c] = v;
	}
	d->counters = mask;
	if (scale)
		d->flags |= QZ_SPAN_F_MULTIPLEXED;
	if (a->rdpmc && b->rdpmc)
		d->flags |= QZ_SPAN_F_RDPMC;
}
