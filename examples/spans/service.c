// SPDX-License-Identifier: MIT
/*
 * A small service that handles requests on a pool of pinned workers and
 * exports a span per request and per handler, with perf counters. Three
 * routes do different work, and the counters tell them apart:
 *
 *	GET /alloc	maps and touches 4 MiB: page faults
 *	GET /sleep	sleeps 2 ms: a context switch, almost no CPU time
 *	GET /compute	spins 1 ms: CPU time, no faults, no switches
 *
 * Spans go out as JSON lines on stdout, or by OTLP/HTTP with --otlp URL;
 * a table of medians per route goes to stderr at the end.
 *
 *	span-service [-n REQUESTS] [-c CPUS] [--otlp URL]
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <quazar/quazar.h>
#include "otlp.h"

enum route { ALLOC, SLEEP, COMPUTE, NR_ROUTES };

static const char *const paths[NR_ROUTES] = { "/alloc", "/sleep", "/compute" };

static void *handle_alloc(void *arg, struct qz_span *span)
{
	size_t len = 4 << 20;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p == MAP_FAILED)
		return (void *)(intptr_t)-errno;
	/* Small pages: one fault per page, as a heap that grows would see. */
	madvise(p, len, MADV_NOHUGEPAGE);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = (char)i;
	munmap(p, len);
	qz_span__set_attr_i64(span, "alloc.bytes", (int64_t)len);
	return NULL;
}

static void *handle_sleep(void *arg, struct qz_span *span)
{
	struct timespec ts = { 0, 2 * 1000 * 1000 };

	(void)arg;
	(void)span;
	nanosleep(&ts, NULL);
	return NULL;
}

static void *handle_compute(void *arg, struct qz_span *span)
{
	struct timespec t0, t;
	volatile uint64_t x = 1;

	(void)arg;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
	do {
		for (int i = 0; i < 1000; i++)
			x = x * 6364136223846793005ull + 1;
		clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	} while ((t.tv_sec - t0.tv_sec) * 1000000000L +
			 (t.tv_nsec - t0.tv_nsec) < 1000000L);
	qz_span__set_attr_i64(span, "compute.result", (int64_t)(x & 0xffff));
	return NULL;
}

static const qz_pool_fn handlers[NR_ROUTES] = {
	handle_alloc, handle_sleep, handle_compute,
};

static void log_line(enum qz_log_level level, const char *msg, void *ctx)
{
	static const char *const names[] = { "error", "warn", "info", "debug" };

	(void)ctx;
	fprintf(stderr, "span-service: %s: %s\n", names[level], msg);
}

#define MAX_REQUESTS 100000

static uint64_t counter[NR_ROUTES][3][MAX_REQUESTS / NR_ROUTES + 1];
static int served[NR_ROUTES];

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static uint64_t median(uint64_t *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	return n ? v[n / 2] : 0;
}

static void record(enum route r, const struct qz_task_result *res)
{
	const struct qz_span_data *d = &res->span;
	int i = served[r]++;

	counter[r][0][i] = d->values[QZ_SPAN_TASK_CLOCK];
	counter[r][1][i] = d->values[QZ_SPAN_PAGE_FAULTS];
	counter[r][2][i] = d->values[QZ_SPAN_CONTEXT_SWITCHES];
}

static void summary(void)
{
	fprintf(stderr, "%-14s %8s %14s %12s %17s\n", "route", "requests",
		"task-clock ns", "page-faults", "context-switches");
	for (int r = 0; r < NR_ROUTES; r++)
		fprintf(stderr, "GET %-10s %8d %14llu %12llu %17llu\n",
			paths[r], served[r],
			(unsigned long long)median(counter[r][0], served[r]),
			(unsigned long long)median(counter[r][1], served[r]),
			(unsigned long long)median(counter[r][2], served[r]));
	fprintf(stderr, "(medians per request, measured on the pinned worker)\n");
}

/*
 * Serve requests in rounds, one per worker at a time: each request span is
 * a root on this thread, its handler's span a child on a worker.
 */
static int serve(struct qz_pool *pool, struct qz_tracer *tracer, int n)
{
	int width = qz_pool__nr_workers(pool), done = 0;

	while (done < n) {
		struct qz_span *req[16];
		struct qz_task *task[16];
		int k = n - done < width ? n - done : width;

		/* One open span per request on this thread: stay well in. */
		if (k > 16)
			k = 16;
		for (int i = 0; i < k; i++) {
			enum route r = (enum route)((done + i) % NR_ROUTES);
			char name[32];
			QZ_OPTS(qz_span_opts, so, .tracer = tracer,
				.kind = QZ_SPAN_KIND_SERVER, .root = true);
			QZ_OPTS(qz_submit_opts, sub, .name = paths[r]);

			snprintf(name, sizeof(name), "GET %s", paths[r]);
			req[i] = qz_span__begin(name, &so);
			qz_span__set_attr(req[i], "http.request.method", "GET");
			qz_span__set_attr(req[i], "http.route", paths[r]);
			sub.parent = &qz_span__data(req[i])->ctx;
			task[i] = qz_pool__submit_opts(pool, handlers[r], NULL,
						       &sub);
			if (!task[i]) {
				fprintf(stderr, "submit: %s\n", strerror(errno));
				return 1;
			}
		}
		for (int i = 0; i < k; i++) {
			static struct qz_task_result res = { .sz = sizeof(res) };
			enum route r = (enum route)((done + i) % NR_ROUTES);

			qz_task__wait(task[i], &res);
			record(r, &res);
			qz_span__set_attr_i64(req[i], "http.response.status_code",
					      res.ret ? 500 : 200);
			qz_span__end(req[i]);
		}
		done += k;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "otlp", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *cpus = NULL, *otlp = NULL;
	int n = 30, c, err;
	QZ_OPTS(qz_output_opts, oo, .file = stdout, .json = true);
	QZ_OPTS(qz_span_exporter_opts, eo, .log = log_line);
	struct qz_span_exporter *exp;
	struct qz_output *out = NULL;
	struct qz_tracer *tracer;
	struct qz_pool *pool;

	while ((c = getopt_long(argc, argv, "n:c:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			n = atoi(optarg);
			break;
		case 'c':
			cpus = optarg;
			break;
		case 'o':
			otlp = optarg;
			break;
		default:
			fprintf(stderr, "usage: %s [-n REQUESTS] [-c CPUS] [--otlp URL]\n",
				argv[0]);
			return 2;
		}
	}
	if (n < 1 || n > MAX_REQUESTS)
		n = 30;
	if (otlp) {
		QZ_OPTS(qz_otlp_opts, o, .endpoint = otlp,
			.service_name = "span-service", .log = log_line);

		exp = qz_otlp_exporter__new(&o, &eo);
	} else {
		out = qz_output__new(&oo);
		exp = out ? qz_span_exporter__new_json(out, &eo) : NULL;
	}
	if (!exp) {
		fprintf(stderr, "exporter: %s\n", strerror(errno));
		return 1;
	}
	QZ_OPTS(qz_tracer_opts, to, .exporter = exp, .log = log_line);
	tracer = qz_tracer__new(&to);
	QZ_OPTS(qz_pool_opts, po, .cpus = cpus, .tracer = tracer,
		.log = log_line);
	pool = qz_pool__new(&po);
	if (!tracer || !pool) {
		fprintf(stderr, "pool: %s\n", strerror(errno));
		return 1;
	}
	err = serve(pool, tracer, n);
	qz_pool__free(pool);
	qz_span_exporter__free(exp);	/* exports what is left */
	qz_tracer__free(tracer);
	if (out) {
		err |= qz_output__flush(out) != 0;
		qz_output__free(out);
	}
	summary();
	return err;
}
