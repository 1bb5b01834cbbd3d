// SPDX-License-Identifier: MIT
/*
 * The rdpmc path without a PMU: the seqlock reader over a simulated user
 * page (sign extension, time extrapolation, retries against a concurrent
 * writer), the real kernel's page for a software event (no rdpmc: read()
 * it), and the multiplexing scale. Prints the probe: what spans run here.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include "../../lib/span/span_internal.h"
#include "../test.h"

#define CAP_USER_RDPMC (1ull << 2)
#define CAP_USER_TIME (1ull << 3)

static volatile uint64_t fake_pmc;
static volatile uint64_t fake_tsc;
static unsigned int last_counter;

static uint64_t fake_rdpmc(unsigned int counter)
{
	last_counter = counter;
	return fake_pmc;
}

static uint64_t fake_rdtsc(void)
{
	return fake_tsc;
}

static void test_sign_extend_and_time(void)
{
	static struct perf_event_mmap_page pc;
	struct qz_rdpmc_value v;

	pc.capabilities = CAP_USER_RDPMC | CAP_USER_TIME;
	pc.index = 3;			/* hardware counter 2 */
	pc.pmc_width = 48;
	pc.offset = 1000;
	/* A 48-bit counter at -16: sign-extended, not 2^48 - 16. */
	fake_pmc = 0xfffffffffff0ull;
	pc.time_enabled = 500;
	pc.time_running = 400;
	/* time = offset + cyc * mult >> shift = 7 + 1000 * 3 / 2 */
	fake_tsc = 1000;
	pc.time_mult = 3;
	pc.time_shift = 1;
	pc.time_offset = 7;
	CHECK_EQ(qz__rdpmc_read(&pc, fake_rdpmc, fake_rdtsc, &v), 0);
	CHECK_EQ(last_counter, 2);
	CHECK_EQ(v.count, 1000 - 16);
	CHECK_EQ(v.enabled, 500 + 1507);
	CHECK_EQ(v.running, 400 + 1507);

	/* Off the PMU right now (index 0), or no permission: use read(). */
	pc.index = 0;
	CHECK_EQ(qz__rdpmc_read(&pc, fake_rdpmc, fake_rdtsc, &v), -EAGAIN);
	pc.index = 1;
	pc.capabilities = CAP_USER_TIME;
	CHECK_EQ(qz__rdpmc_read(&pc, fake_rdpmc, fake_rdtsc, &v), -EAGAIN);
}

/*
 * A writer changes offset and the counter together under the lock, as the
 * kernel does when it reprograms a counter: offset + pmc is always 5, and
 * a reader that straddles an update must retry rather than mix them.
 */
static struct perf_event_mmap_page shared_pc;
static volatile bool stop;
static uint64_t updates;

static void *writer(void *arg)
{
	volatile struct perf_event_mmap_page *pc = &shared_pc;

	(void)arg;
	for (uint64_t k = 1; !stop; k++) {
		pc->lock++;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pc->offset = -(int64_t)(k * 1000);
		for (volatile int spin = 0; spin < 200; spin++)
			;
		fake_pmc = k * 1000 + 5;
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		pc->lock++;
		updates = k;
		/* Reads mostly fall between updates, as with the kernel's. */
		for (volatile int spin = 0; spin < 500; spin++)
			;
	}
	return NULL;
}

static void test_seqlock_retries(void)
{
	pthread_t t;
	uint64_t torn = 0, reads = 0;
	struct qz_rdpmc_value v;
	struct timespec t0, t1;

	shared_pc.capabilities = CAP_USER_RDPMC;
	shared_pc.index = 1;
	shared_pc.pmc_width = 64;
	shared_pc.offset = -1000;
	fake_pmc = 1005;
	stop = false;
	pthread_create(&t, NULL, writer, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* 200 ms of reads against the writer, checking the time now and then. */
	for (int i = 0;; i++) {
		if (!(i & 15)) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if ((t1.tv_sec - t0.tv_sec) * 1000000000L +
				    (t1.tv_nsec - t0.tv_nsec) > 200000000L)
				break;
		}
		if (qz__rdpmc_read(&shared_pc, fake_rdpmc, fake_rdtsc, &v))
			continue;
		reads++;
		torn += v.count != 5;
	}
	stop = true;
	pthread_join(t, NULL);
	fprintf(stderr, "  %llu reads across %llu updates, %llu torn\n",
		(unsigned long long)reads, (unsigned long long)updates,
		(unsigned long long)torn);
	CHECK_EQ(torn, 0);
	CHECK(reads > 0);
}

/* The kernel's page for a software event: no rdpmc, so read(). */
static void test_real_software_page(void)
{
	struct perf_event_attr attr = {
		.size = sizeof(attr),
		.type = PERF_TYPE_SOFTWARE,
		.config = PERF_COUNT_SW_TASK_CLOCK,
		.exclude_kernel = 1,
	};
	int fd = (int)syscall(SYS_perf_event_open, &attr, 0, -1, -1, 0);
	struct qz_rdpmc_value v;
	void *page;

	if (fd < 0) {
		fprintf(stderr, "  no perf_event_open here (%s): simulated page only\n",
			strerror(errno));
		return;
	}
	page = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(page != MAP_FAILED);
	if (page != MAP_FAILED) {
		CHECK_EQ(qz__rdpmc_read(page, fake_rdpmc, fake_rdtsc, &v),
			 -EAGAIN);
		munmap(page, 4096);
	}
	close(fd);
}

static void test_multiplex_scale(void)
{
	struct qz_counter_read a = { .enabled = 1000, .running = 1000 };
	struct qz_counter_read b = { .enabled = 3000, .running = 2000 };
	struct qz_span_data d = { 0 };
	uint32_t mask = 1u << QZ_SPAN_CYCLES | 1u << QZ_SPAN_TASK_CLOCK;

	a.v[QZ_SPAN_CYCLES] = 100;
	b.v[QZ_SPAN_CYCLES] = 600;		/* 500 in half the time */
	b.v[QZ_SPAN_TASK_CLOCK] = 10;
	qz__counter_group_delta(&a, &b, mask, &d);
	CHECK(d.flags & QZ_SPAN_F_MULTIPLEXED);
	CHECK_EQ(d.values[QZ_SPAN_CYCLES], 1000);
	CHECK_EQ(d.values[QZ_SPAN_TASK_CLOCK], 20);
	CHECK_EQ(d.counters, mask);
	CHECK_EQ(d.time_enabled_ns, 2000);
	CHECK_EQ(d.time_running_ns, 1000);
	CHECK(!(d.flags & QZ_SPAN_F_RDPMC));

	/* Never on the PMU during the span: no counters, and why. */
	memset(&d, 0, sizeof(d));
	b.running = a.running;
	qz__counter_group_delta(&a, &b, mask, &d);
	CHECK_EQ(d.counters, 0);
	CHECK(d.unavailable != NULL);

	/* Always on: exact, and read with rdpmc at both ends. */
	memset(&d, 0, sizeof(d));
	b.running = b.enabled = 3000;
	a.running = a.enabled = 1000;
	a.rdpmc = b.rdpmc = true;
	qz__counter_group_delta(&a, &b, mask, &d);
	CHECK(!(d.flags & QZ_SPAN_F_MULTIPLEXED));
	CHECK(d.flags & QZ_SPAN_F_RDPMC);
	CHECK_EQ(d.values[QZ_SPAN_CYCLES], 500);
}

/* Say what ran: the probe of this machine's counters. */
static void test_probe(void)
{
	struct qz_span_probe p = { .sz = sizeof(p) };
	int err = qz_span__probe(NULL, &p);

	fprintf(stderr, "  probe: %s, counters %#x, pmu %s, rdpmc %s; %s\n",
		err ? "no counters" : "counters", p.counters,
		p.pmu ? "yes" : "no", p.rdpmc ? "yes" : "no", p.reason);
	fprintf(stderr, "  spans here read with: %s\n", p.read_path);
	CHECK(p.read_path != NULL);
	if (!p.pmu)
		CHECK(!p.rdpmc);
	qz_span__close_thread();
}

int main(void)
{
	RUN(test_sign_extend_and_time);
	RUN(test_seqlock_retries);
	RUN(test_real_software_page);
	RUN(test_multiplex_scale);
	RUN(test_probe);
	return test_result();
}
