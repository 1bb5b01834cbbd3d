// SPDX-License-Identifier: MIT
/*
 * Span counters on the real kernel: a loop that touches 1,000 new pages,
 * a nanosleep, a span whose thread moves CPU, and a thread's group that is
 * opened on its first span and closed when it exits.
 */
#include <errno.h>
#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <time.h>
#include <quazar/quazar.h>
#include "../test.h"

#define PAGES 1000

static struct qz_tracer *tracer;

static void test_page_faults(void)
{
	size_t len = PAGES * 4096;
	struct qz_span_data d = { .sz = sizeof(d) };
	struct qz_span *s;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED);
	/* One fault per page: no transparent huge page may cover several. */
	madvise(p, len, MADV_NOHUGEPAGE);
	s = qz_span__begin("touch", NULL);
	for (size_t i = 0; i < len; i += 4096)
		p[i] = 1;
	CHECK_EQ(qz_span__end_copy(s, &d), 0);
	munmap(p, len);
	fprintf(stderr, "  %d pages: %llu page faults, %llu ns task-clock\n",
		PAGES, (unsigned long long)d.values[QZ_SPAN_PAGE_FAULTS],
		(unsigned long long)d.values[QZ_SPAN_TASK_CLOCK]);
	CHECK(d.counters & (1u << QZ_SPAN_PAGE_FAULTS));
	CHECK(d.values[QZ_SPAN_PAGE_FAULTS] >= PAGES);
	CHECK(d.values[QZ_SPAN_TASK_CLOCK] > 0);
	CHECK(d.unavailable == NULL);
	/* Where a PMU exists, the hardware counters count the loop too. */
	if (d.counters & QZ_SPAN_COUNTERS_HW) {
		fprintf(stderr, "  %llu cycles, %llu instructions\n",
			(unsigned long long)d.values[QZ_SPAN_CYCLES],
			(unsigned long long)d.values[QZ_SPAN_INSTRUCTIONS]);
		CHECK(d.values[QZ_SPAN_CYCLES] > 0);
		CHECK(d.values[QZ_SPAN_INSTRUCTIONS] >= PAGES);
	}
}

static void test_nanosleep(void)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	struct qz_span_data d = { .sz = sizeof(d) };
	struct qz_span *s = qz_span__begin("sleep", NULL);

	nanosleep(&ts, NULL);
	CHECK_EQ(qz_span__end_copy(s, &d), 0);
	fprintf(stderr, "  20 ms sleep: %llu context switches, %llu ns task-clock of %llu ns\n",
		(unsigned long long)d.values[QZ_SPAN_CONTEXT_SWITCHES],
		(unsigned long long)d.values[QZ_SPAN_TASK_CLOCK],
		(unsigned long long)(d.end_ns - d.start_ns));
	CHECK(d.values[QZ_SPAN_CONTEXT_SWITCHES] >= 1);
	/* Asleep, not on the CPU: a small part of the 20 ms. */
	CHECK(d.values[QZ_SPAN_TASK_CLOCK] < 2 * 1000 * 1000);
	CHECK(d.end_ns - d.start_ns >= 20 * 1000 * 1000);
	CHECK(!(d.flags & QZ_SPAN_F_MULTIPLEXED));
}

/* Moving the thread to another CPU inside a span marks it migrated. */
static void test_migrated(void)
{
	cpu_set_t set, old;
	struct qz_span_data d = { .sz = sizeof(d) };
	struct qz_span *s;
	int cpu;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "  one CPU: nothing to migrate to\n");
		return;
	}
	sched_getaffinity(0, sizeof(old), &old);
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
	s = qz_span__begin("move", NULL);
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	sched_setaffinity(0, sizeof(set), &set);
	cpu = sched_getcpu();
	CHECK_EQ(qz_span__end_copy(s, &d), 0);
	sched_setaffinity(0, sizeof(old), &old);
	fprintf(stderr, "  CPU %d -> %d: %llu migrations\n", d.cpu_start,
		d.cpu_end, (unsigned long long)d.values[QZ_SPAN_CPU_MIGRATIONS]);
	CHECK_EQ(cpu, 1);
	CHECK_EQ(d.cpu_start, 0);
	CHECK_EQ(d.cpu_end, 1);
	CHECK(d.flags & QZ_SPAN_F_MIGRATED);
	CHECK(d.values[QZ_SPAN_CPU_MIGRATIONS] >= 1);
	/* And a span that stays put is not. */
	CHECK_EQ(qz_span__end_copy(qz_span__begin("still", NULL), &d), 0);
	CHECK(!(d.flags & QZ_SPAN_F_MIGRATED) || d.cpu_start != d.cpu_end);
}

/* perf fds of this process: anon_inode:[perf_event] links in /proc/self/fd. */
static int perf_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *e;
	char path[300], link[64];
	int n = 0;

	while (dir && (e = readdir(dir))) {
		ssize_t len;

		snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		n += !strcmp(link, "anon_inode:[perf_event]");
	}
	if (dir)
		closedir(dir);
	return n;
}

static void *thread_spans(void *arg)
{
	int *opened = arg;

	*opened = perf_fds();		/* before: nothing for this thread */
	qz_span__end(qz_span__begin("first", NULL));
	*opened = perf_fds() - *opened;
	return NULL;
}

static void test_group_lifetime(void)
{
	int before = perf_fds(), opened = 0;
	pthread_t t;

	pthread_create(&t, NULL, thread_spans, &opened);
	pthread_join(t, NULL);
	fprintf(stderr, "  a thread's first span opened %d perf fds\n", opened);
	/* The four software counters at least, one group. */
	CHECK(opened >= 4);
	CHECK_EQ(perf_fds(), before);
}

int main(void)
{
	struct qz_span_probe p = { .sz = sizeof(p) };

	tracer = qz_tracer__new(NULL);
	qz_tracer__set_default(tracer);
	if (qz_span__probe(tracer, &p))
		return test_skip(p.reason);
	RUN(test_page_faults);
	RUN(test_nanosleep);
	RUN(test_migrated);
	RUN(test_group_lifetime);
	qz_span__close_thread();
	qz_tracer__free(tracer);
	return test_result();
}
