// SPDX-License-Identifier: MIT
/*
 * multi-trace's user-space cost per event. Real sched_wakeup/sched_switch
 * events are recorded from both CPUs while `pingpong` runs, copied into
 * memory rings, then replayed REPS times through the ordered reader, the
 * sample parse (as a session parses) and multi-trace's per-event path
 * (qz_mt__sample, the same function the live profiler runs): ns per event.
 * Then the same load live: quazar multi-trace over pingpong, its lost
 * events and CPU per event, both for the whole process (start, tracefs,
 * ring setup and exit included) and while pingpong runs (the per-event
 * cost the profiler pays, taken from its tasks' schedstat).
 *
 *	build/bench/relations [ROUNDS] [REPS]
 *	build/bench/relations --ab BASE [ROUNDS] [RUNS]
 *	build/bench/relations --replay FILE [REPS]
 *
 * --ab compares this build with BASE, the build directory of another tree
 * whose bench/relations is built from this same file (bench/relations-ab.sh
 * makes one): the events are recorded once, then RUNS runs alternate the
 * two builds (BASE first, then this one first, so a drift in the machine's
 * load falls on both), each replaying the same events (--replay, in a
 * child) and running its quazar live; it prints the medians and
 * after/before.
 * The file also builds against trees from before sample layouts: there it
 * parses as their sessions did (qz_sample__parse).
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
#define MAX_REPS 31
/*
 * The live runs' ring pages per CPU: pingpong writes ~40 MB/s per CPU here
 * and --order (multi-trace's default) keeps 100 ms unread; 1024 pages lost
 * up to a third of the events while other work loaded the host, and a run
 * that loses events does less work.
 */
#define LIVE_PAGES "2048"

static const char *quazar = "build/quazar";
static const char *pingpong = "build/tests/progs/pingpong";

struct recorded {
	struct qz_storage *live[MAX_CPUS][2];
	struct qz_storage *mem[MAX_CPUS];
	uint64_t ids[MAX_CPUS][2];
	int nr_cpus;
	uint64_t nr_records;
	uint8_t **recs[MAX_CPUS];	/* copies, to refill the memory rings */
	size_t nr_recs[MAX_CPUS], cap_recs[MAX_CPUS];
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

/* Keep a copy of one record of CPU c. */
static int keep(struct recorded *r, int c, const void *rec, size_t size)
{
	if (r->nr_recs[c] == r->cap_recs[c]) {
		size_t cap = r->cap_recs[c] ? r->cap_recs[c] * 2 : 1 << 16;
		uint8_t **recs = realloc(r->recs[c], cap * sizeof(*recs));

		if (!recs)
			return -1;
		r->recs[c] = recs;
		r->cap_recs[c] = cap;
	}
	r->recs[c][r->nr_recs[c]] = malloc(size);
	if (!r->recs[c][r->nr_recs[c]])
		return -1;
	memcpy(r->recs[c][r->nr_recs[c]++], rec, size);
	r->nr_records++;
	return 0;
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
		for (int e = 0; e < 2; e++) {
			struct qz_ring *ring = qz_storage__ring(r->live[c][e]);
			uint8_t buf[QZ_RECORD_MAX];
			int size;

			ioctl(qz_storage__fd(r->live[c][e]), PERF_EVENT_IOC_DISABLE, 0);
			qz_ring__start_read_batch(ring);
			while ((size = qz_ring__read(ring, buf, sizeof(buf))) > 0) {
				if (((struct perf_event_header *)buf)->type != PERF_RECORD_SAMPLE)
					continue;
				if (keep(r, c, buf, (size_t)size))
					return -1;
			}
			qz_ring__finish_read_batch(ring);
		}
	}
	return 0;
}

/*
 * The recording as a file, so another build's bench replays the very same
 * events: "qzrel1", the CPU count, then per CPU its two event ids, its
 * record count and the records.
 */
static const char MAGIC[8] = "qzrel1";

static int save(const struct recorded *r, const char *path)
{
	FILE *f = fopen(path, "w");
	uint32_t n = (uint32_t)r->nr_cpus;

	if (!f)
		return -1;
	fwrite(MAGIC, sizeof(MAGIC), 1, f);
	fwrite(&n, sizeof(n), 1, f);
	for (int c = 0; c < r->nr_cpus; c++) {
		uint64_t nr = r->nr_recs[c];

		fwrite(r->ids[c], sizeof(r->ids[c]), 1, f);
		fwrite(&nr, sizeof(nr), 1, f);
		for (size_t i = 0; i < r->nr_recs[c]; i++)
			fwrite(r->recs[c][i], ((struct perf_event_header *)r->recs[c][i])->size, 1, f);
	}
	return fclose(f) ? -1 : 0;
}

static int load(struct recorded *r, const char *path)
{
	FILE *f = fopen(path, "r");
	char magic[sizeof(MAGIC)];
	uint32_t n;
	int err = -1;

	if (!f)
		return -1;
	if (fread(magic, sizeof(magic), 1, f) != 1 || memcmp(magic, MAGIC, sizeof(MAGIC)) ||
	    fread(&n, sizeof(n), 1, f) != 1 || !n || n > MAX_CPUS)
		goto out;
	r->nr_cpus = (int)n;
	for (int c = 0; c < r->nr_cpus; c++) {
		uint64_t nr;

		if (fread(r->ids[c], sizeof(r->ids[c]), 1, f) != 1 ||
		    fread(&nr, sizeof(nr), 1, f) != 1)
			goto out;
		for (uint64_t i = 0; i < nr; i++) {
			union {
				struct perf_event_header h;
				uint8_t b[QZ_RECORD_MAX];
			} rec;

			if (fread(&rec.h, sizeof(rec.h), 1, f) != 1 || rec.h.size < sizeof(rec.h) ||
			    (rec.h.size & 7) ||
			    fread(rec.b + sizeof(rec.h), rec.h.size - sizeof(rec.h), 1, f) != 1 ||
			    keep(r, c, &rec, rec.h.size))
				goto out;
		}
	}
	err = 0;
out:
	fclose(f);
	return err;
}

static void forget(struct recorded *r)
{
	for (int c = 0; c < r->nr_cpus; c++) {
		for (int e = 0; e < 2; e++)
			qz_storage__free(r->live[c][e]);
		qz_storage__free(r->mem[c]);
		for (size_t i = 0; i < r->nr_recs[c]; i++)
			free(r->recs[c][i]);
		free(r->recs[c]);
	}
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
 * sample, zeroed once, handed on as that event's qz_event. Trees from
 * before layouts (no MT_SAMPLE_FIELDS) parse as their sessions did: the
 * general parse, which zeroes the whole sample each time.
 */
#ifdef MT_SAMPLE_FIELDS
#define HAVE_LAYOUTS 1
#endif

struct replay {
	struct recorded *r;
	struct mt *mt;
	struct qz_sample_format fmt;
#ifdef HAVE_LAYOUTS
	struct qz_sample_layout *layout[2];
#endif
	struct qz_sample smp[2];
	struct qz_event ev[2];
	uint64_t events;
};

static int parse(struct replay *x, int e, const struct perf_event_header *rec)
{
#ifdef HAVE_LAYOUTS
	return qz_sample_layout__parse(x->layout[e], rec, &x->smp[e]);
#else
	return qz_sample__parse(rec, &x->fmt, &x->smp[e]);
#endif
}

static void replay_one(const struct perf_event_header *rec, int ring, void *ctx)
{
	struct replay *x = ctx;
	uint64_t id;
	int idx;

	memcpy(&id, rec + 1, 8);
	idx = id == x->r->ids[ring][0] ? 0 : id == x->r->ids[ring][1] ? 1 : -1;
	if (idx < 0 || parse(x, idx, rec))
		return;
	qz_mt__sample(x->mt, &x->ev[idx]);
	x->events++;
}

/*
 * Replay the recording reps times: (1) the whole user-space path, ring,
 * ordered merge, parse and multi-trace; (2) parse and multi-trace alone
 * over the records in memory. Medians in ns per event.
 */
static int replay(struct recorded *r, int reps, double *full_med, double *mt_med)
{
	struct mt_event_cfg evs[2] = { 0 };
	struct qz_tp *tp = qz_tp__new(NULL);
	struct qz_tp_event *tps[2];
	struct replay x = { .r = r };
	double ns[MAX_REPS], full[MAX_REPS];
	struct perf_event_attr attr = { .sample_type = SAMPLE_TYPE };

	if (!tp)
		return -1;
	tps[0] = qz_tp__event(tp, "sched", "sched_wakeup");
	tps[1] = qz_tp__event(tp, "sched", "sched_switch");
	if (!tps[0] || !tps[1])
		return -1;
	x.fmt = qz_sample_format__from_attr(&attr);
	for (int e = 0; e < 2; e++) {
#ifdef HAVE_LAYOUTS
		x.layout[e] = qz_sample_layout__new(&x.fmt, MT_SAMPLE_FIELDS);
		if (!x.layout[e])
			return -1;
#endif
		x.smp[e] = (struct qz_sample){ .sz = sizeof(x.smp[e]) };
		x.ev[e] = (struct qz_event){ .sample = &x.smp[e], .index = e, .tp = tps[e] };
	}
	/* rundelay's shape: wakeup(pid) -> switch-in(next_pid), keyed by pid */
	evs[0] = (struct mt_event_cfg){ .pos = 0,
		.key = qz_tp_event__field(tps[0], "pid") };
	evs[1] = (struct mt_event_cfg){ .pos = 1,
		.key = qz_tp_event__field(tps[1], "next_pid") };
	for (int c = 0; c < r->nr_cpus; c++) {
		r->mem[c] = qz_storage__new_memory(REPLAY_PAGES);
		if (!r->mem[c])
			return -1;
		qsort(r->recs[c], r->nr_recs[c], sizeof(*r->recs[c]), time_cmp);
	}

	for (int rep = 0; rep < reps; rep++) {
		struct mt_config cfg = { .nr_events = 2, .events = evs, .nr_pos = 2,
					 .key_name = "pid", .has_key_field = true };
		/* As qz_evlist__new_ordered makes the session's reader. */
		QZ_OPTS(qz_ordered_opts, oo, .sample_type = SAMPLE_TYPE, .sample_id_all = true);
		struct qz_ordered *ord = qz_ordered__new(&oo);
		double t0;

		for (int c = 0; c < r->nr_cpus; c++)
			qz_ordered__add_ring(ord, qz_storage__ring(r->mem[c]), c);
		x.mt = qz_mt__new(&cfg);
		x.events = 0;
		fill(r);
		t0 = bench_now();
		qz_ordered__read(ord, QZ_ORDERED_ALL, replay_one, &x);
		full[rep] = (bench_now() - t0) * 1e9 / (double)x.events;
		qz_mt__free(x.mt);
		qz_ordered__free(ord);

		x.mt = qz_mt__new(&cfg);
		t0 = bench_now();
		for (int c = 0; c < r->nr_cpus; c++) {
			for (size_t i = 0; i < r->nr_recs[c]; i++) {
				const struct perf_event_header *h = (const void *)r->recs[c][i];
				uint64_t id;
				int e;

				memcpy(&id, h + 1, 8);
				e = id == r->ids[c][0] ? 0 : 1;
				if (parse(&x, e, h))
					continue;
				qz_mt__sample(x.mt, &x.ev[e]);
			}
		}
		ns[rep] = (bench_now() - t0) * 1e9 / (double)r->nr_records;
		qz_mt__free(x.mt);
	}
	*mt_med = bench_median(ns, reps);
	*full_med = bench_median(full, reps);
#ifdef HAVE_LAYOUTS
	qz_sample_layout__free(x.layout[0]);
	qz_sample_layout__free(x.layout[1]);
#endif
	qz_tp__free(tp);
	return 0;
}

struct live_figures {
	double events, lost;
	double cpu_ns;		/* whole process, per event */
	double run_ns;		/* while pingpong runs and is read, per event */
};

/* A quazar multi-trace live over pingpong: lost events and CPU per event. */
static void live(const char *quazar_path, const char *rounds, struct live_figures *lv)
{
	char *argv[] = { (char *)quazar_path, "multi-trace", "-e", "sched:sched_wakeup//key=pid/",
			 "-e", "sched:sched_switch//key=next_pid/", "-m", LIVE_PAGES, "--json",
			 NULL };
	char out[] = "/tmp/quazar-bench-relations-XXXXXX";
	double run0, run1;
	struct child c;
	FILE *f;
	char line[65536];
	int fd = mkstemp(out);

	*lv = (struct live_figures){ -1, -1, -1, -1 };
	if (fd < 0)
		return;
	close(fd);
	if (child_start(&c, argv, out))
		return;
	usleep(500000);		/* open and ready: start-up stays out of run_ns */
	run0 = proc_tasks_cpu_ns(c.pid);
	run_pingpong(rounds);
	usleep(300000);		/* the drain timer reads what is left */
	run1 = proc_tasks_cpu_ns(c.pid);
	child_stop(&c, SIGTERM);
	f = fopen(out, "r");
	if (!f)
		return;
	lv->lost = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p;

		if (strstr(line, "\"type\":\"multi_trace\"") && (p = strstr(line, "\"events\":")))
			lv->events = atof(p + 9);
		if (strstr(line, "\"type\":\"lost\"") && (p = strstr(line, "\"lost\":")))
			lv->lost += atof(p + 7);
	}
	fclose(f);
	unlink(out);
	if (lv->events > 0) {
		lv->cpu_ns = c.cpu_s * 1e9 / lv->events;
		if (run0 >= 0 && run1 >= run0)
			lv->run_ns = (run1 - run0) / lv->events;
	}
}

/* This build alone: record, replay, live. */
static int main_local(const char *rounds, int reps)
{
	struct recorded r = { 0 };
	struct live_figures lv;
	double mt_med, full_med;

	if (record(&r, rounds)) {
		fprintf(stderr, "relations: cannot record sched events: %s\n", strerror(errno));
		return 1;
	}
	printf("recorded %" PRIu64 " sched_wakeup/sched_switch events on %d CPUs (pingpong %s)\n",
	       r.nr_records, r.nr_cpus, rounds);
	if (replay(&r, reps, &full_med, &mt_med))
		return 1;
	printf("multi-trace per event (parse + pairing + histogram): %.1f ns, %.2f M events/s\n",
	       mt_med, 1e3 / mt_med);
	printf("with ring read + ordered merge of %d rings:           %.1f ns, %.2f M events/s\n",
	       r.nr_cpus, full_med, 1e3 / full_med);
	printf("target <= 50 ns per event (perf-prof multi-trace: ~70-80 ns)\n");
	live(quazar, rounds, &lv);
	printf("live: quazar multi-trace over pingpong %s: %.0f events, %.0f lost, %.0f ns CPU per event while it runs, %.0f ns for the whole process\n",
	       rounds, lv.events, lv.lost, lv.run_ns, lv.cpu_ns);
	printf("{\"events\":%" PRIu64 ",\"reps\":%d,\"multi_trace_ns_per_event\":%.1f,"
	       "\"multi_trace_events_per_sec\":%.0f,\"with_ordered_ring_ns_per_event\":%.1f,"
	       "\"live_events\":%.0f,\"live_lost\":%.0f,\"live_run_cpu_ns_per_event\":%.0f,"
	       "\"live_cpu_ns_per_event\":%.0f}\n",
	       r.nr_records, reps, mt_med, 1e9 / mt_med, full_med, lv.events, lv.lost,
	       lv.run_ns, lv.cpu_ns);
	forget(&r);
	return 0;
}

/* --replay FILE: what --ab runs in each build. */
static int main_replay(const char *path, int reps)
{
	struct recorded r = { 0 };
	double mt_med, full_med;

	if (load(&r, path) || replay(&r, reps, &full_med, &mt_med)) {
		fprintf(stderr, "relations: cannot replay %s\n", path);
		return 1;
	}
	printf("{\"events\":%" PRIu64 ",\"with_ordered_ring_ns_per_event\":%.2f,"
	       "\"multi_trace_ns_per_event\":%.2f}\n", r.nr_records, full_med, mt_med);
	forget(&r);
	return 0;
}

/* One --replay in a child: its two medians. */
static int replay_child(const char *bench, const char *file, double *full, double *mt)
{
	char *argv[] = { (char *)bench, "--replay", (char *)file, "3", NULL };
	struct child c;
	const char *p, *q;

	*full = *mt = -1;
	if (child_start(&c, argv, NULL) || child_stop(&c, 0) || !WIFEXITED(c.status) ||
	    WEXITSTATUS(c.status))
		return -1;
	p = strstr(c.tail, "\"with_ordered_ring_ns_per_event\":");
	q = strstr(c.tail, "\"multi_trace_ns_per_event\":");
	if (!p || !q)
		return -1;
	*full = atof(strchr(p, ':') + 1);
	*mt = atof(strchr(q, ':') + 1);
	return 0;
}

static double ratio(double after, double before)
{
	return before > 0 ? after / before : -1;
}

/* --ab BASE: before (BASE) and after (this build), alternating. */
static int main_ab(const char *base, const char *rounds, int runs)
{
	enum { BEFORE, AFTER };
	char bench[2][4096], quazars[2][4096], file[] = "/tmp/quazar-bench-relations-XXXXXX";
	double full[2][MAX_REPS], mt[2][MAX_REPS], run[2][MAX_REPS], cpu[2][MAX_REPS];
	double med[4][2], lost[2] = { 0 }, events[2] = { 0 };
	struct recorded r = { 0 };
	ssize_t n;
	int fd = mkstemp(file);

	snprintf(bench[BEFORE], sizeof(bench[BEFORE]), "%s/bench/relations", base);
	snprintf(quazars[BEFORE], sizeof(quazars[BEFORE]), "%s/quazar", base);
	n = readlink("/proc/self/exe", bench[AFTER], sizeof(bench[AFTER]) - 1);
	if (n < 0 || fd < 0)
		return 1;
	bench[AFTER][n] = 0;
	snprintf(quazars[AFTER], sizeof(quazars[AFTER]), "%s", quazar);
	close(fd);
	if (access(bench[BEFORE], X_OK) || access(quazars[BEFORE], X_OK)) {
		fprintf(stderr, "relations: %s needs bench/relations and quazar (bench/relations-ab.sh builds them)\n",
			base);
		return 1;
	}
	if (record(&r, rounds) || save(&r, file)) {
		fprintf(stderr, "relations: cannot record sched events: %s\n", strerror(errno));
		return 1;
	}
	printf("recorded %" PRIu64 " sched_wakeup/sched_switch events on %d CPUs (pingpong %s); %d runs each, alternating\n",
	       r.nr_records, r.nr_cpus, rounds, runs);
	forget(&r);
	for (int i = 0; i < runs; i++) {
		/* before, after, then after, before: a drift in the load cancels */
		for (int k = 0; k < 2; k++) {
			int side = i % 2 ? 1 - k : k;

			if (replay_child(bench[side], file, &full[side][i], &mt[side][i])) {
				fprintf(stderr, "relations: %s --replay failed\n", bench[side]);
				unlink(file);
				return 1;
			}
		}
		for (int k = 0; k < 2; k++) {
			int side = i % 2 ? 1 - k : k;
			struct live_figures lv;

			live(quazars[side], rounds, &lv);
			run[side][i] = lv.run_ns;
			cpu[side][i] = lv.cpu_ns;
			lost[side] += lv.lost;
			events[side] += lv.events;
		}
		printf("run %d: replay %.1f / %.1f ns, multi-trace alone %.1f / %.1f ns, live while running %.0f / %.0f ns, whole process %.0f / %.0f ns (before / after)\n",
		       i + 1, full[BEFORE][i], full[AFTER][i], mt[BEFORE][i], mt[AFTER][i],
		       run[BEFORE][i], run[AFTER][i], cpu[BEFORE][i], cpu[AFTER][i]);
		fflush(stdout);
	}
	unlink(file);
	for (int side = 0; side < 2; side++) {
		med[0][side] = bench_median(full[side], runs);
		med[1][side] = bench_median(mt[side], runs);
		med[2][side] = bench_median(run[side], runs);
		med[3][side] = bench_median(cpu[side], runs);
	}
	printf("medians of %d runs, ns per event     before    after   after/before\n", runs);
	printf("replay: ring + merge + parse + mt  %8.1f %8.1f   %.2f\n", med[0][0], med[0][1],
	       ratio(med[0][1], med[0][0]));
	printf("replay: parse + mt alone           %8.1f %8.1f   %.2f\n", med[1][0], med[1][1],
	       ratio(med[1][1], med[1][0]));
	printf("live CPU while pingpong runs       %8.0f %8.0f   %.2f\n", med[2][0], med[2][1],
	       ratio(med[2][1], med[2][0]));
	printf("live CPU, whole process            %8.0f %8.0f   %.2f\n", med[3][0], med[3][1],
	       ratio(med[3][1], med[3][0]));
	printf("live lost events: %.0f of %.0f before, %.0f of %.0f after\n", lost[0],
	       events[0] + lost[0], lost[1], events[1] + lost[1]);
	printf("{\"runs\":%d,\"replay_ns\":[%.1f,%.1f],\"multi_trace_ns\":[%.1f,%.1f],"
	       "\"live_run_ns\":[%.0f,%.0f],\"live_process_ns\":[%.0f,%.0f],"
	       "\"ratio_replay\":%.3f,\"ratio_multi_trace\":%.3f,\"ratio_live_run\":%.3f,"
	       "\"ratio_live_process\":%.3f,\"lost\":[%.0f,%.0f]}\n",
	       runs, med[0][0], med[0][1], med[1][0], med[1][1], med[2][0], med[2][1], med[3][0],
	       med[3][1], ratio(med[0][1], med[0][0]), ratio(med[1][1], med[1][0]),
	       ratio(med[2][1], med[2][0]), ratio(med[3][1], med[3][0]), lost[0], lost[1]);
	return 0;
}

static int reps_arg(const char *arg)
{
	int reps = arg ? atoi(arg) : 7;

	return reps < 1 || reps > MAX_REPS ? 7 : reps;
}

int main(int argc, char **argv)
{
	/* --ab BASE and --replay FILE come before the numbers */
	bool ab = argc > 2 && !strcmp(argv[1], "--ab");
	bool rep = argc > 2 && !strcmp(argv[1], "--replay");
	int num = ab || rep ? 3 : 1;
	const char *rounds = argc > num ? argv[num] : "50000";
	struct qz_tp *tp = geteuid() ? NULL : qz_tp__new(NULL);

	if (!tp) {
		fprintf(stderr, "relations: needs root and tracefs\n");
		return 77;
	}
	qz_tp__free(tp);
	if (rep)
		return main_replay(argv[2], reps_arg(argc > 3 ? argv[3] : NULL));
	if (ab)
		return main_ab(argv[2], rounds, reps_arg(argc > num + 1 ? argv[num + 1] : NULL));
	return main_local(rounds, reps_arg(argc > num + 1 ? argv[num + 1] : NULL));
}
