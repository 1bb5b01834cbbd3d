// SPDX-License-Identifier: MIT
/*
 * blktrace: the latency of each stage of a block device's I/O (perf-prof's
 * blktrace), from the block tracepoints of one device (-d):
 *
 *	bio queued (block_bio_queue)  -> request made (block_getrq)
 *	  -> inserted in the scheduler (block_rq_insert, skipped by direct
 *	     issue) -> dispatched to the driver (block_rq_issue)
 *	  -> completed (block_rq_complete)
 *
 * Requests are followed by (device, first sector). Each stage's time is
 * the time since the request's previous stage, in a histogram per
 * transition seen (queue => getrq, getrq => insert, insert => issue,
 * getrq => issue, issue => complete, ...), plus the whole life, first
 * stage to completion. A bio merged into an existing request
 * (block_bio_backmerge/frontmerge) ends there, counted as merged. Flushes
 * (no sectors) are skipped. For a partition, the disk's events are
 * filtered to the partition's sectors, as the kernel reports bios after
 * remapping them to the disk.
 *
 * The whole device is watched, system-wide: -p, -t and -- cmd are refused.
 * Memory: at most MAX_PENDING requests in flight (the oldest is evicted
 * and counted past that); a struct qz_hist (7.7 KiB) per transition.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "evline.h"
#include "histrow.h"
#include "reltab.h"

#define MAX_PENDING 65536

enum { ST_QUEUE, ST_GETRQ, ST_INSERT, ST_ISSUE, ST_COMPLETE, NR_STAGES, ST_MERGE = NR_STAGES };
#define NR_ROWS (NR_STAGES * NR_STAGES)
#define TOTAL_ROW(first) ((first) * NR_STAGES + (first))	/* the diagonal: whole life */

static const char *const stage_events[] = {
	"block_bio_queue", "block_getrq", "block_rq_insert", "block_rq_issue",
	"block_rq_complete", "block_bio_backmerge", "block_bio_frontmerge",
};
#define NR_EVENTS 7

struct blk_opts {
	char *device;
	uint64_t than;
};

struct blk_event {
	int stage;
	const struct qz_tp_field *dev, *sector, *nr_sector;
};

struct blktrace {
	struct qz_session *session;
	struct qz_output *out;
	char *device;
	uint32_t dev;		/* the kernel's dev_t: major << 20 | minor */
	bool partition;
	uint64_t start, size;	/* partition sectors */
	uint64_t than;
	struct blk_event ev[NR_EVENTS];
	/* request: time = its last stage's, aux = its first's, ev = last | first << 8 */
	struct reltab pending;
	struct qz_hist *rows[NR_ROWS];
	uint64_t than_count[NR_ROWS];
	uint64_t merged, unmatched, flushes, interval_start;
	struct evline line;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int read_sysfs_u64(unsigned maj, unsigned min, const char *file, uint64_t *v)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/%s", maj, min, file);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%" SCNu64, v) == 1;
	fclose(f);
	return ok ? 0 : -EINVAL;
}

/* -d PATH to the kernel's dev_t and, for a partition, its disk and sectors. */
static int resolve_device(struct blktrace *b)
{
	struct stat st;
	unsigned maj, min;
	uint64_t v;

	if (stat(b->device, &st)) {
		int err = -errno;

		qz_session__log(b->session, QZ_LOG_ERROR, "-d %s: %s", b->device, qz_strerror(err));
		return err;
	}
	if (!S_ISBLK(st.st_mode)) {
		qz_session__log(b->session, QZ_LOG_ERROR,
				"-d %s: not a block device; give /dev/sdX, /dev/vdX, /dev/nvmeXnY, /dev/loopN or a partition",
				b->device);
		return -QZ_ERR_OPTION;
	}
	maj = major(st.st_rdev);
	min = minor(st.st_rdev);
	if (!read_sysfs_u64(maj, min, "partition", &v)) {
		char path[128], link[64];
		FILE *f;

		if (read_sysfs_u64(maj, min, "start", &b->start) ||
		    read_sysfs_u64(maj, min, "size", &b->size))
			return -EINVAL;
		snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/../dev", maj, min);
		f = fopen(path, "re");
		if (!f || !fgets(link, sizeof(link), f) || sscanf(link, "%u:%u", &maj, &min) != 2) {
			if (f)
				fclose(f);
			qz_session__log(b->session, QZ_LOG_ERROR,
					"-d %s: a partition whose disk cannot be found in /sys/dev/block",
					b->device);
			return -ENOENT;
		}
		fclose(f);
		b->partition = true;
	}
	b->dev = maj << 20 | min;
	return 0;
}

static void blk_free(struct blktrace *b)
{
	if (b->pending.pool)
		qz_reltab__free(&b->pending, NULL);
	for (int i = 0; i < NR_ROWS; i++)
		free(b->rows[i]);
	free(b);
}

static int blk_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct blk_opts *opts = qz_session__ops_opts(s);
	struct blktrace *b;
	char filter[128];
	int err;

	if (!opts->device) {
		qz_session__log(s, QZ_LOG_ERROR,
				"blktrace needs the device: -d /dev/sda (or a partition: -d /dev/sda1)");
		return -QZ_ERR_OPTION;
	}
	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR, "blktrace opens the block tracepoints itself: drop -e");
		return -QZ_ERR_OPTION;
	}
	if (env->pids || env->tids || env->workload) {
		qz_session__log(s, QZ_LOG_ERROR,
				"blktrace watches the whole device, whoever does the I/O: drop -p/-t/-- cmd, and stop it with -i/-N or Ctrl-C");
		return -QZ_ERR_OPTION;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->session = s;
	b->out = qz_session__output(s);
	b->device = opts->device;
	b->than = opts->than;
	b->interval_start = now_ns();
	err = resolve_device(b);
	if (!err)
		err = qz_reltab__init(&b->pending, MAX_PENDING, NULL, NULL);
	if (b->partition)
		snprintf(filter, sizeof(filter), "dev==%u && sector>=%" PRIu64 " && sector<%" PRIu64,
			 b->dev, b->start, b->start + b->size);
	else
		snprintf(filter, sizeof(filter), "dev==%u", b->dev);
	for (int i = 0; !err && i < NR_EVENTS; i++) {
		char sel[256];
		int idx;
		struct qz_tp_event *tp;

		snprintf(sel, sizeof(sel), "block:%s/%s/", stage_events[i], filter);
		idx = qz_session__add_events(s, sel, 0);
		if (idx < 0) {
			err = idx;
			break;
		}
		tp = qz_session__tp_event(s, idx);
		b->ev[idx].stage = i < NR_STAGES ? i : ST_MERGE;
		b->ev[idx].dev = qz_tp_event__field(tp, "dev");
		b->ev[idx].sector = qz_tp_event__field(tp, "sector");
		b->ev[idx].nr_sector = qz_tp_event__field(tp, "nr_sector");
		if (!b->ev[idx].dev || !b->ev[idx].sector || !b->ev[idx].nr_sector) {
			qz_session__log(s, QZ_LOG_ERROR,
					"block:%s lacks dev, sector or nr_sector on this kernel",
					stage_events[i]);
			err = -QZ_ERR_UNKNOWN_FIELD;
		}
	}
	if (err) {
		blk_free(b);
		return err;
	}
	*ctx = b;
	return 0;
}

static void record(struct blktrace *b, int row, uint64_t delta)
{
	if (!b->rows[row]) {
		b->rows[row] = malloc(sizeof(*b->rows[row]));
		if (!b->rows[row])
			return;
		QZ_HIST_INIT(b->rows[row]);
	}
	qz_hist__record(b->rows[row], delta);
	if (b->than && delta > b->than)
		b->than_count[row]++;
}

static void print_slow(struct blktrace *b, const struct qz_event *ev, uint64_t delta)
{
	if (qz_output__json(b->out)) {
		struct qz_json *j = qz_output__begin(b->out, "blktrace_slow", ev->sample->time);

		qz_json__key_u64(j, "latency", delta);
		qz_json__key(j, "complete");
		qz_json__begin_object(j);
		qz_evline__json(&b->line, ev, j);
		qz_json__end_object(j);
		qz_output__end(b->out);
		return;
	}
	fprintf(qz_output__file(b->out), "slow request: %" PRIu64 ".%03" PRIu64 " us: ",
		delta / 1000, delta % 1000);
	qz_evline__text(&b->line, ev, qz_output__file(b->out));
}

static void blk_sample(void *ctx, const struct qz_event *ev)
{
	struct blktrace *b = ctx;
	const struct blk_event *e = &b->ev[ev->index];
	const struct qz_sample *smp = ev->sample;
	uint64_t sector = qz_tp_field__u64(e->sector, smp->raw, smp->raw_size);
	uint64_t dev = qz_tp_field__u64(e->dev, smp->raw, smp->raw_size);
	uint64_t key = dev << 44 ^ sector, t = smp->time;
	struct reltab_entry *r;
	int last;

	if (!qz_tp_field__u64(e->nr_sector, smp->raw, smp->raw_size) || sector == UINT64_MAX) {
		b->flushes += e->stage == ST_COMPLETE;
		return;
	}
	r = reltab_find(&b->pending, key);
	if (e->stage == ST_MERGE) {
		if (r && r->ev == ST_QUEUE) {
			qz_reltab__remove(&b->pending, r);
			b->merged++;
		}
		return;
	}
	if (!r || e->stage == ST_QUEUE || (int)(r->ev & 0xff) >= e->stage) {
		/* A new life: a bio, or a request whose earlier stages were not seen. */
		if (e->stage == ST_COMPLETE) {
			b->unmatched++;
			if (r)
				qz_reltab__remove(&b->pending, r);
			return;
		}
		if (r)
			qz_reltab__touch(&b->pending, r);
		else if (!(r = qz_reltab__insert(&b->pending, key)))
			return;
		r->time = t;
		r->aux = t;
		r->ev = (uint32_t)e->stage | (uint32_t)e->stage << 8;
		return;
	}
	last = (int)(r->ev & 0xff);
	if (t >= r->time)
		record(b, last * NR_STAGES + e->stage, t - r->time);
	if (e->stage == ST_COMPLETE) {
		int first = (int)(r->ev >> 8);

		if (t >= r->aux) {
			record(b, TOTAL_ROW(first), t - r->aux);
			if (b->than && t - r->aux > b->than)
				print_slow(b, ev, t - r->aux);
		}
		qz_reltab__remove(&b->pending, r);
		return;
	}
	r->time = t;
	r->ev = (r->ev & ~0xffu) | (uint32_t)e->stage;
}

static const char *short_name(int stage)
{
	return stage_events[stage] + strlen("block_");
}

static void blk_interval(void *ctx, struct qz_output *out, bool final)
{
	struct blktrace *b = ctx;
	uint64_t now = now_ns();
	struct qz_json *j = NULL;
	FILE *f = NULL;
	/* Lifecycle order: each stage's transitions, then the whole lives. */
	int order[NR_ROWS], nr = 0;

	for (int from = 0; from < NR_STAGES; from++)
		for (int to = from + 1; to < NR_STAGES; to++)
			order[nr++] = from * NR_STAGES + to;
	for (int first = 0; first < NR_STAGES; first++)
		order[nr++] = TOTAL_ROW(first);
	if (qz_output__json(out)) {
		struct qz_session_stats st = { .sz = sizeof(st) };

		qz_session__stats(b->session, &st);
		j = qz_output__begin(out, "blktrace", now);
		qz_json__key_str(j, "device", b->device);
		qz_json__key_u64(j, "dev", b->dev);
		qz_json__key_u64(j, "interval_ns", now - b->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key(j, "stages");
		qz_json__begin_array(j);
		(void)st;
	} else {
		f = qz_output__file(out);
		fprintf(f, "\n%-38s", "start => end");
		qz_histrow__header(f, true);
		if (b->than)
			fprintf(f, " %12s", "than(reqs)");
		fputc('\n', f);
	}
	for (int i = 0; i < nr; i++) {
		int row = order[i], from = row / NR_STAGES, to = row % NR_STAGES;
		struct qz_hist *h = b->rows[row];
		char label[64];

		if (!h || !h->count)
			continue;
		if (from == to)
			snprintf(label, sizeof(label), "%s => %s (whole)", short_name(from),
				 short_name(ST_COMPLETE));
		else
			snprintf(label, sizeof(label), "%s => %s", short_name(from), short_name(to));
		if (j) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "from", short_name(from));
			qz_json__key_str(j, "to", short_name(from == to ? ST_COMPLETE : to));
			qz_json__key_bool(j, "whole", from == to);
			qz_histrow__json(h, j);
			if (b->than)
				qz_json__key_u64(j, "than", b->than_count[row]);
			qz_json__end_object(j);
		} else {
			fprintf(f, "%-38s", label);
			qz_histrow__text(h, f, true);
			if (b->than)
				fprintf(f, " %5" PRIu64 " (%3.0f%%)", b->than_count[row],
					100.0 * (double)b->than_count[row] / (double)h->count);
			fputc('\n', f);
		}
		QZ_HIST_INIT(h);
		b->than_count[row] = 0;
	}
	if (j) {
		struct qz_session_stats st = { .sz = sizeof(st) };

		qz_session__stats(b->session, &st);
		qz_json__end_array(j);
		qz_json__key_u64(j, "merged", b->merged);
		qz_json__key_u64(j, "flushes", b->flushes);
		qz_json__key_u64(j, "unmatched", b->unmatched);
		qz_json__key_u64(j, "in_flight", b->pending.nr);
		qz_json__key_u64(j, "evicted", b->pending.evicted);
		qz_json__key_u64(j, "lost", st.lost);
		qz_output__end(out);
	} else {
		fprintf(f, "bios merged %" PRIu64 ", flushes %" PRIu64 ", completions of unseen requests %"
			   PRIu64 ", in flight %" PRIu64 "\n",
			b->merged, b->flushes, b->unmatched, b->pending.nr);
	}
	b->merged = b->flushes = b->unmatched = 0;
	b->interval_start = now;
}

static void blk_deinit(void *ctx)
{
	blk_free(ctx);
}

static const struct qz_option blk_options[] = {
	QZ_OPTION_ENTRY(struct blk_opts, device, "device", 'd', QZ_OPTION_STRING, "DEVICE",
			"the block device or partition: /dev/sda, /dev/vda1, /dev/loop0"),
	QZ_OPTION_ENTRY(struct blk_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"count the stages over TIME; print the requests whose life exceeds it"),
	{ 0 },
};

const struct qz_profiler qz_profiler_blktrace = {
	.name = "blktrace",
	.help = "block I/O latency per stage of one device: queue, insert, issue, complete",
	.usage = "examples:\n"
		 "  quazar blktrace -d /dev/vda -i 1000\n"
		 "  quazar blktrace -d /dev/sda1 -i 1000 --than 10ms",
	.options = blk_options,
	.opts_size = sizeof(struct blk_opts),
	.ops = {
		.default_interval_ms = 1000,
		.default_order = true,	/* a request's stages come from several CPUs */
		.init = blk_init,
		.sample = blk_sample,
		.interval = blk_interval,
		.deinit = blk_deinit,
	},
};
