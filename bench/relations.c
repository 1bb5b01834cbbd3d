// SPDX-License-Identifier: MIT
/*
 * multi-trace's user-space cost per event. Real sched_wakeup/sched_switch
 * events are recorded from both CPUs while `pingpong` runs, copied into
 * memory rings, then replayed REPS times through the ordered reader, the
 * sample layouts (as a session parses) and multi-trace's per-event path (qz_mt__sample, the same
 * function the live profiler runs): events/s and ns per event. Then the
 * same load live: quazar multi-trace over pingpong, its lost events and
 * CPU per event.
 *
 *	build/bench/relations [ROUNDS] [REPS]
 *
 * The last line is one JSON object.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <quazar/attr.h>
#include <quazar/event.h>
#include <quazar/ring.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "multi_trace.h"
#include "bench.h"
#include "proc.h"

#define MAX_CPUS 64
#define RECORD_PAGES 8192	/* 32 MiB per CPU and event */
#define REPLAY_PAGES 8192	/* 32 MiB memory ring per CPU */
#define MAX_REPS 15

static const char *quazar = "build/quazar";
static const char *pingpong = "build/tests/progs/pingpong";

struct recorded {
	struct qz_storage *live[MAX_CPUS][2];
	struct qz_storage *mem[MAX_CPUS];
	uint64_t ids[MAX_CPUS][2];
	int nr_cpus;
	uint64_t nr_records;
	uint8_t **recs[MAX_CPUS];	/* copies, to refill the memory rings */
	size_t nr_recs[MAX_CPUS];
};

static const uint64_t SAMPLE_TYPE = PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_TID |
				    PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
				    PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW;

static int run_pingpong(const char *rounds)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execl(pingpong, pingpong, rounds, (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -1;
}

static int record(struct recorded *r, const char *rounds)
{
	const char *names[2] = { "sched_wakeup", "sched_switch" };
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	r->nr_cpus = n > MAX_CPUS ? MAX_CPUS : (int)n;
	for (int c = 0; c < r->nr_cpus; c++) {
		for (int e = 0; e < 2; e++) {
			struct perf_event_attr attr;
			QZ_OPTS(qz_mmap_opts, o, .attr = &attr, .cpu = c, .pid = -1,
				.data_pages = RECORD_PAGES, .watermark_bytes = 1 << 20);

			if (qz_attr__tracepoint(&attr, "sched", names[e], NULL))
				return -1;
			attr.sample_type = SAMPLE_TYPE;
			attr.sample_period = 1;
			attr.use_clockid = 1;
			attr.clockid = CLOCK_MONOTONIC;
			r->live[c][e] = qz_storage__new_mmap(&o);
			if (!r->live[c][e])
				return -1;
			if (ioctl(qz_storage__fd(r->live[c][e]), PERF_EVENT_IOC_ID,
				  &r->ids[c][e]))
				return -1;
		}
	}
	if (run_pingpong(rounds))
		return -1;
	for (int c = 0; c < r->nr_cpus; c++) {
		size_t cap = 1 << 16;

		r->recs[c] = malloc(cap * sizeof(*r->recs[c]));
		for (int e = 0; e < 2; e++) {
			struct qz_ring *ring = qz_storage__ring(r->live[c][e]);
			uint8_t buf[QZ_RECORD_MAX];
			int size;

			ioctl(qz_storage__fd(r->live[c][e]), PERF_EVENT_IOC_DISABLE, 0);
			qz_ring__start_read_batch(ring);
			while ((size = qz_ring__read(ring, buf, sizeof(buf))) > 0) {
				if (((struct perf_event_header *)buf)->type != PERF_RECORD_SAMPLE)
					continue;
				if (r->nr_recs[c] == cap) {
					cap *= 2;
					r->recs[c] = realloc(r->recs[c], cap * sizeof(*r->recs[c]));
				}
				r->recs[c][r->nr_recs[c]] = malloc((size_t)size);
				memcpy(r->recs[c][r->nr_recs[c]++], buf, (size_t)size);
			}
			qz_ring__finish_read_batch(ring);
		}
		r->nr_records += r->nr_recs[c];
	}
	return 0;
}

static uint64_t rec_time(const uint8_t *rec)
{
	uint64_t t;

	/* IDENTIFIER, TID (pid, tid), TIME */
	memcpy(&t, rec + sizeof(struct perf_event_header) + 16, 8);
	return t;
}

static int time_cmp(const void *a, const void *b)
{
	uint64_t x = rec_time(*(uint8_t *const *)a), y = rec_time(*(uint8_t *const *)b);

	return (x > y) - (x < y);
}

/* Write each CPU's records (both events merged in time) into its memory ring. */
static void fill(struct recorded *r)
{
	for (int c = 0; c < r->nr_cpus; c++) {
		struct qz_ring *ring = qz_storage__ring(r->mem[c]);

		qz_ring__start_write_batch(ring);
		for (size_t i = 0; i < r->nr_recs[c]; i++) {
			const struct perf_event_header *h = (const void *)r->recs[c][i];

			qz_ring__write(ring, h + 1, h->size - sizeof(*h), h->type);
		}
		qz_ring__finish_write_batch(ring);
	}
}

/*
 * As a session reads samples: each event's layout (made when it is
 * opened, for the fields multi-trace reads) parses into that event's own
 * sample, zeroed once, handed on as that event's qz_event.
 */
struct replay {
	struct recorded *r;
	struct mt *mt;
	struct qz_sample_layout *layout[2];
	struct qz_sample smp[2];
	struct qz_event ev[2];
	uint64_t events;
};

static void replay_one(const struct perf_event_header *rec, int ring, void *ctx)
{
	struct replay *x = ctx;
	uint64_t id;
	int idx;

	memcpy(&id, rec + 1, 8);
	idx = id == x->r->ids[ring][0] ? 0 : id == x->r->ids[ring][1] ? 1 : -1;
	if (idx < 0 || qz_sample_layout__parse(x->layout[idx], rec, &x->smp[idx]))
		return;
	qz_mt__sample(x->mt, &x->ev[idx]);
	x->events++;
}

/* quazar multi-trace live over pingpong: lost events and CPU per event. */
static void live(const char *rounds, double *cpu_ns, double *events, double *lost)
{
	char *argv[] = { (char *)quazar, "multi-trace", "-e", "sched:sched_wakeup//key=pid/",
			 "-e", "sched:sched_switch//key=next_pid/", "-m", "1024", "--json",
			 NULL };
	const char *out = "/tmp/quazar-bench-relations.json";
	struct child c;
	FILE *f;
	char line[65536];

	*cpu_ns = *events = *lost = -1;
	if (child_start(&c, argv, out))
		return;
	usleep(500000);
	run_pingpong(rounds);
	usleep(300000);
	child_stop(&c, SIGTERM);
	f = fopen(out, "r");
	if (!f)
		return;
	*lost = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strstr(line, "\"type\":\"multi_trace\"") && (p = strstr(line, "\"events\":")))
			*events = atof(p + 9);
		if (strstr(line, "\"type\":\"lost\"") && (p = strstr(line, "\"lost\":")))
			*lost += atof(p + 7);
	}
	fclose(f);
	unlink(out);
	if (*events > 0)
		*cpu_ns = c.cpu_s * 1e9 / *events;
}

int main(int argc, char **argv)
{
	const char *rounds = argc > 1 ? argv[1] : "50000";
	int reps = argc > 2 ? atoi(argv[2]) : 7;
	struct recorded r = { 0 };
	struct mt_event_cfg evs[2] = { 0 };
	struct qz_tp *tp = qz_tp__new(NULL);
	struct qz_tp_event *tps[2];
	struct qz_sample_format fmt;
	struct replay x = { .r = &r };
	double ns[MAX_REPS], full[MAX_REPS], ns_med, full_med, live_ns, live_events, live_lost;
	struct perf_event_attr attr = { .sample_type = SAMPLE_TYPE };

	if (reps < 1 || reps > MAX_REPS)
		reps = 7;
	if (!tp || geteuid()) {
		fprintf(stderr, "relations: needs root and tracefs\n");
		return 77;
	}
	tps[0] = qz_tp__event(tp, "sched", "sched_wakeup");
	tps[1] = qz_tp__event(tp, "sched", "sched_switch");
	if (!tps[0] || !tps[1] || record(&r, rounds)) {
		fprintf(stderr, "relations: cannot record sched events: %s\n", strerror(errno));
		return 1;
	}
	fmt = qz_sample_format__from_attr(&attr);
	for (int e = 0; e < 2; e++) {
		x.layout[e] = qz_sample_layout__new(&fmt, MT_SAMPLE_FIELDS);
		if (!x.layout[e])
			return 1;
		x.smp[e] = (struct qz_sample){ .sz = sizeof(x.smp[e]) };
		x.ev[e] = (struct qz_event){ .sample = &x.smp[e], .index = e, .tp = tps[e] };
	}
	/* rundelay's shape: wakeup(pid) -> switch-in(next_pid), keyed by pid */
	evs[0] = (struct mt_event_cfg){ .pos = 0,
		.key = qz_tp_event__field(tps[0], "pid") };
	evs[1] = (struct mt_event_cfg){ .pos = 1,
		.key = qz_tp_event__field(tps[1], "next_pid") };
	for (int c = 0; c < r.nr_cpus; c++) {
		r.mem[c] = qz_storage__new_memory(REPLAY_PAGES);
		qsort(r.recs[c], r.nr_recs[c], sizeof(*r.recs[c]), time_cmp);
	}

	printf("recorded %" PRIu64 " sched_wakeup/sched_switch events on %d CPUs (pingpong %s)\n",
	       r.nr_records, r.nr_cpus, rounds);
	for (int rep = 0; rep < reps; rep++) {
		struct mt_config cfg = { .nr_events = 2, .events = evs, .nr_pos = 2,
					 .key_name = "pid", .has_key_field = true };
		QZ_OPTS(qz_ordered_opts, oo, .sample_type = SAMPLE_TYPE);
		struct qz_ordered *ord = qz_ordered__new(&oo);
		double t0;

		for (int c = 0; c < r.nr_cpus; c++)
			qz_ordered__add_ring(ord, qz_storage__ring(r.mem[c]), c);
		/* (1) the whole user-space path: ring, ordered merge, parse, multi-trace */
		x.mt = qz_mt__new(&cfg);
		x.events = 0;
		fill(&r);
		t0 = bench_now();
		qz_ordered__read(ord, QZ_ORDERED_ALL, replay_one, &x);
		full[rep] = (bench_now() - t0) * 1e9 / (double)x.events;
		qz_mt__free(x.mt);
		qz_ordered__free(ord);

		/* (2) multi-trace alone: parse + qz_mt__sample over records in memory */
		x.mt = qz_mt__new(&cfg);
		t0 = bench_now();
		for (int c = 0; c < r.nr_cpus; c++) {
			for (size_t i = 0; i < r.nr_recs[c]; i++) {
				const struct perf_event_header *h = (const void *)r.recs[c][i];
				uint64_t id;
				int e;

				memcpy(&id, h + 1, 8);
				e = id == r.ids[c][0] ? 0 : 1;
				if (qz_sample_layout__parse(x.layout[e], h, &x.smp[e]))
					continue;
				qz_mt__sample(x.mt, &x.ev[e]);
			}
		}
		ns[rep] = (bench_now() - t0) * 1e9 / (double)r.nr_records;
		qz_mt__free(x.mt);
	}
	ns_med = bench_median(ns, reps);
	full_med = bench_median(full, reps);
	printf("multi-trace per event (parse + pairing + histogram): %.1f ns, %.2f M events/s\n",
	       ns_med, 1e3 / ns_med);
	printf("with ring read + ordered merge of %d rings:           %.1f ns, %.2f M events/s\n",
	       r.nr_cpus, full_med, 1e3 / full_med);
	printf("target <= 50 ns per event (perf-prof multi-trace: ~70-80 ns)\n");
	live(rounds, &live_ns, &live_events, &live_lost);
	printf("live: quazar multi-trace over pingpong %s: %.0f events, %.0f lost, %.0f ns CPU per event (collector, whole process)\n",
	       rounds, live_events, live_lost, live_ns);
	printf("{\"events\":%" PRIu64 ",\"reps\":%d,\"multi_trace_ns_per_event\":%.1f,"
	       "\"multi_trace_events_per_sec\":%.0f,\"with_ordered_ring_ns_per_event\":%.1f,"
	       "\"live_events\":%.0f,\"live_lost\":%.0f,\"live_cpu_ns_per_event\":%.0f}\n",
	       r.nr_records, reps, ns_med, 1e9 / ns_med, full_med, live_events, live_lost,
	       live_ns);
	for (int c = 0; c < r.nr_cpus; c++) {
		for (int e = 0; e < 2; e++)
			qz_storage__free(r.live[c][e]);
		qz_storage__free(r.mem[c]);
		for (size_t i = 0; i < r.nr_recs[c]; i++)
			free(r.recs[c][i]);
		free(r.recs[c]);
	}
	qz_sample_layout__free(x.layout[0]);
	qz_sample_layout__free(x.layout[1]);
	qz_tp__free(tp);
	return 0;
}
