// SPDX-License-Identifier: MIT
/*
 * One event opened on every CPU x thread of its maps: fds, kernel ids,
 * groups, enable/disable, filters and counter reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "perf_internal.h"

QZ_API struct qz_evsel *qz_evsel__new(const struct perf_event_attr *attr,
				      const char *name)
{
	struct qz_evsel *e = calloc(1, sizeof(*e));

	if (!e)
		return NULL;
	e->attr = *attr;
	e->attr.size = sizeof(e->attr);
	e->leader = e;
	e->nr_members = 1;
	e->idx = -1;
	e->bpf_fd = -1;
	e->name = strdup(name ? name : "event");
	if (!e->name) {
		free(e);
		errno = ENOMEM;
		return NULL;
	}
	return e;
}

int qz__evsel_own_uprobe_path(struct qz_evsel *e, const char *path)
{
	/* config1 must point at memory that lives as long as we do. */
	e->uprobe_path = strdup(path);
	if (!e->uprobe_path)
		return -ENOMEM;
	e->attr.config1 = (uint64_t)(uintptr_t)e->uprobe_path;
	return 0;
}

QZ_API void qz_evsel__close(struct qz_evsel *e)
{
	int n;

	if (!e || !e->fds)
		return;
	n = e->cpus->nr * e->threads->nr;
	/* Members first would not matter to the kernel; close in reverse
	 * anyway so a leader outlives the fds grouped under it. */
	for (int i = n - 1; i >= 0; i--)
		if (e->fds[i] >= 0)
			close(e->fds[i]);
	free(e->fds);
	free(e->ids);
	e->fds = NULL;
	e->ids = NULL;
	qz_cpu_map__put(e->cpus);
	qz_thread_map__put(e->threads);
	e->cpus = NULL;
	e->threads = NULL;
	e->open = false;
}

QZ_API void qz_evsel__free(struct qz_evsel *e)
{
	if (!e)
		return;
	qz_evsel__close(e);
	qz_cpu_map__put(e->only_cpus);
	free(e->name);
	free(e->filter);
	free(e->uprobe_path);
	free(e);
}

QZ_API struct perf_event_attr *qz_evsel__attr(struct qz_evsel *e)
{
	return &e->attr;
}

QZ_API const char *qz_evsel__name(const struct qz_evsel *e)
{
	return e->name;
}

QZ_API int qz_evsel__set_leader(struct qz_evsel *e, struct qz_evsel *leader)
{
	if (e->open || leader->open || leader->leader != leader ||
	    e == leader || e->nr_members > 1)
		return -EINVAL;
	e->leader = leader;
	e->group_idx = leader->nr_members++;
	return 0;
}

QZ_API struct qz_evsel *qz_evsel__leader(struct qz_evsel *e)
{
	return e->leader;
}

QZ_API int qz_evsel__set_filter_str(struct qz_evsel *e, const char *filter)
{
	char *copy = NULL;

	if (filter && !(copy = strdup(filter)))
		return -ENOMEM;
	free(e->filter);
	e->filter = copy;
	return 0;
}

static int attach_bpf(struct qz_evsel *e, const struct qz_logger *log);

QZ_API int qz_evsel__set_bpf(struct qz_evsel *e, int prog_fd)
{
	if (prog_fd < 0)
		return -EBADF;
	if (e->bpf_fd >= 0 && e->bpf_fd != prog_fd)
		return -EEXIST;
	e->bpf_fd = prog_fd;
	return e->open ? attach_bpf(e, &e->log) : 0;
}

QZ_API void qz_evsel__set_priv(struct qz_evsel *e, void *priv)
{
	e->priv = priv;
}

QZ_API void *qz_evsel__priv(const struct qz_evsel *e)
{
	return e->priv;
}

QZ_API int qz_evsel__set_only_cpus(struct qz_evsel *e, struct qz_cpu_map *cpus)
{
	if (e->open)
		return -EBUSY;
	qz_cpu_map__put(e->only_cpus);
	e->only_cpus = qz_cpu_map__get(cpus);
	return 0;
}

bool qz__evsel_fd_enabled(const struct qz_evsel *e, int i)
{
	int cpu;

	if (!e->only_cpus)
		return true;
	cpu = e->cpus->cpus[i / e->threads->nr];
	return cpu >= 0 && qz_cpu_map__idx(e->only_cpus, cpu) >= 0;
}

bool qz__evsel_samples(const struct qz_evsel *e)
{
	return e->attr.sample_period || e->attr.comm || e->attr.task ||
	       e->attr.mmap || e->attr.mmap2;
}

static bool is_hardware(const struct perf_event_attr *attr)
{
	return attr->type == PERF_TYPE_HARDWARE ||
	       attr->type == PERF_TYPE_HW_CACHE || attr->type == PERF_TYPE_RAW;
}

static const char *open_hint(int err, const struct perf_event_attr *attr)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return "permission denied: run as root or lower "
		       "/proc/sys/kernel/perf_event_paranoid";
	case ENOENT:
	case EOPNOTSUPP:
		return is_hardware(attr)
			       ? "not supported on this machine (no hardware "
				 "PMU?)"
			       : "event not supported by this kernel or PMU";
	case ENODEV:
		return "no PMU for this event on that CPU";
	case ESRCH:
		return "no such thread (it may have exited)";
	case EMFILE:
		return "too many open files: raise the limit (ulimit -n)";
	case EBUSY:
		return "the PMU is busy (used by another tool?)";
	case EINVAL:
		return "the kernel rejected the attr (bad combination or too "
		       "old a kernel)";
	default:
		return "perf_event_open failed";
	}
}

static const char *bpf_hint(int err, const struct perf_event_attr *attr)
{
	switch (err) {
	case EINVAL:
		return attr->type == PERF_TYPE_TRACEPOINT ?
			       "a tracepoint takes a SEC(\"tracepoint\") program" :
			       "the program's type does not fit the event (tracepoints take "
			       "SEC(\"tracepoint\"), uprobes SEC(\"uprobe\"), other events "
			       "SEC(\"perf_event\"))";
	case EEXIST:
		return "the event has a BPF program already";
	case EPROTO:
		return "a precise event whose program reads stacks needs PERF_SAMPLE_CALLCHAIN";
	case EPERM:
	case EACCES:
		return "permission denied: run as root";
	default:
		return "PERF_EVENT_IOC_SET_BPF failed";
	}
}

/*
 * PERF_EVENT_IOC_SET_BPF on every fd: the program runs on each sample. A
 * tracepoint keeps one array of programs for all its perf events, so the
 * program joins it once and the other fds answer EEXIST.
 */
static int attach_bpf(struct qz_evsel *e, const struct qz_logger *log)
{
	bool tracepoint = e->attr.type == PERF_TYPE_TRACEPOINT;
	int n = qz_evsel__nr_ids(e), done = 0;

	for (int i = 0; i < n; i++) {
		if (ioctl(e->fds[i], PERF_EVENT_IOC_SET_BPF, e->bpf_fd) < 0) {
			int errnum = errno;

			if (tracepoint && errnum == EEXIST && done)
				continue;
			qz_log(log, QZ_LOG_ERROR,
			       "%s: cannot attach the BPF program on cpu %d: %s: %s",
			       e->name, e->cpus->cpus[i / e->threads->nr],
			       strerror(errnum), bpf_hint(errnum, &e->attr));
			return -errnum;
		}
		done++;
	}
	return 0;
}

int qz__evsel_open(struct qz_evsel *e, struct qz_cpu_map *cpus,
		   struct qz_thread_map *threads, const int *cgroup_fds,
		   int nr_cgroups, bool filter_fallback,
		   const struct qz_logger *log)
{
	unsigned long flags = PERF_FLAG_FD_CLOEXEC;
	int nc, nt, err = 0;
	bool cgroup = nr_cgroups > 0;

	if (e->open)
		return -EBUSY;
	if (e->leader != e && (!e->leader->open || e->leader->cpus != cpus))
		return -EINVAL;
	if (cgroup) {
		flags |= PERF_FLAG_PID_CGROUP;
		for (int i = 0; i < cpus->nr; i++) {
			if (cpus->cpus[i] < 0) {
				qz_log(log, QZ_LOG_ERROR,
				       "%s: cgroup events need CPUs, not "
				       "\"any\"",
				       e->name);
				return -EINVAL;
			}
		}
	}
	nc = cpus->nr;
	nt = cgroup ? nr_cgroups : threads->nr;
	e->cpus = qz_cpu_map__get(cpus);
	/* With cgroups, a column per cgroup (its "thread" is any: -1). */
	e->threads = cgroup ? qz__thread_map_any_n(nr_cgroups)
			    : qz_thread_map__get(threads);
	e->fds = malloc((size_t)(nc * nt) * sizeof(int));
	e->ids = calloc((size_t)(nc * nt), sizeof(uint64_t));
	if (!e->threads || !e->fds || !e->ids) {
		err = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < nc * nt; i++)
		e->fds[i] = -1;

	for (int c = 0; c < nc; c++) {
		for (int t = 0; t < nt; t++) {
			int group_fd = -1, cpu = cpus->cpus[c];
			pid_t pid = cgroup ? cgroup_fds[t] : threads->tids[t];
			int fd;

			if (e->leader != e)
				group_fd = *evsel_fdp(e->leader, c, t);
			fd = (int)syscall(SYS_perf_event_open, &e->attr, pid,
					  cpu, group_fd, flags);
			if (fd < 0) {
				int errnum = errno;

				qz_log(log, QZ_LOG_ERROR,
				       "%s: cannot open on cpu %d, %s %d: %s: "
				       "%s",
				       e->name, cpu,
				       cgroup ? "cgroup fd" : "thread",
				       (int)pid, strerror(errnum),
				       open_hint(errnum, &e->attr));
				err = -errnum;
				if ((errnum == ENOENT ||
				     errnum == EOPNOTSUPP) &&
				    is_hardware(&e->attr))
					err = -QZ_ERR_NOT_SUPPORTED;
				goto fail;
			}
			*evsel_fdp(e, c, t) = fd;
			if (ioctl(fd, PERF_EVENT_IOC_ID, &e->ids[c * nt + t]) <
			    0) {
				err = -errno;
				goto fail;
			}
		}
	}
	e->fmt = qz_sample_format__from_attr(&e->attr);
	e->open = true;
	e->filter_err = 0;
	if (e->bpf_fd >= 0) {
		err = attach_bpf(e, log);
		if (err)
			goto fail;
	}
	if (e->filter) {
		err = qz_evsel__apply_filter(e, e->filter);
		if (err && filter_fallback) {
			/* The caller evaluates it in user space instead. */
			qz_log(log, QZ_LOG_INFO,
			       "%s: the kernel rejected filter \"%s\" (%s): "
			       "filtering in user space",
			       e->name, e->filter, strerror(-err));
			e->filter_err = err;
			err = 0;
		} else if (err) {
			qz_log(log, QZ_LOG_ERROR,
			       "%s: the kernel rejected filter \"%s\": %s",
			       e->name, e->filter, strerror(-err));
			goto fail;
		}
	}
	return 0;
fail:
	qz_evsel__close(e);
	return err;
}

QZ_API int qz_evsel__open(struct qz_evsel *e, struct qz_cpu_map *cpus,
			  struct qz_thread_map *threads,
			  const struct qz_evsel_open_opts *opts)
{
	struct qz_logger log = {
		.fn = QZ_OPT(opts, log, NULL),
		.ctx = QZ_OPT(opts, log_ctx, NULL),
	};
	struct qz_cpu_map *own_cpus = NULL;
	struct qz_thread_map *own_threads = NULL;
	int err;

	if (QZ_OPTS_CHECK(opts))
		return -E2BIG;
	if (!cpus)
		cpus = own_cpus = qz_cpu_map__new_any();
	if (!threads)
		threads = own_threads = qz_thread_map__new_any();
	if (!cpus || !threads)
		err = -ENOMEM;
	else
	{
		int cgroup_fd = QZ_OPT(opts, cgroup_fd, -1);

		err = qz__evsel_open(e, cpus, threads, &cgroup_fd, cgroup_fd >= 0,
				     QZ_OPT(opts, filter_fallback, false), &log);
	}
	qz_cpu_map__put(own_cpus);
	qz_thread_map__put(own_threads);
	return err;
}

QZ_API int qz_evsel__fd(const struct qz_evsel *e, int cpu_idx, int thread_idx)
{
	if (!e->open || cpu_idx < 0 || cpu_idx >= e->cpus->nr ||
	    thread_idx < 0 || thread_idx >= e->threads->nr)
		return -1;
	return *evsel_fdp(e, cpu_idx, thread_idx);
}

QZ_API int qz_evsel__set_period(struct qz_evsel *e, int cpu_idx, uint64_t period)
{
	if (!e->open || cpu_idx < -1 || cpu_idx >= e->cpus->nr || !period)
		return -EINVAL;
	for (int c = 0; c < e->cpus->nr; c++) {
		if (cpu_idx >= 0 && c != cpu_idx)
			continue;
		for (int t = 0; t < e->threads->nr; t++)
			if (ioctl(*evsel_fdp(e, c, t), PERF_EVENT_IOC_PERIOD, &period))
				return -errno;
	}
	return 0;
}

QZ_API int qz_evsel__nr_ids(const struct qz_evsel *e)
{
	return e->open ? e->cpus->nr * e->threads->nr : 0;
}

QZ_API uint64_t qz_evsel__id(const struct qz_evsel *e, int idx)
{
	return idx >= 0 && idx < qz_evsel__nr_ids(e) ? e->ids[idx] : 0;
}

static int ioctl_all(struct qz_evsel *e, unsigned long req, unsigned long arg)
{
	int n = qz_evsel__nr_ids(e);

	if (!e->open)
		return -EBADF;
	for (int i = 0; i < n; i++) {
		if (req == PERF_EVENT_IOC_ENABLE && !qz__evsel_fd_enabled(e, i))
			continue;
		if (ioctl(e->fds[i], req, arg) < 0)
			return -errno;
	}
	return 0;
}

QZ_API int qz_evsel__enable(struct qz_evsel *e)
{
	return ioctl_all(e, PERF_EVENT_IOC_ENABLE, 0);
}

QZ_API int qz_evsel__disable(struct qz_evsel *e)
{
	return ioctl_all(e, PERF_EVENT_IOC_DISABLE, 0);
}

QZ_API int qz_evsel__filter_error(const struct qz_evsel *e)
{
	return e->filter_err;
}

QZ_API int qz_evsel__apply_filter(struct qz_evsel *e, const char *filter)
{
	return ioctl_all(e, PERF_EVENT_IOC_SET_FILTER, (unsigned long)filter);
}

QZ_API int qz_evsel__read(struct qz_evsel *e, int cpu_idx, int thread_idx,
			  struct qz_counts *counts)
{
	struct qz_evsel *leader = e->leader;
	uint64_t fmt = leader->attr.read_format;
	bool group = fmt & PERF_FORMAT_GROUP;
	int fd, n, max = group ? leader->nr_members : 1;
	uint64_t buf[3 + 3 * 64];
	struct qz_counts all[64];
	ssize_t len;

	if (counts->sz < COUNTS_SZ_V1)
		return -EINVAL;
	if (max > 64)
		return -E2BIG;
	fd = qz_evsel__fd(group ? leader : e, cpu_idx, thread_idx);
	if (fd < 0)
		return -EBADF;
	if (!group)
		fmt = e->attr.read_format;
	len = read(fd, buf, sizeof(buf));
	if (len < 0)
		return -errno;
	all[0].sz = sizeof(all[0]);
	n = qz_counts__parse(buf, (size_t)len, fmt, all, max);
	if (n < 0)
		return n;
	if (!group) {
		qz__copy_sized(counts, &all[0], sizeof(all[0]));
		return 0;
	}
	/* Members appear in the order they joined; match ids when we can. */
	for (int i = 0; i < n; i++) {
		if ((fmt & PERF_FORMAT_ID) &&
		    all[i].id ==
			    e->ids[cpu_idx * e->threads->nr + thread_idx]) {
			qz__copy_sized(counts, &all[i], sizeof(all[i]));
			return 0;
		}
	}
	if (!(fmt & PERF_FORMAT_ID) && e->group_idx < n) {
		qz__copy_sized(counts, &all[e->group_idx],
			       sizeof(all[e->group_idx]));
		return 0;
	}
	return -ENOENT;
}

QZ_API int qz_evsel__read_total(struct qz_evsel *e, struct qz_counts *total)
{
	if (total->sz < COUNTS_SZ_V1)
		return -EINVAL;
	qz__zero_sized(total);
	if (!e->open)
		return -EBADF;
	for (int c = 0; c < e->cpus->nr; c++) {
		for (int t = 0; t < e->threads->nr; t++) {
			struct qz_counts one = { .sz = sizeof(one) };
			int err = qz_evsel__read(e, c, t, &one);

			if (err)
				return err;
			qz_counts__add(total, &one);
		}
	}
	qz_counts__scale(total);
	return 0;
}

QZ_API struct qz_sample_format qz_evsel__sample_format(const struct qz_evsel *e)
{
	/* Parsing asks for this per sample: the attr cannot change once open. */
	return e->open ? e->fmt : qz_sample_format__from_attr(&e->attr);
}
