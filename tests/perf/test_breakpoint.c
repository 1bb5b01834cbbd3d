// SPDX-License-Identifier: MIT
/*
 * A hardware breakpoint on a variable counts exactly the writes this test
 * makes. Some hosts give VMs breakpoints that open but never count (`perf
 * stat -e mem:ADDR/8:w` reads 0 there too): a probe through the raw
 * syscall, independent of quazar, tells those hosts apart, and only there
 * the test skips.
 */
#include <linux/hw_breakpoint.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <quazar/attr.h>
#include <quazar/cpumap.h>
#include <quazar/evlist.h>
#include <quazar/threadmap.h>
#include "priv.h"

#define WRITES 1000

static volatile long watched, probed;

/* Writes to `probed` a raw breakpoint counts: -1 if none can be opened. */
static long long probe_breakpoints(void)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_BREAKPOINT,
		.bp_type = HW_BREAKPOINT_W,
		.bp_addr = (unsigned long)&probed,
		.bp_len = HW_BREAKPOINT_LEN_8,
		.disabled = 1,
		.exclude_kernel = 1,
		.exclude_hv = 1,
	};
	long long count = -1;
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);

	if (fd < 0)
		return -1;
	ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
	for (int i = 0; i < 100; i++)
		probed = i;
	ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read(fd, &count, sizeof(count)) != sizeof(count))
		count = -1;
	close(fd);
	return count;
}

static void test_breakpoint_count(void)
{
	char text[64];
	QZ_OPTS(qz_evlist_opts, o, .log = test_log);
	struct qz_evlist *el = qz_evlist__new(&o);
	struct perf_event_attr attr = { 0 };
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_tids(&self, 1);
	struct qz_cpu_map *any = qz_cpu_map__new_any();
	QZ_OPTS(qz_counts, c);

	snprintf(text, sizeof(text), "mem:%p/%zu:w", (void *)&watched,
		 sizeof(watched));
	CHECK_EQ(qz_attr__breakpoint_str(&attr, text), 0);
	attr.sample_period = 0;	/* count */
	qz_evlist__add(el, qz_evsel__new(&attr, text));
	qz_evlist__set_maps(el, any, threads);
	qz_thread_map__put(threads);
	qz_cpu_map__put(any);
	CHECK_EQ(qz_evlist__open(el), 0);
	qz_evlist__enable(el);
	for (int i = 0; i < WRITES; i++)
		watched = i;
	for (int i = 0; i < WRITES; i++)
		(void)watched;	/* reads do not count for :w */
	qz_evlist__disable(el);
	CHECK_EQ(qz_evsel__read_total(qz_evlist__evsel(el, 0), &c), 0);
	CHECK_EQ(c.val, WRITES);
	qz_evlist__free(el);
}

int main(void)
{
	int skip = priv_require();
	long long probe;

	if (skip)
		return skip;
	probe = probe_breakpoints();
	if (probe < 0)
		return test_skip("this machine cannot open hardware breakpoints");
	if (probe == 0)
		return test_skip("this host's hardware breakpoints open but count nothing "
				 "(a raw perf_event_open breakpoint read 0 after 100 writes)");
	RUN(test_breakpoint_count);
	return test_result();
}
