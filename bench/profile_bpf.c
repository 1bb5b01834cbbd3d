// SPDX-License-Identifier: MIT
/*
 * profile_bpf [SECONDS] [REPS] [QUAZAR]: the CPU a whole-machine profiler costs,
 * with both CPUs busy in 20-frame-deep stacks, sampling at 4999 Hz with
 * stacks for SECONDS (default 10), one after another in the same run:
 *
 *	quazar profile --bpf	counts (pid, stacks) in the kernel, reads once a second
 *	quazar profile --no-bpf	every sample through the ring, symbolized as read
 *	perf record -g -a	every sample written to a file
 *	bpftrace		profile:hz:4999 { @[kstack, ustack] = count(); }
 *
 * Each tool's own CPU (user + system, from wait4) is the figure; the load's
 * loss of throughput against a run without a profiler shows what the
 * sampling costs the sampled programs (mostly the kernel's, in their
 * context). Each tool runs REPS times (default 3), interleaved, and the
 * figures are medians: the machine's other work (each new process there is
 * one more for quazar to symbolize) moves single runs. Targets: --bpf at
 * most 0.25x perf record's CPU and at most bpftrace's. Prints the figures,
 * then one JSON line.
 */
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include "bench.h"
#include "proc.h"

#ifndef QUAZAR
#define QUAZAR "build/quazar"
#endif
#define DEPTH 20
#define NR_LOAD 2

static _Atomic unsigned long *work;	/* shared with the load's processes */

/* The load: DEPTH frames, each a real call, with the work at the bottom. */
__attribute__((noinline)) static void bottom(int slot)
{
	unsigned long x = 0;

	for (int i = 0; i < 100000; i++) {
		x += (unsigned long)i;
		__asm__ volatile("" : "+r"(x));	/* kept, not folded */
	}
	atomic_fetch_add_explicit(&work[slot], 1 + (x & 0), memory_order_relaxed);
}

__attribute__((noinline)) static void frame(int depth, int slot)
{
	if (depth > 1)
		frame(depth - 1, slot);
	else
		bottom(slot);
	__asm__ volatile("" ::: "memory");	/* not a tail call */
}

static pid_t start_load(int slot)
{
	pid_t pid = fork();

	if (pid == 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(slot, &set);
		sched_setaffinity(0, sizeof(set), &set);
		for (;;)
			frame(DEPTH - 2, slot);	/* main and this loop make DEPTH */
	}
	return pid;
}

static unsigned long total_work(void)
{
	unsigned long n = 0;

	for (int i = 0; i < NR_LOAD; i++)
		n += atomic_load(&work[i]);
	return n;
}

struct row {
	const char *name;
	double cpu_s;		/* the tool's own */
	double work_rate;	/* the load's, against the run without a profiler */
	int status;
};

/* Run argv for about `seconds` (ended by sig, or by itself when sig is 0). */
static int measure(struct row *r, char *const argv[], double seconds, int sig, double base)
{
	struct child c;
	unsigned long w0, w1;
	double t0, t1;

	if (child_start(&c, argv, "/dev/null")) {
		fprintf(stderr, "cannot start %s\n", argv[0]);
		return -1;
	}
	sleep(1);	/* its start-up is its own, but not the load's window */
	t0 = bench_now();
	w0 = total_work();
	while (bench_now() - c.started < seconds)
		usleep(20000);
	t1 = bench_now();
	w1 = total_work();
	child_stop(&c, sig);
	r->cpu_s = c.cpu_s;
	r->status = c.status;
	r->work_rate = base > 0 ? (double)(w1 - w0) / (t1 - t0) / base : 0;
	return 0;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	const char *quazar = argc > 3 ? argv[3] : QUAZAR;
	double cpu[4][9], rate[4][9];
	int ok[4] = { 0 };
	char tmp[] = "/tmp/qz-bench-profile-XXXXXX", perf_data[256], bt_out[256];
	char dur[32], bt_prog[256];
	pid_t load[NR_LOAD];
	struct row rows[4] = {
		{ .name = "quazar profile --bpf" },
		{ .name = "quazar profile --no-bpf" },
		{ .name = "perf record -g -a" },
		{ .name = "bpftrace" },
	};
	double base, t0;
	unsigned long w0;
	int nrows = 4;

	if (seconds < 2 || reps < 1 || reps > 9 || !mkdtemp(tmp)) {
		fprintf(stderr, "usage: %s [SECONDS >= 2] [REPS 1..9] [QUAZAR]\n", argv[0]);
		return 2;
	}
	work = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (work == MAP_FAILED)
		return 1;
	for (int i = 0; i < NR_LOAD; i++)
		load[i] = start_load(i);
	snprintf(perf_data, sizeof(perf_data), "%s/perf.data", tmp);
	snprintf(bt_out, sizeof(bt_out), "%s/bpftrace.out", tmp);
	snprintf(dur, sizeof(dur), "%.0f", seconds + 1);
	snprintf(bt_prog, sizeof(bt_prog),
		 "profile:hz:4999 { @[kstack, ustack] = count(); } interval:ms:%.0f { exit(); }",
		 (seconds + 1) * 1000);

	/* The load alone. */
	sleep(1);
	t0 = bench_now();
	w0 = total_work();
	sleep((unsigned)seconds);
	base = (double)(total_work() - w0) / (bench_now() - t0);
	{
		char *bpf[] = { (char *)quazar, "profile", "--bpf", "-F", "4999", "-g", "--json",
				"-i", "1000", NULL };
		char *ring[] = { (char *)quazar, "profile", "--no-bpf", "-F", "4999", "-g", "--json",
				 "-i", "1000", NULL };
		char *perf[] = { "perf", "record", "-q", "-g", "-a", "-F", "4999", "-o", perf_data,
				 "--", "sleep", dur, NULL };
		char *bt[] = { "bpftrace", "-o", bt_out, "-e", bt_prog, NULL };

		for (int r = 0; r < reps; r++) {
			measure(&rows[0], bpf, seconds + 1, SIGINT, base);
			measure(&rows[1], ring, seconds + 1, SIGINT, base);
			measure(&rows[2], perf, seconds + 2, 0, base);
			measure(&rows[3], bt, seconds + 2, 0, base);
			/* A run that failed (a peer refused 4999 Hz after the kernel
			 * lowered perf_event_max_sample_rate) is left out. */
			for (int i = 0; i < 4; i++) {
				if (!WIFEXITED(rows[i].status) || WEXITSTATUS(rows[i].status)) {
					fprintf(stderr, "%s failed (status %d): run left out\n",
						rows[i].name, rows[i].status);
					continue;
				}
				cpu[i][ok[i]] = rows[i].cpu_s;
				rate[i][ok[i]++] = rows[i].work_rate;
			}
		}
		for (int i = 0; i < 4; i++) {
			rows[i].cpu_s = ok[i] ? bench_median(cpu[i], ok[i]) : 0;
			rows[i].work_rate = ok[i] ? bench_median(rate[i], ok[i]) : 0;
			rows[i].status = ok[i] ? 0 : 1;
		}
	}
	for (int i = 0; i < NR_LOAD; i++) {
		kill(load[i], SIGKILL);
		waitpid(load[i], NULL, 0);
	}
	unlink(perf_data);
	unlink(bt_out);
	rmdir(tmp);

	printf("both CPUs busy in %d-frame stacks, sampled at 4999 Hz with stacks for %.0f s; "
	       "medians of %d runs\n", DEPTH, seconds, reps);
	for (int i = 0; i < 4; i++) {
		printf("  %-24s", rows[i].name);
		for (int r = 0; r < ok[i]; r++)
			printf(" %.3f", cpu[i][r]);
		printf(" CPU s (sorted)\n");
	}
	printf("%-26s %10s %12s %14s\n", "profiler", "CPU s", "x perf's", "load's speed");
	for (int i = 0; i < nrows; i++) {
		printf("%-26s %10.3f %12.3f %13.1f%%", rows[i].name, rows[i].cpu_s,
		       rows[2].cpu_s > 0 ? rows[i].cpu_s / rows[2].cpu_s : 0,
		       100 * rows[i].work_rate);
		if (rows[i].status)
			printf("  (every run failed)");
		putchar('\n');
	}
	printf("--bpf vs perf record -g: %.3f (target <= 0.25); vs bpftrace: %.3f (target <= 1)\n",
	       rows[0].cpu_s / rows[2].cpu_s, rows[0].cpu_s / rows[3].cpu_s);
	printf("{\"bench\":\"profile_bpf\",\"seconds\":%.0f,\"reps\":%d,\"freq\":4999,\"depth\":%d,"
	       "\"bpf_cpu_s\":%.3f,\"ring_cpu_s\":%.3f,\"perf_cpu_s\":%.3f,\"bpftrace_cpu_s\":%.3f,"
	       "\"bpf_vs_perf\":%.3f,\"bpf_vs_bpftrace\":%.3f,"
	       "\"load_speed\":{\"bpf\":%.3f,\"ring\":%.3f,\"perf\":%.3f,\"bpftrace\":%.3f}}\n",
	       seconds, reps, DEPTH, rows[0].cpu_s, rows[1].cpu_s, rows[2].cpu_s, rows[3].cpu_s,
	       rows[0].cpu_s / rows[2].cpu_s, rows[0].cpu_s / rows[3].cpu_s, rows[0].work_rate,
	       rows[1].work_rate, rows[2].work_rate, rows[3].work_rate);
	return 0;
}
