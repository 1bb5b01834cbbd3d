// SPDX-License-Identifier: MIT
/*
 * mmap storage over real kernel events: syscalls:sys_enter_getppid for this
 * process on every CPU, read back through the ordered reader.
 */
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <tracefs.h>
#include <quazar/ring.h>
#include "../test.h"

#define CALLS 20000
#define MAX_CPUS 64
#define SAMPLE_TYPE (PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU)

static long tracepoint_id(const char *sys, const char *name)
{
	char path[256];
	char *file, *text;
	long id = -1;

	snprintf(path, sizeof(path), "events/%s/%s/id", sys, name);
	/* tracefs_tracing_dir() mounts tracefs if it is missing. */
	if (!tracefs_tracing_dir())
		return -1;
	file = tracefs_get_tracing_file(path);
	text = file ? tracefs_instance_file_read(NULL, path, NULL) : NULL;
	if (text)
		id = strtol(text, NULL, 10);
	free(text);
	tracefs_put_tracing_file(file);
	return id;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static struct perf_event_attr getppid_attr(long id)
{
	return (struct perf_event_attr){
		.type = PERF_TYPE_TRACEPOINT,
		.config = (uint64_t)id,
		.sample_period = 1,
		.sample_type = SAMPLE_TYPE,
	};
}

struct check {
	uint64_t n, last_time, disorder, foreign;
	pid_t pid;
};

static void on_record(const struct perf_event_header *rec, int cpu, void *ctx)
{
	struct check *c = ctx;
	const uint32_t *tid = (const void *)(rec + 1);
	uint64_t time;
	uint32_t rec_cpu;

	if (rec->type != PERF_RECORD_SAMPLE)
		return;
	memcpy(&time, (const uint8_t *)(rec + 1) + 8, 8);
	memcpy(&rec_cpu, (const uint8_t *)(rec + 1) + 16, 4);
	c->disorder += time < c->last_time || (int)rec_cpu != cpu;
	c->foreign += (pid_t)tid[0] != c->pid;
	c->last_time = time;
	c->n++;
}

static void test_exact_count(long id, int ncpus)
{
	struct perf_event_attr attr = getppid_attr(id);
	QZ_OPTS(qz_ordered_opts, oopts, .sample_type = SAMPLE_TYPE);
	struct qz_ordered *o = qz_ordered__new(&oopts);
	struct qz_storage *s[MAX_CPUS] = { 0 };
	struct check c = { .pid = getpid() };

	for (int cpu = 0; cpu < ncpus; cpu++) {
		QZ_OPTS(qz_mmap_opts, opts, .attr = &attr, .cpu = cpu,
			.pid = getpid(), .data_pages = 64,
			.watermark_bytes = 64 * 1024);
		s[cpu] = qz_storage__new_mmap(&opts);
		if (!s[cpu]) {
			fprintf(stderr, "open cpu %d: %s\n", cpu, qz_strerror(-errno));
			CHECK(0);
			goto out;
		}
		qz_ordered__add_ring(o, qz_storage__ring(s[cpu]), cpu);
	}
	/* Move between CPUs so every ring gets records; drain as we go. */
	for (int i = 0; i < CALLS; i++) {
		if (i % 1000 == 0) {
			pin((i / 1000) % ncpus);
			qz_ordered__read(o, QZ_ORDERED_ALL, on_record, &c);
		}
		syscall(SYS_getppid);
	}
	qz_ordered__read(o, QZ_ORDERED_ALL, on_record, &c);
	CHECK_EQ(c.n, CALLS);
	CHECK_EQ(c.disorder, 0);
	CHECK_EQ(c.foreign, 0);
out:
	for (int cpu = 0; cpu < ncpus; cpu++)
		qz_storage__free(s[cpu]);
	qz_ordered__free(o);
}

static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* No wakeup until watermark bytes are written, one after. */
static void test_watermark(long id)
{
	struct perf_event_attr attr = getppid_attr(id);
	QZ_OPTS(qz_mmap_opts, opts, .attr = &attr, .cpu = 0, .pid = getpid(),
		.data_pages = 8, .watermark_bytes = 4096);
	struct qz_storage *s;
	int calls = 0;

	pin(0);
	s = qz_storage__new_mmap(&opts);
	CHECK(s);
	if (!s)
		return;
	/* Each record is 32 bytes: 127 of them stay below 4096. */
	for (; calls < 100; calls++)
		syscall(SYS_getppid);
	CHECK(!readable(qz_storage__fd(s)));
	CHECK_EQ(qz_storage__ring(s) ? qz_ring__start_read_batch(qz_storage__ring(s)) : -1, 0);
	CHECK_EQ(qz_ring__bytes_remaining(qz_storage__ring(s)), 100 * 32);
	for (; calls < 200; calls++)
		syscall(SYS_getppid);
	CHECK(readable(qz_storage__fd(s)));
	qz_storage__free(s);
}

int main(void)
{
	long ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	long id;

	if (!test_require_root())
		return test_skip("needs root for perf_event_open of tracepoints");
	id = tracepoint_id("syscalls", "sys_enter_getppid");
	if (id < 0)
		return test_skip("no syscalls:sys_enter_getppid tracepoint (CONFIG_FTRACE_SYSCALLS)");
	if (ncpus > MAX_CPUS)
		ncpus = MAX_CPUS;
	RUN_ARGS(test_exact_count, id, (int)ncpus);
	RUN_ARGS(test_watermark, id);
	return test_result();
}
