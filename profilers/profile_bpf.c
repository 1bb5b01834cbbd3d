// SPDX-License-Identifier: MIT
/*
 * profile --bpf: bpf/profile.bpf.c counts each cpu-clock sample in a
 * hash keyed by CPU too, and keeps the sample out of the ring. At each interval the
 * programs are switched to the other set of maps (a variable in .bss,
 * shared by mmap), and the set they left is read and emptied. Its stacks
 * are read once per id and kept, and its stack map is emptied once it has
 * taken an eighth of its buckets (or had a collision), so stale stacks do
 * not crowd it. Without filters or news of new processes, the lean build
 * of the program is loaded: it has no CO-RE reads, so libbpf need not
 * parse the kernel's BTF.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <linux/perf_event.h>
#include <quazar/cpumap.h>
#include <quazar/ring.h>
#include "bpf_config.h"
#include "profile_bpf.h"
#include "u64map.h"
#if QZ_HAVE_BPF_SKELETONS
#include <bpf/bpf.h>
#include "bpf_internal.h"
#include "profile_key.h"
#include "profile.skel.h"
#include "profile_lean.skel.h"
#endif

#if QZ_HAVE_BPF_SKELETONS

#define DEFAULT_ENTRIES 8192
#define MAX_DEPTH 127		/* PERF_MAX_STACK_DEPTH */
#define BATCH 1024

struct profile_bpf {
	struct qz_profile_bpf *skel;		/* one of these two */
	struct qz_profile_lean_bpf *lean;
	/* What both skeletons have, by name. */
	struct bpf_program *prog;
	struct bpf_map *counts[2], *stack_maps[2], *stats_map;
	struct bpf_map *news_map;		/* the full skeleton's only */
	uint32_t *active;			/* in .bss, mmap'd */
	int nr_cpus;			/* possible: the per-CPU values' count */
	uint32_t depth;			/* frames a stack map entry holds */
	struct qz_profile_key *keys;	/* BATCH of them */
	uint64_t *values;		/* BATCH */
	uint64_t *stats;		/* nr_cpus */
	uint64_t *frames;		/* depth */
	uint64_t *chain;		/* 2 + 2 x depth */
	uint32_t *ids;			/* a stack map's, entries of them */
	bool batch_ops;			/* lookup_and_delete_batch works */
	struct qz_storage **news;	/* a ring per online CPU: processes first seen */
	int nr_news;
	int news_epfd;
	void *scratch;			/* a wrapped record */
	/*
	 * Each set's stacks as read, by id: an entry of a stack map stays as
	 * it is until deleted, so it is read once, and the map is emptied
	 * only when it has taken an eighth of its buckets since last time
	 * (or had collisions).
	 */
	struct u64map stacks[2];	/* id -> uint64_t *: [nr, frames...] */
	uint64_t added[2];
	uint32_t entries;
};

/* Frames a stack may hold: the kernel refuses maps deeper than this sysctl. */
static uint32_t max_depth(void)
{
	FILE *f = fopen("/proc/sys/kernel/perf_event_max_stack", "re");
	unsigned v = MAX_DEPTH;

	if (f) {
		if (fscanf(f, "%u", &v) != 1)
			v = MAX_DEPTH;
		fclose(f);
	}
	return v && v < MAX_DEPTH ? v : MAX_DEPTH;
}

static void forget_stacks(struct u64map *m)
{
	size_t pos = 0;
	uint64_t id;
	void *val;

	while (qz_u64map__next(m, &pos, &id, &val))
		free(*(uint64_t **)val);
	qz_u64map__clear(m);
}

void qz_profile_bpf__free(struct profile_bpf *pb)
{
	if (!pb)
		return;
	for (int i = 0; i < pb->nr_news; i++)
		qz_storage__free(pb->news[i]);
	free(pb->news);
	if (pb->news_epfd >= 0)
		close(pb->news_epfd);
	free(pb->scratch);
	for (int i = 0; i < 2; i++) {
		forget_stacks(&pb->stacks[i]);
		qz_u64map__free(&pb->stacks[i]);
	}
	qz_profile_bpf__destroy(pb->skel);
	qz_profile_lean_bpf__destroy(pb->lean);
	free(pb->keys);
	free(pb->values);
	free(pb->stats);
	free(pb->frames);
	free(pb->chain);
	free(pb->ids);
	free(pb);
}

/*
 * The rings where the program tells of processes it sees first: rare, so
 * each wakes the reader at once. quazar's ring over a BPF output mmap.
 */
static int open_news(struct profile_bpf *pb)
{
	struct qz_cpu_map *cpus = qz_cpu_map__new_online();
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_BPF_OUTPUT,
		.sample_type = PERF_SAMPLE_RAW,
		.sample_period = 1,
	};
	int map_fd = bpf_map__fd(pb->news_map), err = 0;

	pb->news_epfd = epoll_create1(EPOLL_CLOEXEC);
	pb->scratch = malloc(QZ_RECORD_MAX + 8);
	if (!cpus || pb->news_epfd < 0 || !pb->scratch ||
	    !(pb->news = calloc((size_t)qz_cpu_map__nr(cpus), sizeof(*pb->news)))) {
		err = -errno ?: -ENOMEM;
		goto out;
	}
	for (int i = 0; i < qz_cpu_map__nr(cpus) && !err; i++) {
		struct qz_mmap_opts mopts = {
			.sz = sizeof(mopts), .attr = &attr, .cpu = qz_cpu_map__cpu(cpus, i),
			.pid = -1, .data_pages = 2,
		};
		struct epoll_event ev = { .events = EPOLLIN };
		int fd;

		pb->news[i] = qz_storage__new_mmap(&mopts);
		if (!pb->news[i]) {
			err = -errno;
			break;
		}
		pb->nr_news++;
		fd = qz_storage__fd(pb->news[i]);
		if (bpf_map_update_elem(map_fd, &mopts.cpu, &fd, BPF_ANY) ||
		    epoll_ctl(pb->news_epfd, EPOLL_CTL_ADD, fd, &ev))
			err = -errno;
	}
out:
	qz_cpu_map__put(cpus);
	return err;
}

int qz_profile_bpf__news_fd(struct profile_bpf *pb)
{
	return pb->news_epfd;
}

void qz_profile_bpf__news(struct profile_bpf *pb, void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	for (int i = 0; i < pb->nr_news; i++) {
		struct qz_ring *ring = qz_storage__ring(pb->news[i]);

		if (qz_ring__start_read_batch(ring)) {
			qz_ring__reset(ring);
			continue;
		}
		while (qz_ring__bytes_remaining(ring)) {
			const struct perf_event_header *h = qz_ring__peek(ring, pb->scratch);
			uint32_t size, pid;

			if (!h) {
				qz_ring__reset(ring);
				break;
			}
			/* RAW: u32 size, then the program's u32 tgid. */
			if (h->type == PERF_RECORD_SAMPLE && h->size >= sizeof(*h) + 8) {
				memcpy(&size, h + 1, 4);
				memcpy(&pid, (const uint8_t *)(h + 1) + 4, 4);
				if (size >= 4)
					fn(ctx, pid);
			}
			qz_ring__pop(ring);
		}
		qz_ring__finish_read_batch(ring);
	}
}

/* Open the full build of profile.bpf.c: its filters and news set. */
static struct bpf_object *open_full(struct profile_bpf *pb, const struct profile_bpf_opts *opts)
{
	struct qz_profile_bpf *skel = qz_profile_bpf__open();

	if (!skel)
		return NULL;
	pb->skel = skel;
	skel->rodata->want_stacks = opts->stacks;
	skel->rodata->kernel_stacks = opts->kernel_stacks;
	skel->rodata->user_stacks = opts->user_stacks;
	skel->rodata->tell_news = opts->news;
	if (opts->filter)
		skel->rodata->qz_filter = *opts->filter;
	return skel->obj;
}

static struct bpf_object *open_lean(struct profile_bpf *pb, const struct profile_bpf_opts *opts)
{
	struct qz_profile_lean_bpf *skel = qz_profile_lean_bpf__open();

	if (!skel)
		return NULL;
	pb->lean = skel;
	skel->rodata->want_stacks = opts->stacks;
	skel->rodata->kernel_stacks = opts->kernel_stacks;
	skel->rodata->user_stacks = opts->user_stacks;
	return skel->obj;
}

/* Open quazar's profile.bpf.c, sized for entries and the stack depth, and load it. */
static int load(struct profile_bpf *pb, const struct profile_bpf_opts *opts, uint32_t entries)
{
	struct bpf_object *obj = opts->filter || opts->news ? open_full(pb, opts)
							   : open_lean(pb, opts);
	int err;

	if (!obj)
		return errno ? -errno : -ENOMEM;
	/* Both builds name them alike; news is the full build's only. */
	pb->prog = bpf_object__find_program_by_name(obj, "qz_profile");
	pb->counts[0] = bpf_object__find_map_by_name(obj, "counts0");
	pb->counts[1] = bpf_object__find_map_by_name(obj, "counts1");
	pb->stack_maps[0] = bpf_object__find_map_by_name(obj, "stacks0");
	pb->stack_maps[1] = bpf_object__find_map_by_name(obj, "stacks1");
	pb->stats_map = bpf_object__find_map_by_name(obj, "stats");
	pb->news_map = bpf_object__find_map_by_name(obj, "news");
	for (int set = 0; set < 2; set++) {
		bpf_map__set_max_entries(pb->counts[set], entries);
		bpf_map__set_max_entries(pb->stack_maps[set], entries);
		bpf_map__set_value_size(pb->stack_maps[set], pb->depth * sizeof(uint64_t));
	}
	/* `active` is read where the skeleton mmap'd .bss. */
	if (pb->skel) {
		err = qz_profile_bpf__load(pb->skel);
		if (!err && pb->skel->bss)
			pb->active = &pb->skel->bss->active;
	} else {
		err = qz_profile_lean_bpf__load(pb->lean);
		if (!err && pb->lean->bss)
			pb->active = &pb->lean->bss->active;
	}
	return err;
}

struct profile_bpf *qz_profile_bpf__new(const struct profile_bpf_opts *opts, char *why,
					size_t len)
{
	struct profile_bpf *pb = calloc(1, sizeof(*pb));
	uint32_t entries = opts->entries ? opts->entries : DEFAULT_ENTRIES;
	struct qz_bpf_capture cap;
	char msg[4096];
	int err;

	if (!pb) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	pb->news_epfd = -1;
	if (!qz__bpf_kernel_btf(why, len)) {
		err = -EOPNOTSUPP;
		goto fail;
	}
	pb->batch_ops = true;
	pb->entries = entries;
	if (qz_u64map__init(&pb->stacks[0], sizeof(void *)) ||
	    qz_u64map__init(&pb->stacks[1], sizeof(void *))) {
		err = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto fail;
	}
	pb->nr_cpus = libbpf_num_possible_cpus();
	pb->depth = max_depth();
	if (pb->nr_cpus <= 0) {
		err = pb->nr_cpus ? pb->nr_cpus : -EINVAL;
		snprintf(why, len, "cannot count the possible CPUs: %s", strerror(-err));
		goto fail;
	}
	pb->keys = calloc(BATCH, sizeof(*pb->keys));
	pb->values = calloc(BATCH, sizeof(uint64_t));
	pb->stats = calloc((size_t)pb->nr_cpus, sizeof(uint64_t));
	pb->frames = calloc(pb->depth, sizeof(uint64_t));
	pb->chain = calloc(2 + 2 * (size_t)pb->depth, sizeof(uint64_t));
	pb->ids = calloc(entries, sizeof(uint32_t));
	if (!pb->keys || !pb->values || !pb->stats || !pb->frames || !pb->chain || !pb->ids) {
		err = -ENOMEM;
		snprintf(why, len, "out of memory");
		goto fail;
	}
	qz__bpf_capture_begin(&cap);
	/*
	 * The counts' hashes stay preallocated: without, emptying them each
	 * interval frees every element (bpf_mem_alloc's unit_free), which
	 * cost more than the ~15 ms preallocation takes at start.
	 */
	err = load(pb, opts, entries);
	qz__bpf_capture_end(&cap);
	if (!pb->prog) {
		qz__bpf_capture_free(&cap);
		snprintf(why, len, "cannot open quazar's profile.bpf.c: %s", strerror(-err));
		goto fail;
	}
	if (err) {
		qz__bpf_explain(cap.text, err, NULL, msg, sizeof(msg));
		snprintf(why, len, "quazar's profile.bpf.c: %s", msg);
		qz__bpf_capture_free(&cap);
		goto fail;
	}
	qz__bpf_capture_free(&cap);
	if (!pb->active) {
		err = -EOPNOTSUPP;
		snprintf(why, len, "the kernel cannot mmap BPF global data (needs 5.5)");
		goto fail;
	}
	err = opts->news ? open_news(pb) : 0;
	if (err) {
		snprintf(why, len, "cannot open the rings of new processes: %s", strerror(-err));
		goto fail;
	}
	return pb;
fail:
	qz_profile_bpf__free(pb);
	errno = -err;
	return NULL;
}

int qz_profile_bpf__prog_fd(struct profile_bpf *pb)
{
	return bpf_program__fd(pb->prog);
}

/* Stack id's frames, [nr, frames...], from the cache or the map; NULL if gone. */
static const uint64_t *get_stack(struct profile_bpf *pb, int set, int fd, int32_t id)
{
	uint64_t **slot = qz_u64map__get(&pb->stacks[set], (uint64_t)id), *copy;
	uint32_t nr = 0;
	bool created;

	if (slot)
		return *slot;
	if (bpf_map_lookup_elem(fd, &id, pb->frames))
		return NULL;
	while (nr < pb->depth && pb->frames[nr])
		nr++;
	copy = malloc((1 + (size_t)nr) * sizeof(uint64_t));
	slot = copy ? qz_u64map__put(&pb->stacks[set], (uint64_t)id, &created) : NULL;
	if (!slot) {
		free(copy);
		return NULL;	/* no memory: the sample keeps no stack */
	}
	copy[0] = nr;
	memcpy(copy + 1, pb->frames, nr * sizeof(uint64_t));
	*slot = copy;
	pb->added[set]++;
	return copy;
}

/* [KERNEL, kernel frames..., USER, user frames...], as perf writes callchains. */
static uint64_t add_stack(struct profile_bpf *pb, int set, int fd, int32_t id,
			  uint64_t context, uint64_t n)
{
	const uint64_t *st;

	if (id < 0 || !(st = get_stack(pb, set, fd, id)))
		return n;
	pb->chain[n++] = context;
	for (uint64_t i = 0; i < st[0]; i++)
		pb->chain[n++] = st[1 + i];
	return n;
}

static void emit(struct profile_bpf *pb, int set, int stacks_fd,
		 const struct qz_profile_key *k, uint64_t count, profile_bpf_fn fn, void *ctx)
{
	struct qz_sample smp = {
		.sz = sizeof(smp),
		.type = PERF_SAMPLE_IP | PERF_SAMPLE_TID | PERF_SAMPLE_CPU,
		.ip = k->ip,
		.pid = k->pid,
		.tid = k->tid,
		.cpu = k->cpu,
		.callchain = pb->chain,
	};
	char comm[QZ_PROFILE_COMM_LEN + 1];

	if (!count)
		return;
	memcpy(comm, k->comm, QZ_PROFILE_COMM_LEN);
	comm[QZ_PROFILE_COMM_LEN] = 0;
	if (!k->pid && !k->tid)
		snprintf(comm, sizeof(comm), "swapper");
	smp.callchain_nr = add_stack(pb, set, stacks_fd, k->kstack, PERF_CONTEXT_KERNEL, 0);
	smp.callchain_nr = add_stack(pb, set, stacks_fd, k->ustack, PERF_CONTEXT_USER,
				     smp.callchain_nr);
	if (smp.callchain_nr)
		smp.type |= PERF_SAMPLE_CALLCHAIN;
	fn(ctx, &smp, comm, count);
}

/* Every key of the map, deleted as read: batches where the kernel has them. */
static int drain(struct profile_bpf *pb, int set, int fd, int stacks_fd, profile_bpf_fn fn,
		 void *ctx)
{
	LIBBPF_OPTS(bpf_map_batch_opts, bopts);
	uint32_t in = 0, out = 0, count;
	bool first = true;
	int err;

	while (pb->batch_ops) {
		count = BATCH;
		err = bpf_map_lookup_and_delete_batch(fd, first ? NULL : &in, &out, pb->keys,
						      pb->values, &count, &bopts);
		err = err ? errno : 0;
		if (err && err != ENOENT && first &&
		    (err == EINVAL || err == 524 /* ENOTSUPP */ || err == EOPNOTSUPP)) {
			pb->batch_ops = false;	/* an old kernel: one key at a time */
			break;
		}
		if (err && err != ENOENT)
			return -err;
		for (uint32_t i = 0; i < count; i++)
			emit(pb, set, stacks_fd, &pb->keys[i],
			     pb->values[i], fn, ctx);
		if (err)
			return 0;	/* ENOENT: that was the last batch */
		in = out;
		first = false;
	}
	for (;;) {
		struct qz_profile_key *k = &pb->keys[0];

		if (bpf_map_get_next_key(fd, NULL, k))
			return 0;
		if (!bpf_map_lookup_elem(fd, k, pb->values))
			emit(pb, set, stacks_fd, k, pb->values[0], fn, ctx);
		if (bpf_map_delete_elem(fd, k) && errno != ENOENT)
			return -errno;
	}
}

/*
 * Ids listed first, deleted after: a stack map's next key after a deleted
 * one is its first again, so deleting as listed would rescan it each time.
 */
static void clear_stacks(int fd, uint32_t *ids, uint32_t max)
{
	uint32_t nr = 0;

	while (nr < max && !bpf_map_get_next_key(fd, nr ? &ids[nr - 1] : NULL, &ids[nr]))
		nr++;
	for (uint32_t i = 0; i < nr; i++)
		bpf_map_delete_elem(fd, &ids[i]);
}

/* A set's counter, zeroed once read: the programs write the other set. */
static uint64_t take_stat(struct profile_bpf *pb, uint32_t set, uint32_t which)
{
	uint32_t idx = set * QZ_PROFILE_NR_STATS + which;
	int fd = bpf_map__fd(pb->stats_map);
	uint64_t sum = 0;

	if (bpf_map_lookup_elem(fd, &idx, pb->stats))
		return 0;
	for (int c = 0; c < pb->nr_cpus; c++)
		sum += pb->stats[c];
	if (sum) {
		memset(pb->stats, 0, (size_t)pb->nr_cpus * sizeof(uint64_t));
		bpf_map_update_elem(fd, &idx, pb->stats, BPF_ANY);
	}
	return sum;
}

int qz_profile_bpf__read(struct profile_bpf *pb, profile_bpf_fn fn, void *ctx,
			 struct profile_bpf_stats *stats)
{
	uint32_t old = __atomic_load_n(pb->active, __ATOMIC_RELAXED) & 1;
	struct timespec pause = { 0, 200000 };
	int counts_fd, stacks_fd, err;

	/* Programs that read `active` before the switch finish within
	 * microseconds: wait that out before emptying their set. */
	__atomic_store_n(pb->active, old ^ 1, __ATOMIC_SEQ_CST);
	nanosleep(&pause, NULL);
	counts_fd = bpf_map__fd(pb->counts[old]);
	stacks_fd = bpf_map__fd(pb->stack_maps[old]);
	err = drain(pb, (int)old, counts_fd, stacks_fd, fn, ctx);
	stats->collisions = take_stat(pb, old, QZ_PROFILE_COLLISIONS);
	stats->hash_full = take_stat(pb, old, QZ_PROFILE_HASH_FULL);
	stats->errors = take_stat(pb, old, QZ_PROFILE_ERRORS);
	if (pb->added[old] > pb->entries / 8 || stats->collisions) {
		clear_stacks(stacks_fd, pb->ids, pb->entries);
		forget_stacks(&pb->stacks[old]);
		pb->added[old] = 0;
	}
	return err;
}

#else /* !QZ_HAVE_BPF_SKELETONS */

struct profile_bpf *qz_profile_bpf__new(const struct profile_bpf_opts *opts, char *why,
					size_t len)
{
	(void)opts;
	snprintf(why, len, "%s", QZ_BPF_MISSING);
	errno = EOPNOTSUPP;
	return NULL;
}

void qz_profile_bpf__free(struct profile_bpf *pb)
{
	(void)pb;
}

int qz_profile_bpf__prog_fd(struct profile_bpf *pb)
{
	(void)pb;
	return -EOPNOTSUPP;
}

int qz_profile_bpf__news_fd(struct profile_bpf *pb)
{
	(void)pb;
	return -1;
}

void qz_profile_bpf__news(struct profile_bpf *pb, void (*fn)(void *ctx, uint32_t pid), void *ctx)
{
	(void)pb;
	(void)fn;
	(void)ctx;
}

int qz_profile_bpf__read(struct profile_bpf *pb, profile_bpf_fn fn, void *ctx,
			 struct profile_bpf_stats *stats)
{
	(void)pb;
	(void)fn;
	(void)ctx;
	memset(stats, 0, sizeof(*stats));
	return -EOPNOTSUPP;
}

#endif
