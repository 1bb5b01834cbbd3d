// SPDX-License-Identifier: MIT
/*
 * The same burst of getppid calls traced by quazar trace, quazar top,
 * perf record + perf script, and bpftrace (counting only), in one run.
 * For each: events captured and lost, collector CPU per event, and the
 * extra cost per event to the traced program. Each collector also runs
 * once with no load, and that fixed cost (start-up, reading formats) is
 * subtracted. Medians over REPS runs.
 *
 *	build/bench/trace [N] [REPS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"
#include "proc.h"

#define EVENT "syscalls:sys_enter_getppid"
#define MAX_REPS 9

static const char *quazar = "build/quazar";
static const char *loop_prog = "build/tests/progs/getppid_loop";
static char count_arg[32];

struct result {
	double collector_cpu[MAX_REPS];	/* seconds */
	double loop_cpu[MAX_REPS];	/* traced program's CPU seconds */
	double captured[MAX_REPS];
	double lost[MAX_REPS];
};

/* Count "type":"event" and the sum of "lost" in a JSON-lines file. */
static void count_json(const char *path, double *events, double *lost)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;

	*events = *lost = 0;
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		char *p;

		if (strstr(line, "\"type\":\"event\""))
			(*events)++;
		else if (strstr(line, "\"type\":\"lost\"") && (p = strstr(line, "\"lost\":")))
			*lost += atof(p + 7);
	}
	free(line);
	fclose(f);
}

/* Sum of "count" over the rows of every top record. */
static double count_top(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	double total = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0)
		for (char *p = line; (p = strstr(p, "\"count\":")); p += 8)
			total += atof(p + 8);
	free(line);
	fclose(f);
	return total;
}

static double loop_cpu(void)
{
	char *argv[] = { (char *)loop_prog, count_arg, NULL };

	return run_measured(argv, NULL);
}

/*
 * Start a collector, give it time to open its events, run the load (or,
 * with idle, no load: the collector's fixed cost, which is subtracted so
 * the figures are per event). Returns the collector's captured stdout end.
 */
static const char *with_collector(char *const argv[], const char *out,
				  const char *ready, int stop_sig, struct result *r,
				  int rep, bool idle)
{
	static struct child c;

	if (child_start(&c, argv, ready ? NULL : out)) {
		fprintf(stderr, "cannot start %s\n", argv[0]);
		exit(1);
	}
	if (ready) {
		if (!child_wait_for(&c, ready, 60))
			fprintf(stderr, "%s did not say '%s'\n", argv[0], ready);
	} else {
		usleep(1500000);
	}
	if (idle) {
		usleep(300000);
	} else {
		r->loop_cpu[rep] = loop_cpu();
	}
	usleep(300000);
	child_stop(&c, stop_sig);
	if (idle)
		r->collector_cpu[rep] -= c.cpu_s;
	else
		r->collector_cpu[rep] += c.cpu_s;
	return c.tail;
}

static double med(double *v, int n)
{
	double copy[MAX_REPS];

	memcpy(copy, v, sizeof(double) * (size_t)n);
	return bench_median(copy, n);
}

/*
 * Collector CPU per event, load run minus idle run. bpftrace counts in the
 * traced task's context, so its collector does almost nothing and noise
 * can make the difference negative: that reads as 0.
 */
static double cpu_ns_per_event(struct result *r, int reps, long n)
{
	double ns = med(r->collector_cpu, reps) / (double)n * 1e9;

	return ns > 0 ? ns : 0;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	struct result base = { 0 }, qtrace = { 0 }, qtop = { 0 }, perf = { 0 },
		      bpft = { 0 };
	char tmpdir[] = "/tmp/qz-bench-XXXXXX";
	char trace_out[128], top_out[128], perf_data[128];
	bool have_bpftrace = !system("command -v bpftrace >/dev/null 2>&1");

	if (n <= 0 || reps <= 0 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [N getppid calls > 0] [REPS 1..%d]\n", argv[0],
			MAX_REPS);
		return 2;
	}
	if (getenv("QUAZAR"))
		quazar = getenv("QUAZAR");
	if (getenv("GETPPID_LOOP"))
		loop_prog = getenv("GETPPID_LOOP");
	snprintf(count_arg, sizeof(count_arg), "%ld", n);
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(trace_out, sizeof(trace_out), "%s/trace.json", tmpdir);
	snprintf(top_out, sizeof(top_out), "%s/top.json", tmpdir);
	snprintf(perf_data, sizeof(perf_data), "%s/perf.data", tmpdir);

	for (int rep = 0; rep < reps; rep++) {
		char *trace_argv[] = { (char *)quazar, "trace", "-e", EVENT, "--json",
				       "-o", trace_out, NULL };
		char *top_argv[] = { (char *)quazar, "top", "-e", EVENT, "--json",
				     "-i", "100000", "-o", top_out, NULL };
		char *perf_argv[] = { "perf", "record", "-q", "-e", EVENT, "-a", "-o",
				      perf_data, NULL };
		char *script_argv[] = { "perf", "script", "-i", perf_data, NULL };
		char *bpf_argv[] = { "bpftrace", "-e",
			"tracepoint:syscalls:sys_enter_getppid { @n = count(); }", NULL };
		struct child c;

		base.loop_cpu[rep] = loop_cpu();

		with_collector(trace_argv, NULL, NULL, SIGTERM, &qtrace, rep, true);
		with_collector(trace_argv, NULL, NULL, SIGTERM, &qtrace, rep, false);
		count_json(trace_out, &qtrace.captured[rep], &qtrace.lost[rep]);

		with_collector(top_argv, NULL, NULL, SIGTERM, &qtop, rep, true);
		with_collector(top_argv, NULL, NULL, SIGTERM, &qtop, rep, false);
		qtop.captured[rep] = count_top(top_out);

		with_collector(perf_argv, NULL, NULL, SIGINT, &perf, rep, true);
		with_collector(perf_argv, NULL, NULL, SIGINT, &perf, rep, false);
		if (!child_start(&c, script_argv, NULL)) {
			/* Count the lines perf script prints: one per event. */
			char buf[65536];
			ssize_t got;
			double lines = 0;

			while ((got = read(c.out_fd, buf, sizeof(buf))) > 0)
				for (ssize_t i = 0; i < got; i++)
					lines += buf[i] == '\n';
			child_stop(&c, 0);
			perf.collector_cpu[rep] += c.cpu_s;
			perf.captured[rep] = lines;
		}

		if (have_bpftrace) {
			const char *out;

			with_collector(bpf_argv, NULL, "Attaching", SIGINT, &bpft, rep, true);
			out = with_collector(bpf_argv, NULL, "Attaching", SIGINT, &bpft,
					     rep, false);
			/* bpftrace prints its map at exit: "@n: 2000000". */
			if (strstr(out, "@n: "))
				bpft.captured[rep] = atof(strstr(out, "@n: ") + 4);
		}
	}

	double b = med(base.loop_cpu, reps);
	struct {
		const char *name;
		struct result *r;
	} rows[] = { { "quazar trace --json", &qtrace }, { "quazar top", &qtop },
		     { "perf record + script", &perf }, { "bpftrace count", &bpft } };

	printf("%ld getppid calls, %d runs, medians; traced program alone: %.3f us/call\n",
	       n, reps, b / n * 1e6);
	printf("%-22s %12s %10s %16s %18s\n", "collector", "captured", "lost",
	       "CPU ns/event", "program +ns/event");
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct result *r = rows[i].r;

		if (r == &bpft && !have_bpftrace)
			continue;
		printf("%-22s %12.0f %10.0f %16.1f %18.1f\n", rows[i].name,
		       med(r->captured, reps), med(r->lost, reps),
		       cpu_ns_per_event(r, reps, n),
		       (med(r->loop_cpu, reps) - b) / n * 1e9);
	}
	printf("{\"bench\":\"trace\",\"events\":%ld,\"reps\":%d"
	       ",\"quazar_trace_cpu_ns_per_event\":%.1f,\"perf_cpu_ns_per_event\":%.1f"
	       ",\"cpu_ratio_vs_perf\":%.3f,\"top_ns_per_event\":%.1f"
	       ",\"captured\":%.0f,\"lost\":%.0f"
	       ",\"program_extra_ns_quazar\":%.1f,\"program_extra_ns_perf\":%.1f"
	       ",\"bpftrace_cpu_ns_per_event\":%.1f}\n",
	       n, reps, cpu_ns_per_event(&qtrace, reps, n), cpu_ns_per_event(&perf, reps, n),
	       cpu_ns_per_event(&qtrace, reps, n) / cpu_ns_per_event(&perf, reps, n),
	       cpu_ns_per_event(&qtop, reps, n), med(qtrace.captured, reps),
	       med(qtrace.lost, reps), (med(qtrace.loop_cpu, reps) - b) / n * 1e9,
	       (med(perf.loop_cpu, reps) - b) / n * 1e9,
	       have_bpftrace ? cpu_ns_per_event(&bpft, reps, n) : -1.0);
	unlink(trace_out);
	unlink(top_out);
	unlink(perf_data);
	rmdir(tmpdir);
	return 0;
}
