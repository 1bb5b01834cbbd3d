// SPDX-License-Identifier: MIT
/*
 * What programs write with bpf_perf_event_output(): for each map of type
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY, a PERF_COUNT_SW_BPF_OUTPUT event on each
 * online CPU, mapped as quazar's ring storage (quazar/ring.h) and put in
 * the map at the CPU's index. One epoll fd covers them all, and quazar's
 * ordered reader merges them by time as they are read.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <bpf/bpf.h>
#include <quazar/cpumap.h>
#include "bpf_internal.h"

#define DEFAULT_PAGES 64
#define QUIET_MS 100	/* a ring below its watermark is still read this often */

static int add_ring(struct qz_bpf *b, struct bpf_map *map, int cpu, size_t pages,
		    uint32_t watermark)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_TIME,
		.sample_period = 1,
		.use_clockid = 1,
		.clockid = CLOCK_MONOTONIC,
	};
	struct qz_mmap_opts mopts = {
		.sz = sizeof(mopts),
		.attr = &attr,
		.cpu = cpu,
		.pid = -1,
		.data_pages = pages,
		.watermark_bytes = watermark ? watermark : (uint32_t)(pages * 4096 / 4),
	};
	struct qz_bpf_output *grown, *o;
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, err;

	grown = realloc(b->outs, (size_t)(b->nr_outs + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	b->outs = grown;
	o = &b->outs[b->nr_outs];
	memset(o, 0, sizeof(*o));
	o->map = bpf_map__name(map);
	o->cpu = cpu;
	o->storage = qz_storage__new_mmap(&mopts);
	if (!o->storage) {
		err = -errno;
		qz__bpf_log(&b->log, QZ_LOG_ERROR,
			    "%s: cannot open the output ring of map %s on cpu %d: %s", b->base,
			    o->map, cpu, strerror(-err));
		return err;
	}
	b->nr_outs++;
	fd = qz_storage__fd(o->storage);
	if (bpf_map_update_elem(bpf_map__fd(map), &cpu, &fd, BPF_ANY)) {
		err = -errno;
		qz__bpf_log(&b->log, QZ_LOG_ERROR,
			    "%s: cannot put cpu %d's ring in map %s: %s (max_entries %u)",
			    b->base, cpu, o->map, strerror(-err), bpf_map__max_entries(map));
		return err;
	}
	ev.data.u32 = (uint32_t)(b->nr_outs - 1);
	if (epoll_ctl(b->epfd, EPOLL_CTL_ADD, fd, &ev))
		return -errno;
	return qz_ordered__add_ring(b->ordered, qz_storage__ring(o->storage), b->nr_outs - 1);
}

/* The kernel wrote these with no time (never for samples): deliver them too. */
static void emit(const struct perf_event_header *h, int ring_id, void *ctx);

int qz__bpf_outputs_open(struct qz_bpf *b, size_t pages, uint32_t watermark)
{
	struct qz_cpu_map *cpus = NULL;
	struct bpf_map *map;
	int err = 0;

	pages = pages ? pages : DEFAULT_PAGES;
	bpf_object__for_each_map(map, b->obj) {
		if (bpf_map__type(map) != BPF_MAP_TYPE_PERF_EVENT_ARRAY)
			continue;
		if (b->epfd < 0) {
			/* Records of all CPUs merged in time order as they are read. */
			struct qz_ordered_opts oopts = {
				.sz = sizeof(oopts),
				.sample_type = PERF_SAMPLE_RAW | PERF_SAMPLE_TIME,
				.late = emit,
			};

			b->epfd = epoll_create1(EPOLL_CLOEXEC);
			cpus = qz_cpu_map__new_online();
			b->ordered = qz_ordered__new(&oopts);
			if (b->epfd < 0 || !cpus || !b->ordered) {
				err = -errno ?: -ENOMEM;
				break;
			}
		}
		for (int i = 0; i < qz_cpu_map__nr(cpus) && !err; i++)
			err = add_ring(b, map, qz_cpu_map__cpu(cpus, i), pages, watermark);
		if (err)
			break;
	}
	qz_cpu_map__put(cpus);
	return err;
}

void qz__bpf_outputs_close(struct qz_bpf *b)
{
	qz_ordered__free(b->ordered);
	b->ordered = NULL;
	for (int i = 0; i < b->nr_outs; i++)
		qz_storage__free(b->outs[i].storage);
	free(b->outs);
	b->outs = NULL;
	b->nr_outs = 0;
	if (b->epfd >= 0)
		close(b->epfd);
	b->epfd = -1;
}

QZ_API int qz_bpf__fd(const struct qz_bpf *b)
{
	return b->epfd;
}

QZ_API uint64_t qz_bpf__lost(const struct qz_bpf *b)
{
	return b->lost;
}

/* A sample of RAW|TIME: u64 time, u32 size, the bytes. */
static void deliver(struct qz_bpf *b, const struct qz_bpf_output *o,
		    const struct perf_event_header *h)
{
	const uint8_t *p = (const uint8_t *)(h + 1);
	size_t len = h->size - sizeof(*h);
	struct qz_bpf_record rec = { .map = o->map, .cpu = o->cpu };
	uint32_t raw;

	if (len < 12)
		return;
	memcpy(&rec.time, p, 8);
	memcpy(&raw, p + 8, 4);
	if (raw > len - 12)
		return;
	rec.data = p + 12;
	rec.size = raw;
	b->records++;
	if (b->on_record)
		b->on_record(&rec, b->ctx);
}

static void emit(const struct perf_event_header *h, int ring_id, void *ctx)
{
	struct qz_bpf *b = ctx;

	if (ring_id < 0 || ring_id >= b->nr_outs)
		return;
	if (h->type == PERF_RECORD_SAMPLE) {
		deliver(b, &b->outs[ring_id], h);
		b->emitted++;
	} else if (h->type == PERF_RECORD_LOST && h->size >= sizeof(*h) + 16) {
		uint64_t lost;

		memcpy(&lost, (const uint8_t *)(h + 1) + 8, 8);
		b->lost += lost;
	}
}

QZ_API int qz_bpf__read(struct qz_bpf *b)
{
	uint64_t before = b->emitted;

	if (b->ordered)
		qz_ordered__read(b->ordered, QZ_ORDERED_ALL, emit, b);
	return (int)(b->emitted - before);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

QZ_API int qz_bpf__poll(struct qz_bpf *b, int timeout_ms)
{
	double end = now_ms() + timeout_ms;
	int n = 0;

	for (;;) {
		struct epoll_event ev[16];
		double left = timeout_ms < 0 ? QUIET_MS : end - now_ms();
		int wait = left < QUIET_MS ? (int)(left > 0 ? left : 0) : QUIET_MS, r;

		if (b->epfd < 0) {
			if (wait > 0)
				usleep((useconds_t)wait * 1000);
			r = 0;
		} else {
			r = epoll_wait(b->epfd, ev, 16, wait);
			if (r < 0 && errno != EINTR)
				return -errno;
		}
		n += qz_bpf__read(b);
		if (timeout_ms < 0 ? n > 0 : now_ms() >= end)
			return n;
		if (r < 0 && timeout_ms < 0)
			return -EINTR;
	}
}
