// SPDX-License-Identifier: MIT
/*
 * The cost of a span: begin+end with the four software counters, against
 * the floor of two bare read()s of the same group, in the same run; the
 * same with the exporter hand-off; the pool's submit-to-start latency; and
 * a counting allocator that must see no allocation per span. These VMs are
 * shared and their load moves, so the floor and the spans are timed in
 * short interleaved blocks, and the ratio is taken block by block: each
 * figure is a median over blocks, then over REPS runs. The last line is
 * one JSON object.
 */
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <linux/perf_event.h>
#include <quazar/quazar.h>
#include "bench.h"

#define REPS 9
#define BLOCKS 300		/* per rep: short blocks, interleaved */
#define N 200			/* spans per block; reads: 2N */
#define POOL_TASKS 4000
#define SEED_NS 33500.0		/* opentelemetry-perf's annotated span */

/*
 * The counting allocator: every allocation of the process, any thread,
 * while counting is on. Not under AddressSanitizer, which owns malloc.
 */
#if defined(__SANITIZE_ADDRESS__)
#define COUNTING 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define COUNTING 0
#endif
#endif
#ifndef COUNTING
#define COUNTING 1
#endif

static uint64_t allocs;
static int counting;

#if COUNTING
void *__libc_malloc(size_t size);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t size);
void *__libc_memalign(size_t align, size_t size);

static void count(void)
{
	if (__atomic_load_n(&counting, __ATOMIC_RELAXED))
		__atomic_add_fetch(&allocs, 1, __ATOMIC_RELAXED);
}

void *malloc(size_t size)
{
	count();
	return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
	count();
	return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
	count();
	return __libc_realloc(p, size);
}

int posix_memalign(void **p, size_t align, size_t size)
{
	count();
	*p = __libc_memalign(align, size);
	return *p ? 0 : ENOMEM;
}

void *aligned_alloc(size_t align, size_t size)
{
	count();
	return __libc_memalign(align, size);
}
#endif

static void count_from(void)
{
	__atomic_store_n(&allocs, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&counting, 1, __ATOMIC_RELAXED);
}

static uint64_t count_to(void)
{
	__atomic_store_n(&counting, 0, __ATOMIC_RELAXED);
	return __atomic_load_n(&allocs, __ATOMIC_RELAXED);
}

/* The floor: the same group as a span's, opened by hand. */
static int open_group(int *fds)
{
	static const uint64_t cfg[] = {
		PERF_COUNT_SW_TASK_CLOCK, PERF_COUNT_SW_PAGE_FAULTS,
		PERF_COUNT_SW_CONTEXT_SWITCHES, PERF_COUNT_SW_CPU_MIGRATIONS,
	};

	for (int i = 0; i < 4; i++) {
		struct perf_event_attr a = {
			.size = sizeof(a),
			.type = PERF_TYPE_SOFTWARE,
			.config = cfg[i],
			.read_format = PERF_FORMAT_GROUP |
				       PERF_FORMAT_TOTAL_TIME_ENABLED |
				       PERF_FORMAT_TOTAL_TIME_RUNNING,
			.exclude_hv = 1,
			.disabled = !i,
		};

		fds[i] = (int)syscall(SYS_perf_event_open, &a, 0, -1,
				      i ? fds[0] : -1, 0);
		if (fds[i] < 0)
			return -errno;
	}
	return ioctl(fds[0], PERF_EVENT_IOC_ENABLE, PERF_IOC_FLAG_GROUP);
}

static double read_ns(int fd)
{
	uint64_t buf[8];
	double t0 = bench_now();

	for (int i = 0; i < 2 * N; i++)
		if (read(fd, buf, sizeof(buf)) <= 0)
			abort();
	return (bench_now() - t0) / (2 * N) * 1e9;
}

static double span_ns(struct qz_tracer *t, uint64_t *nallocs)
{
	QZ_OPTS(qz_span_opts, so, .tracer = t);
	double t0;

	count_from();
	t0 = bench_now();
	for (int i = 0; i < N; i++)
		qz_span__end(qz_span__begin("bench", &so));
	t0 = bench_now() - t0;
	*nallocs += count_to();
	return t0 / N * 1e9;
}

static int discard(const struct qz_span_data *const *spans, size_t n,
		   uint64_t deadline, void *ctx)
{
	(void)spans;
	(void)deadline;
	*(uint64_t *)ctx += n;
	return 0;
}

static void *nothing(void *arg, struct qz_span *span)
{
	(void)span;
	return arg;
}

/* Submit-to-start of POOL_TASKS tasks, one in flight at a time. */
static void pool_latency(unsigned int spin_us, struct qz_hist *h,
			 uint64_t *nallocs, double *round_trip_ns)
{
	QZ_OPTS(qz_pool_opts, po, .cpus = "0", .spin_us = spin_us);
	struct qz_pool *pool = qz_pool__new(&po);
	static struct qz_task_result r = { .sz = sizeof(r) };
	double t0;

	if (!pool)
		return;
	for (int i = 0; i < 100; i++)	/* warm up */
		qz_task__wait(qz_pool__submit(pool, nothing, NULL), &r);
	count_from();
	t0 = bench_now();
	for (int i = 0; i < POOL_TASKS; i++) {
		qz_task__wait(qz_pool__submit(pool, nothing, NULL), &r);
		qz_hist__record(h, r.queue_ns);
	}
	*round_trip_ns = (bench_now() - t0) / POOL_TASKS * 1e9;
	*nallocs += count_to();
	qz_pool__free(pool);
}

static const char *num(uint64_t v, char *buf)
{
	sprintf(buf, "%llu", (unsigned long long)v);
	return buf;
}

int main(void)
{
	char a[24], b[24];
	double rd[REPS], sp[REPS], ex[REPS], off[REPS], rat[REPS];
	double floor_ns, ratio;
	double read1, span1, export1, off1, rt0 = 0, rt50 = 0;
	uint64_t span_allocs = 0, export_allocs = 0, pool_allocs = 0;
	uint64_t exported = 0;
	QZ_OPTS(qz_tracer_opts, to, .counters = QZ_SPAN_COUNTERS_SW);
	QZ_OPTS(qz_tracer_opts, tn, .no_counters = true);
	QZ_OPTS(qz_span_exporter_opts, eo, .export = discard, .ctx = &exported,
		.capacity = 16384, .batch_size = 512);
	struct qz_span_exporter *exp = qz_span_exporter__new(&eo);
	struct qz_tracer *sw, *with_export, *none;
	static struct qz_hist h0, h50;
	struct qz_span_probe probe = { .sz = sizeof(probe) };
	int fds[4];

	sw = qz_tracer__new(&to);
	to.exporter = exp;
	with_export = qz_tracer__new(&to);
	none = qz_tracer__new(&tn);
	if (qz_span__probe(sw, &probe) || open_group(fds)) {
		fprintf(stderr, "span bench: no perf counters: %s\n",
			probe.reason);
		return 1;
	}
	printf("span counters %#x, read with %s (%s)\n", probe.counters,
	       probe.read_path, probe.reason);
	/* Warm up: the thread's group, caches, the exporter's thread. */
	span_ns(sw, &span_allocs);
	span_ns(with_export, &export_allocs);
	span_ns(none, &span_allocs);
	span_allocs = export_allocs = 0;
	for (int rep = 0; rep < REPS; rep++) {
		static double brd[BLOCKS], bsp[BLOCKS], bex[BLOCKS];
		static double boff[BLOCKS], brat[BLOCKS];

		for (int b = 0; b < BLOCKS; b++) {
			brd[b] = read_ns(fds[0]);
			bsp[b] = span_ns(sw, &span_allocs);
			bex[b] = span_ns(with_export, &export_allocs);
			boff[b] = span_ns(none, &span_allocs);
			brat[b] = bsp[b] / (2 * brd[b]);
		}
		qz_span_exporter__flush(exp, 10000);
		rd[rep] = bench_median(brd, BLOCKS);
		sp[rep] = bench_median(bsp, BLOCKS);
		ex[rep] = bench_median(bex, BLOCKS);
		off[rep] = bench_median(boff, BLOCKS);
		rat[rep] = bench_median(brat, BLOCKS);
	}
	read1 = bench_median(rd, REPS);
	span1 = bench_median(sp, REPS);
	export1 = bench_median(ex, REPS);
	off1 = bench_median(off, REPS);
	ratio = bench_median(rat, REPS);
	floor_ns = 2 * read1;
	QZ_HIST_INIT(&h0);
	QZ_HIST_INIT(&h50);
	/*
	 * The submitter on CPU 1, the worker on CPU 0: a spinning worker
	 * must not take the CPU its submitter needs.
	 */
	if (sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(1, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}

	pool_latency(0, &h0, &pool_allocs, &rt0);
	pool_latency(50, &h50, &pool_allocs, &rt50);

	printf("read() of the 4-counter group: %.0f ns; floor per span (2 reads): %.0f ns\n",
	       read1, floor_ns);
	printf("span begin+end, 4 software counters: %.0f ns = %.2fx the floor (block by block), %.3fx the seed's %.0f ns\n",
	       span1, ratio, span1 / SEED_NS, SEED_NS);
	printf("  with the exporter hand-off: %.0f ns (%.2fx the floor); without counters: %.0f ns\n",
	       export1, export1 / floor_ns, off1);
	printf("  targets: <= 2500 ns %s, <= 1.4x the floor %s\n",
	       span1 <= 2500 ? "met" : "MISSED", ratio <= 1.4 ? "met" : "MISSED");
	printf("pool submit-to-start, %d tasks from CPU 1 to a worker on CPU 0: p50 %llu ns, p99 %llu ns (round trip %.0f ns)\n",
	       POOL_TASKS, (unsigned long long)qz_hist__quantile(&h0, 0.5),
	       (unsigned long long)qz_hist__quantile(&h0, 0.99), rt0);
	printf("  with spin_us=50: p50 %llu ns, p99 %llu ns (round trip %.0f ns)\n",
	       (unsigned long long)qz_hist__quantile(&h50, 0.5),
	       (unsigned long long)qz_hist__quantile(&h50, 0.99), rt50);
	if (COUNTING)
		printf("allocations: %llu in %d spans, %llu in %d spans exported, %llu in %d pool tasks\n",
		       (unsigned long long)span_allocs, 2 * REPS * BLOCKS * N,
		       (unsigned long long)export_allocs, REPS * BLOCKS * N,
		       (unsigned long long)pool_allocs, 2 * POOL_TASKS);
	else
		printf("allocations: not counted under AddressSanitizer\n");
	printf("{\"bench\":\"span\",\"reps\":%d,\"read_path\":\"%s\",\"read_ns\":%.0f,\"floor_ns\":%.0f,\"span_ns\":%.0f,\"floor_ratio\":%.3f,\"seed_ratio\":%.4f,\"span_export_ns\":%.0f,\"span_nocounters_ns\":%.0f,\"pool_p50_ns\":%llu,\"pool_p99_ns\":%llu,\"pool_spin_p50_ns\":%llu,\"pool_spin_p99_ns\":%llu,\"span_allocs\":%s,\"pool_allocs\":%s}\n",
	       REPS, probe.read_path, read1, floor_ns, span1, ratio,
	       span1 / SEED_NS, export1, off1,
	       (unsigned long long)qz_hist__quantile(&h0, 0.5),
	       (unsigned long long)qz_hist__quantile(&h0, 0.99),
	       (unsigned long long)qz_hist__quantile(&h50, 0.5),
	       (unsigned long long)qz_hist__quantile(&h50, 0.99),
	       COUNTING ? num(span_allocs + export_allocs, a) : "null",
	       COUNTING ? num(pool_allocs, b) : "null");
	qz_tracer__free(sw);
	qz_tracer__free(with_export);
	qz_tracer__free(none);
	qz_span_exporter__free(exp);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	return span_allocs || export_allocs || pool_allocs ? 1 : 0;
}
