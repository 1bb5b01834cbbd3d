// SPDX-License-Identifier: MIT
/*
 * A list of events sharing CPU/thread maps and rings: one layout for the
 * sample id fields, one ring per CPU through SET_OUTPUT, ids back to
 * evsels, an ordered reader and lost-event accounting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "perf_internal.h"

struct evl_ring {
	struct qz_storage *storage;
	int cpu;
	struct qz_lost_stats lost;
};

struct id_entry {
	uint64_t id;
	struct qz_evsel *evsel;
};

struct qz_evlist {
	struct qz_evsel **evsels;
	int nr_evsels;
	struct qz_cpu_map *cpus;
	struct qz_thread_map *threads;
	int *cgroup_fds;	/* --cgroup a,b,...: a column each */
	int nr_cgroups;
	bool enabled;		/* for events added while running */
	bool track_tasks, track_maps, mmap_build_id, inherit, wakeup_every_event;
	bool filter_fallback;
	size_t ring_pages;
	uint32_t watermark_bytes;
	struct qz_logger log;
	uint64_t id_bits; /* the sample_type bits every event shares */
	struct id_entry *ids;
	int nr_ids;
	struct id_entry last; /* the last lookup: samples come in runs */
	struct evl_ring *rings;
	int nr_rings;
	struct qz_ordered *ordered;
	bool opened;
};

/* The bits that place TIME in samples and the sample_id trailer. */
#define ID_BITS                                                     \
	(PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_TIME |      \
	 PERF_SAMPLE_ID | PERF_SAMPLE_STREAM_ID | PERF_SAMPLE_CPU | \
	 PERF_SAMPLE_IDENTIFIER)

QZ_API struct qz_evlist *qz_evlist__new(const struct qz_evlist_opts *opts)
{
	struct qz_evlist *el;

	QZ_OPTS_CHECK_OR_NULL(opts);
	el = calloc(1, sizeof(*el));
	if (!el)
		return NULL;
	el->track_tasks = QZ_OPT(opts, track_tasks, false);
	el->track_maps = QZ_OPT(opts, track_maps, false);
	el->inherit = QZ_OPT(opts, inherit, false);
	el->filter_fallback = QZ_OPT(opts, filter_fallback, false);
	el->ring_pages = QZ_OPT(opts, ring_pages, 0) ?: QZ_DEFAULT_RING_PAGES;
	el->watermark_bytes = QZ_OPT(opts, watermark_bytes, 0);
	el->wakeup_every_event = QZ_OPT(opts, wakeup_every_event, false);
	el->log.fn = QZ_OPT(opts, log, NULL);
	el->log.ctx = QZ_OPT(opts, log_ctx, NULL);
	if (el->ring_pages & (el->ring_pages - 1)) {
		free(el);
		errno = QZ_ERR_RING_SIZE;
		return NULL;
	}
	return el;
}

static void evlist_unmap(struct qz_evlist *el)
{
	qz_ordered__free(el->ordered);
	el->ordered = NULL;
	for (int i = 0; i < el->nr_rings; i++)
		qz_storage__free(el->rings[i].storage);
	free(el->rings);
	el->rings = NULL;
	el->nr_rings = 0;
}

QZ_API void qz_evlist__close(struct qz_evlist *el)
{
	evlist_unmap(el);
	/* Members before leaders: reverse order of opening. */
	for (int i = el->nr_evsels - 1; i >= 0; i--)
		qz_evsel__close(el->evsels[i]);
	free(el->ids);
	el->ids = NULL;
	el->nr_ids = 0;
	el->last.evsel = NULL;
	el->opened = false;
}

QZ_API void qz_evlist__free(struct qz_evlist *el)
{
	if (!el)
		return;
	qz_evlist__close(el);
	for (int i = 0; i < el->nr_evsels; i++)
		qz_evsel__free(el->evsels[i]);
	free(el->evsels);
	qz_cpu_map__put(el->cpus);
	qz_thread_map__put(el->threads);
	for (int i = 0; i < el->nr_cgroups; i++)
		close(el->cgroup_fds[i]);
	free(el->cgroup_fds);
	free(el);
}

QZ_API int qz_evlist__add(struct qz_evlist *el, struct qz_evsel *e)
{
	struct qz_evsel **v;

	if (!e)
		return errno ? -errno : -EINVAL;
	if (el->opened || e->in_evlist) {
		if (!e->in_evlist)
			qz_evsel__free(e);
		return -EBUSY;
	}
	v = realloc(el->evsels, (size_t)(el->nr_evsels + 1) * sizeof(*v));
	if (!v) {
		qz_evsel__free(e);
		return -ENOMEM;
	}
	el->evsels = v;
	e->idx = el->nr_evsels;
	e->in_evlist = true;
	v[el->nr_evsels++] = e;
	return 0;
}

QZ_API int qz_evlist__nr_evsels(const struct qz_evlist *el)
{
	return el->nr_evsels;
}

QZ_API struct qz_evsel *qz_evlist__evsel(struct qz_evlist *el, int idx)
{
	return idx >= 0 && idx < el->nr_evsels ? el->evsels[idx] : NULL;
}

QZ_API int qz_evlist__set_maps(struct qz_evlist *el, struct qz_cpu_map *cpus,
			       struct qz_thread_map *threads)
{
	if (el->opened)
		return -EBUSY;
	qz_cpu_map__put(el->cpus);
	qz_thread_map__put(el->threads);
	el->cpus = qz_cpu_map__get(cpus);
	el->threads = qz_thread_map__get(threads);
	return 0;
}

QZ_API struct qz_cpu_map *qz_evlist__cpus(struct qz_evlist *el)
{
	return el->cpus;
}

QZ_API struct qz_thread_map *qz_evlist__threads(struct qz_evlist *el)
{
	return el->threads;
}

QZ_API int qz_evlist__set_cgroup(struct qz_evlist *el, const char *path)
{
	char *copy, *tok, *save = NULL;
	int *fds = NULL, nr = 0, err = 0;
	struct qz_thread_map *cols;

	if (el->opened)
		return -EBUSY;
	copy = strdup(path ? path : "");
	if (!copy)
		return -ENOMEM;
	/* A comma list: one column of fds per cgroup. */
	for (tok = strtok_r(copy, ",", &save); tok && !err;
	     tok = strtok_r(NULL, ",", &save)) {
		int *grown = realloc(fds, (size_t)(nr + 1) * sizeof(*fds));
		int fd;

		if (!grown) {
			err = -ENOMEM;
			break;
		}
		fds = grown;
		fd = qz_cgroup__open(tok);
		if (fd < 0) {
			qz_log(&el->log, QZ_LOG_ERROR, "cgroup %s: %s", tok,
			       strerror(-fd));
			err = fd;
			break;
		}
		fds[nr++] = fd;
	}
	free(copy);
	if (!err && !nr)
		err = -EINVAL;
	cols = err ? NULL : qz__thread_map_any_n(nr);
	if (!err && !cols)
		err = -ENOMEM;
	if (err) {
		for (int i = 0; i < nr; i++)
			close(fds[i]);
		free(fds);
		return err;
	}
	for (int i = 0; i < el->nr_cgroups; i++)
		close(el->cgroup_fds[i]);
	free(el->cgroup_fds);
	el->cgroup_fds = fds;
	el->nr_cgroups = nr;
	qz_thread_map__put(el->threads);
	el->threads = cols;
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = ((const struct id_entry *)a)->id;
	uint64_t y = ((const struct id_entry *)b)->id;

	return (x > y) - (x < y);
}

static int build_ids(struct qz_evlist *el)
{
	int n = 0;

	for (int i = 0; i < el->nr_evsels; i++)
		n += qz_evsel__nr_ids(el->evsels[i]);
	el->ids = calloc((size_t)n ?: 1, sizeof(*el->ids));
	if (!el->ids)
		return -ENOMEM;
	for (int i = 0; i < el->nr_evsels; i++) {
		struct qz_evsel *e = el->evsels[i];

		for (int j = 0; j < qz_evsel__nr_ids(e); j++)
			el->ids[el->nr_ids++] = (struct id_entry){e->ids[j], e};
	}
	qsort(el->ids, (size_t)el->nr_ids, sizeof(*el->ids), cmp_id);
	return 0;
}

/*
 * Does the kernel put build-ids in MMAP2 records (attr.build_id, 5.12)?
 * An unknown attr bit fails the open, so ask once with a dummy event.
 */
static bool kernel_has_mmap_build_id(void)
{
	static int known;	/* 0 unknown, 1 yes, 2 no; a race asks twice */
	struct perf_event_attr a = {
		.type = PERF_TYPE_SOFTWARE, .size = sizeof(a),
		.config = PERF_COUNT_SW_DUMMY, .disabled = 1, .exclude_kernel = 1,
		.exclude_hv = 1, .mmap = 1, .mmap2 = 1, .build_id = 1,
	};
	int fd;

	if (!__atomic_load_n(&known, __ATOMIC_RELAXED)) {
		fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
		if (fd >= 0)
			close(fd);
		__atomic_store_n(&known, fd >= 0 ? 1 : 2, __ATOMIC_RELAXED);
	}
	return __atomic_load_n(&known, __ATOMIC_RELAXED) == 1;
}

/* Give every event the same id layout and the fields the evlist relies on. */
static void prepare_attrs(struct qz_evlist *el)
{
	uint64_t bits = PERF_SAMPLE_IDENTIFIER;
	uint32_t wm = el->watermark_bytes;

	if (!wm)
		wm = (uint32_t)(el->ring_pages * (size_t)sysconf(_SC_PAGESIZE) /
				4);
	for (int i = 0; i < el->nr_evsels; i++)
		bits |= el->evsels[i]->attr.sample_type & ID_BITS;
	el->id_bits = bits;

	for (int i = 0; i < el->nr_evsels; i++) {
		struct qz_evsel *e = el->evsels[i];
		struct perf_event_attr *a = &e->attr;

		a->sample_type |= bits;
		a->sample_id_all = 1;
		a->read_format |= PERF_FORMAT_TOTAL_TIME_ENABLED |
				  PERF_FORMAT_TOTAL_TIME_RUNNING |
				  PERF_FORMAT_ID;
		/* Reading a whole group at once is not allowed with inherit. */
		if (e->leader->nr_members > 1 && !el->inherit)
			a->read_format |= PERF_FORMAT_GROUP;
		a->disabled = e->leader == e;
		a->inherit = el->inherit;
		if (el->wakeup_every_event) {
			a->watermark = 0;
			a->wakeup_events = 1;
		} else {
			a->watermark = 1;
			a->wakeup_watermark = wm;
		}
		if (i == 0 && (el->track_tasks || el->track_maps)) {
			a->comm = 1;
			a->comm_exec = 1;
			a->task = 1;
		}
		if (i == 0 && el->track_maps) {
			a->mmap = 1;
			a->mmap2 = 1;
			a->build_id = el->mmap_build_id;
		}
	}
}

QZ_API int qz_evlist__open(struct qz_evlist *el)
{
	int err = 0;

	if (el->opened)
		return -EBUSY;
	if (!el->cpus)
		el->cpus = qz_cpu_map__new_online();
	if (!el->threads)
		el->threads = qz_thread_map__new_any();
	if (!el->cpus || !el->threads)
		return -errno;
	if (el->threads->tids[0] == -1 && el->cpus->cpus[0] == -1) {
		qz_log(&el->log, QZ_LOG_ERROR,
		       "events for any thread need a CPU list, not \"any\"");
		return -EINVAL;
	}
	if (el->track_maps)
		el->mmap_build_id = kernel_has_mmap_build_id();
	prepare_attrs(el);
	for (int i = 0; i < el->nr_evsels && !err; i++)
		err = qz__evsel_open(el->evsels[i], el->cpus, el->threads,
				     el->cgroup_fds, el->nr_cgroups,
				     el->filter_fallback,
				     &el->log);
	if (!err)
		err = build_ids(el);
	if (err) {
		qz_evlist__close(el);
		return err;
	}
	el->opened = true;
	return 0;
}

static int evlist_ioctl(struct qz_evlist *el, unsigned long req)
{
	for (int i = 0; i < el->nr_evsels; i++) {
		struct qz_evsel *e = el->evsels[i];
		int n = qz_evsel__nr_ids(e);

		/* A leader switches its whole group. */
		if (e->leader != e)
			continue;
		for (int j = 0; j < n; j++) {
			if (req == PERF_EVENT_IOC_ENABLE &&
			    !qz__evsel_fd_enabled(e, j))
				continue; /* cpus=: never runs there */
			if (ioctl(e->fds[j], req,
				  e->nr_members > 1 ? PERF_IOC_FLAG_GROUP : 0) <
			    0)
				return -errno;
		}
	}
	return 0;
}

QZ_API int qz_evlist__enable(struct qz_evlist *el)
{
	int err = el->opened ? evlist_ioctl(el, PERF_EVENT_IOC_ENABLE) : -EBADF;

	el->enabled |= !err;
	return err;
}

QZ_API int qz_evlist__disable(struct qz_evlist *el)
{
	el->enabled = false;
	return el->opened ? evlist_ioctl(el, PERF_EVENT_IOC_DISABLE) : -EBADF;
}

/* Map the first sampling fd of ring r; redirect the others into it. */
static int mmap_ring(struct qz_evlist *el, struct evl_ring *ring, int c0,
		     int c1, int t0, int t1)
{
	int out = -1;

	for (int i = 0; i < el->nr_evsels; i++) {
		struct qz_evsel *e = el->evsels[i];

		if (!qz__evsel_samples(e))
			continue;
		for (int c = c0; c < c1; c++) {
			for (int t = t0; t < t1 && t < e->threads->nr; t++) {
				int fd = *evsel_fdp(e, c, t);

				if (out < 0) {
					QZ_OPTS(qz_mmap_opts, mo,
						.use_fd = true, .fd = fd,
						.data_pages = el->ring_pages);

					ring->storage =
						qz_storage__new_mmap(&mo);
					if (!ring->storage) {
						int err = errno;

						qz_log(&el->log, QZ_LOG_ERROR,
						       "%s: mmap of %zu pages "
						       "on cpu %d: %s%s",
						       e->name, el->ring_pages,
						       ring->cpu, strerror(err),
						       err == EPERM
							       ? " (raise "
								 "perf_event_"
								 "mlock_kb or "
								 "run as root)"
							       : "");
						return -err;
					}
					out = fd;
				} else if (ioctl(fd, PERF_EVENT_IOC_SET_OUTPUT,
						 out) < 0) {
					int err = errno;

					qz_log(&el->log, QZ_LOG_ERROR,
					       "%s: cannot share the ring of "
					       "cpu %d: %s",
					       e->name, ring->cpu,
					       strerror(err));
					return -err;
				}
			}
		}
	}
	return 0;
}

QZ_API int qz_evlist__mmap(struct qz_evlist *el)
{
	bool per_thread, sampling = false;
	int n, err = 0;

	if (!el->opened)
		return -EBADF;
	if (el->rings)
		return -EBUSY;
	per_thread = el->cpus->cpus[0] == -1;
	for (int i = 0; i < el->nr_evsels; i++)
		sampling |= qz__evsel_samples(el->evsels[i]);
	if (!sampling)
		return 0; /* counting only: nothing to map */
	if (per_thread && el->inherit) {
		qz_log(&el->log, QZ_LOG_ERROR,
		       "inherited events need per-CPU rings, not \"any\" CPU");
		return -EINVAL;
	}
	n = per_thread ? el->threads->nr : el->cpus->nr;
	el->rings = calloc((size_t)n, sizeof(*el->rings));
	if (!el->rings)
		return -ENOMEM;
	for (int r = 0; r < n && !err; r++) {
		struct evl_ring *ring = &el->rings[el->nr_rings];

		ring->cpu = per_thread ? -1 : el->cpus->cpus[r];
		if (per_thread)
			err = mmap_ring(el, ring, 0, 1, r, r + 1);
		else
			err = mmap_ring(el, ring, r, r + 1, 0, el->threads->nr);
		if (ring->storage)
			el->nr_rings++;
	}
	if (!err) {
		el->ordered = qz_evlist__new_ordered(el, NULL);
		if (!el->ordered)
			err = -errno;
	}
	if (err)
		evlist_unmap(el);
	return err;
}

QZ_API int qz_evlist__nr_rings(const struct qz_evlist *el)
{
	return el->nr_rings;
}

QZ_API struct qz_ring *qz_evlist__ring(struct qz_evlist *el, int idx)
{
	if (idx < 0 || idx >= el->nr_rings)
		return NULL;
	return qz_storage__ring(el->rings[idx].storage);
}

QZ_API int qz_evlist__ring_fd(const struct qz_evlist *el, int idx)
{
	if (idx < 0 || idx >= el->nr_rings)
		return -1;
	return qz_storage__fd(el->rings[idx].storage);
}

QZ_API int qz_evlist__ring_cpu(const struct qz_evlist *el, int idx)
{
	if (idx < 0 || idx >= el->nr_rings)
		return -1;
	return el->rings[idx].cpu;
}

QZ_API struct qz_sample_format
qz_evlist__sample_format(const struct qz_evlist *el)
{
	return (struct qz_sample_format){
		.sample_type = el->id_bits,
		.sample_id_all = true,
	};
}

QZ_API struct qz_ordered *
qz_evlist__new_ordered(struct qz_evlist *el, const struct qz_ordered_opts *opts)
{
	struct qz_ordered_opts o = {.sz = sizeof(o)};
	struct qz_ordered *ord;

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.sz = sizeof(o);
	o.sample_type = el->id_bits;
	o.sample_id_all = true;
	if (!o.log) {
		o.log = el->log.fn;
		o.log_ctx = el->log.ctx;
	}
	ord = qz_ordered__new(&o);
	if (!ord)
		return NULL;
	for (int i = 0; i < el->nr_rings; i++) {
		int err = qz_ordered__add_ring(ord, qz_evlist__ring(el, i), i);

		if (err) {
			qz_ordered__free(ord);
			errno = -err;
			return NULL;
		}
	}
	return ord;
}

QZ_API bool qz_evlist__account(struct qz_evlist *el,
			       const struct perf_event_header *rec, int idx)
{
	struct qz_lost_stats *st;
	uint64_t v;

	if (rec->type != PERF_RECORD_LOST &&
	    rec->type != PERF_RECORD_LOST_SAMPLES)
		return false;
	if (idx < 0 || idx >= el->nr_rings)
		return true;
	st = &el->rings[idx].lost;
	st->records++;
	v = 0;
	if (rec->type == PERF_RECORD_LOST) {
		/* u64 id, u64 lost */
		if (rec->size >= sizeof(*rec) + 16) {
			memcpy(&v, (const uint8_t *)(rec + 1) + 8, 8);
			st->lost += v;
		}
	} else if (rec->size >= sizeof(*rec) + 8) {
		memcpy(&v, rec + 1, 8);
		st->lost_samples += v;
	}
	/* Never silent: the caller's log hears of every loss. */
	qz_log(&el->log, QZ_LOG_WARN, "cpu %d: lost %llu %s",
	       el->rings[idx].cpu, (unsigned long long)v,
	       rec->type == PERF_RECORD_LOST
		       ? "events (ring full: read faster or give it more pages)"
		       : "samples (dropped by the kernel)");
	return true;
}

QZ_API int qz_evlist__lost(const struct qz_evlist *el, int idx,
			   struct qz_lost_stats *stats)
{
	if (stats->sz < QZ_OFFSETOFEND(struct qz_lost_stats, records))
		return -EINVAL;
	qz__zero_sized(stats);
	if (idx >= el->nr_rings || idx < -1)
		return -ENOENT;
	for (int i = 0; i < el->nr_rings; i++) {
		if (idx != -1 && i != idx)
			continue;
		stats->lost += el->rings[i].lost.lost;
		stats->lost_samples += el->rings[i].lost.lost_samples;
		stats->records += el->rings[i].lost.records;
	}
	return 0;
}

struct read_ctx {
	struct qz_evlist *el;
	qz_record_fn emit;
	void *ctx;
};

static void read_one(const struct perf_event_header *rec, int ring, void *arg)
{
	struct read_ctx *rc = arg;

	qz_evlist__account(rc->el, rec, ring);
	if (rc->emit)
		rc->emit(rec, ring, rc->ctx);
}

QZ_API int64_t qz_evlist__read(struct qz_evlist *el, uint64_t cutoff,
			       qz_record_fn emit, void *ctx)
{
	struct read_ctx rc = {el, emit, ctx};

	if (!el->ordered)
		return -EBADF;
	return qz_ordered__read(el->ordered, cutoff, read_one, &rc);
}

QZ_API struct qz_evsel *qz_evlist__evsel_by_id(struct qz_evlist *el,
					       uint64_t id)
{
	struct id_entry key = {.id = id}, *hit;

	if (el->last.evsel && el->last.id == id)
		return el->last.evsel;
	if (!el->nr_ids)
		return NULL;
	hit = bsearch(&key, el->ids, (size_t)el->nr_ids, sizeof(key), cmp_id);
	if (hit)
		el->last = *hit;
	return hit ? hit->evsel : NULL;
}

QZ_API struct qz_evsel *qz_evlist__evsel_of(struct qz_evlist *el,
					    const struct perf_event_header *rec)
{
	uint64_t id;

	if (rec->size < sizeof(*rec) + 8)
		return NULL;
	if (rec->type == PERF_RECORD_SAMPLE)
		memcpy(&id, rec + 1, 8); /* IDENTIFIER comes first */
	else if (rec->type < PERF_RECORD_MAX)
		memcpy(&id, (const uint8_t *)rec + rec->size - 8,
		       8); /* and last */
	else
		return NULL;
	return qz_evlist__evsel_by_id(el, id);
}

QZ_API int qz_evlist__parse_sample(struct qz_evlist *el,
				   const struct perf_event_header *rec,
				   struct qz_sample *sample,
				   struct qz_evsel **evsel)
{
	struct qz_evsel *e = qz_evlist__evsel_of(el, rec);
	struct qz_sample_format fmt;

	if (evsel)
		*evsel = e;
	if (e)
		fmt = qz_evsel__sample_format(e);
	else if (rec->type == PERF_RECORD_SAMPLE)
		return -ENOENT;
	else
		fmt = qz_evlist__sample_format(el);
	return qz_sample__parse(rec, &fmt, sample);
}

/* Add evsel's ids to the sorted id table. */
static int add_ids(struct qz_evlist *el, struct qz_evsel *e)
{
	int n = qz_evsel__nr_ids(e);
	struct id_entry *grown =
		realloc(el->ids, (size_t)(el->nr_ids + n) * sizeof(*grown));

	if (!grown)
		return -ENOMEM;
	el->ids = grown;
	for (int j = 0; j < n; j++)
		el->ids[el->nr_ids++] = (struct id_entry){e->ids[j], e};
	qsort(el->ids, (size_t)el->nr_ids, sizeof(*el->ids), cmp_id);
	el->last = (struct id_entry){0};
	return 0;
}

static void drop_ids(struct qz_evlist *el, const struct qz_evsel *e)
{
	int n = 0;

	for (int i = 0; i < el->nr_ids; i++)
		if (el->ids[i].evsel != e)
			el->ids[n++] = el->ids[i];
	el->nr_ids = n;
	el->last = (struct id_entry){0};
}

QZ_API struct qz_evsel *qz_evlist__add_clone(struct qz_evlist *el,
					     struct qz_evsel *evsel,
					     struct qz_thread_map *threads,
					     const char *filter)
{
	struct qz_evsel *c, **grown;
	int err = 0;

	if (!el->opened || !el->rings || el->cpus->cpus[0] == -1 ||
	    el->nr_cgroups) {
		errno = EOPNOTSUPP; /* needs per-CPU rings to share */
		return NULL;
	}
	if (evsel->leader != evsel || evsel->nr_members > 1) {
		errno = EOPNOTSUPP; /* groups are opened whole */
		return NULL;
	}
	grown = realloc(el->evsels,
			(size_t)(el->nr_evsels + 1) * sizeof(*grown));
	if (!grown) {
		errno = ENOMEM;
		return NULL;
	}
	el->evsels = grown;
	c = qz_evsel__new(&evsel->attr, evsel->name);
	if (!c)
		return NULL;
	c->attr.disabled = 1;
	c->priv = evsel->priv;
	c->bpf_fd = evsel->bpf_fd;
	err = qz__evsel_open(c, el->cpus, threads ? threads : evsel->threads,
			     NULL, 0, false, &el->log);
	if (!err && filter && *filter)
		err = qz_evsel__apply_filter(c, filter);
	/* Its records go to the ring of its CPU, as the others' do. */
	for (int ci = 0; !err && ci < el->cpus->nr; ci++) {
		int out = -1;

		for (int r = 0; r < el->nr_rings; r++)
			if (el->rings[r].cpu == el->cpus->cpus[ci])
				out = qz_storage__fd(el->rings[r].storage);
		for (int t = 0; !err && t < c->threads->nr; t++) {
			if (out < 0)
				err = -ENOENT;
			else if (ioctl(*evsel_fdp(c, ci, t),
				       PERF_EVENT_IOC_SET_OUTPUT, out) < 0)
				err = -errno;
		}
	}
	if (!err)
		err = add_ids(el, c);
	if (!err && el->enabled)
		err = qz_evsel__enable(c);
	if (err) {
		qz_log(&el->log, QZ_LOG_ERROR,
		       "%s: cannot open it for a new thread: %s", evsel->name,
		       strerror(-err));
		drop_ids(el, c);
		qz_evsel__free(c);
		errno = -err;
		return NULL;
	}
	c->idx = el->nr_evsels;
	c->in_evlist = true;
	el->evsels[el->nr_evsels++] = c;
	return c;
}
