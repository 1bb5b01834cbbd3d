// SPDX-License-Identifier: MIT
/*
 * The CPU cost per KVM exit of quazar kvm's per-VM statistics, on a guest
 * of this process that exits in a tight loop (`out` to a port), against
 * perf record and bpftrace on the same exits, in one run.
 *
 * Where the host's KVM raises kvm:kvm_exit (Intel VMX, AMD SVM), the port
 * has an ioeventfd: each out is an exit handled in the kernel, one
 * kvm_exit. Where it raises none (kvm_pvm), each out exits to user space
 * and raises one kvm:kvm_userspace_exit. quazar aggregates either in the
 * same (vm, reason) table.
 *
 * Per exit: the collector's own CPU, and what tracing adds to the vCPU
 * threads' CPU (the kernel writing the sample, or running the BPF program,
 * in the guest's thread); their sum is the cost. The guest runs only in
 * each collector's window, so quazar's count can be checked exactly.
 * Medians over REPS.
 *
 *	build/bench/kvm [SECONDS] [REPS]
 *
 * The last line is one JSON object.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include "bench.h"
#include "kvm_guest.h"
#include "proc.h"

#define MAX_REPS 9

static const char *quazar = "build/quazar";

struct run {
	double rate[MAX_REPS];		/* exits/s */
	double own_ns[MAX_REPS];	/* the collector's CPU per exit */
	double guest_ns[MAX_REPS];	/* the vCPU threads' CPU per exit */
	double extra_ns[MAX_REPS];	/* guest_ns over the guest alone around it */
	double total_ns[MAX_REPS];	/* own_ns + extra_ns: the cost per exit */
	double counted[MAX_REPS];	/* exits the collector reported */
	double offered[MAX_REPS];	/* exits while it ran */
	double lost[MAX_REPS];
};

/*
 * Run the paused guest for seconds, with collector pid (0: none) running:
 * the only exits while it runs are the window's.
 */
static void window(struct guest *g, pid_t pid, double seconds, struct run *r, int rep)
{
	uint64_t e0 = guest_exits(g), c0 = guest_cpu_ns(g);
	double p0 = pid ? proc_tasks_cpu_ns(pid) : 0;
	double t0 = bench_now(), n;

	guest_pause(g, false);
	usleep((useconds_t)(seconds * 1e6));
	guest_pause(g, true);
	n = (double)(guest_exits(g) - e0);
	r->offered[rep] = n;
	r->rate[rep] = n / (bench_now() - t0);
	r->guest_ns[rep] = (double)(guest_cpu_ns(g) - c0) / n;
	r->own_ns[rep] = ((pid ? proc_tasks_cpu_ns(pid) : 0) - p0) / n;
}

/* kvm:kvm_exit counted on every CPU over seconds, or -1 when unknown. */
static double count_kvm_exit(double seconds)
{
	struct perf_event_attr attr = { .size = sizeof(attr), .type = PERF_TYPE_TRACEPOINT };
	FILE *f = fopen("/sys/kernel/tracing/events/kvm/kvm_exit/id", "r");
	int fds[256], n = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned long long id;
	double total = 0;

	if (!f || fscanf(f, "%llu", &id) != 1) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	attr.config = id;
	for (long c = 0; c < cpus && n < 256; c++) {
		int fd = (int)syscall(SYS_perf_event_open, &attr, -1, (int)c, -1, 0);

		if (fd >= 0)
			fds[n++] = fd;
	}
	usleep((useconds_t)(seconds * 1e6));
	for (int i = 0; i < n; i++) {
		uint64_t v = 0;

		if (read(fds[i], &v, sizeof(v)) == sizeof(v))
			total += (double)v;
		close(fds[i]);
	}
	return n ? total : -1;
}

/*
 * The out exits quazar reported for pid (reason IO, IO_INSTRUCTION or
 * IOIO: not the kicks that pause the guest), and its lost events.
 */
static void count_quazar(const char *path, pid_t pid, double *counted, double *lost)
{
	static const char *const reasons[] = { "\"reason\":\"IO\",", "\"reason\":\"IO_INSTRUCTION\",",
					       "\"reason\":\"IOIO\"," };
	FILE *f = fopen(path, "r");
	char *line = NULL, needle[48];
	size_t cap = 0;

	*counted = *lost = 0;
	snprintf(needle, sizeof(needle), "{\"pid\":%d,", pid);
	while (f && getline(&line, &cap, f) > 0) {
		char *vm = strstr(line, needle), *end;

		if (strstr(line, "\"type\":\"lost\"") && strstr(line, "\"lost\":"))
			*lost += atof(strstr(line, "\"lost\":") + 7);
		if (!vm)
			continue;
		end = strstr(vm + 1, "{\"pid\":");	/* the next VM's entry */
		for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
			char *r = strstr(vm, reasons[i]), *c;

			if (r && (!end || r < end) && (c = strstr(r, "\"count\":")))
				*counted += atof(c + 8);
		}
	}
	free(line);
	if (f)
		fclose(f);
}

static bool file_has(const char *path, const char *needle, double timeout_s)
{
	double end = bench_now() + timeout_s;

	while (bench_now() < end) {
		FILE *f = fopen(path, "r");
		char buf[4096];
		size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;

		if (f)
			fclose(f);
		buf[n] = 0;
		if (strstr(buf, needle))
			return true;
		usleep(50000);
	}
	return false;
}

static double med(double *v, int n)
{
	double c[MAX_REPS];

	memcpy(c, v, (size_t)n * sizeof(*c));
	return bench_median(c, n);
}

/*
 * The guest alone, measured just before and just after each collector:
 * what the collector adds to the vCPU threads is judged against both, so
 * a machine whose load drifts (other work on these shared VMs) skews it
 * less.
 */
static double alone_ns(struct guest *g, double seconds, struct run *alone, int rep)
{
	struct run r = { 0 };

	window(g, 0, seconds, &r, 0);
	if (!alone->rate[rep])
		alone->rate[rep] = r.rate[0];
	return r.guest_ns[0];
}

static void judge(struct run *r, int rep, double before, double after)
{
	r->extra_ns[rep] = r->guest_ns[rep] - (before + after) / 2;
	r->total_ns[rep] = r->own_ns[rep] + r->extra_ns[rep];
}

static void print_row(const char *name, struct run *r, int reps)
{
	printf("%-22s %12.0f %14.1f %14.1f %14.1f\n", name, med(r->rate, reps), med(r->own_ns, reps),
	       med(r->extra_ns, reps), med(r->total_ns, reps));
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3;
	int reps = argc > 2 ? atoi(argv[2]) : 3;
	char err[256], tmpdir[] = "/tmp/qz-bench-kvm-XXXXXX", qout[128], pdata[128];
	const char *event;
	struct run alone = { 0 }, qz = { 0 }, life = { 0 }, perf = { 0 }, bpft = { 0 };
	bool in_kernel, have_bpftrace = !system("command -v bpftrace >/dev/null 2>&1");
	struct guest *g;
	double probe_exits, kvm_exits;
	char bpf_prog[160];

	if (seconds <= 0 || reps <= 0 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [SECONDS > 0] [REPS 1..%d]\n", argv[0], MAX_REPS);
		return 2;
	}
	if (geteuid() || access("/dev/kvm", R_OK | W_OK)) {
		printf("skipped: needs root and /dev/kvm\n");
		return 77;
	}
	if (getenv("QUAZAR"))
		quazar = getenv("QUAZAR");
	/* Does this host's KVM raise kvm_exit? Count it on in-kernel exits. */
	g = guest_start(1, true, err, sizeof(err));
	if (!g) {
		fprintf(stderr, "guest: %s\n", err);
		return 1;
	}
	usleep(200000);
	probe_exits = (double)guest_exits(g);
	kvm_exits = count_kvm_exit(0.3);
	probe_exits = (double)guest_exits(g) - probe_exits;
	in_kernel = kvm_exits > probe_exits / 2;
	guest_pause(g, true);
	if (!in_kernel) {
		guest_stop(g);
		g = guest_start(2, false, err, sizeof(err));
		if (!g) {
			fprintf(stderr, "guest: %s\n", err);
			return 1;
		}
		guest_pause(g, true);
	}
	event = in_kernel ? "kvm:kvm_exit" : "kvm:kvm_userspace_exit";
	snprintf(bpf_prog, sizeof(bpf_prog), "tracepoint:%s { @[args->%s] = count(); }",
		 event, in_kernel ? "exit_reason" : "reason");
	if (!mkdtemp(tmpdir))
		return 1;
	snprintf(qout, sizeof(qout), "%s/quazar.json", tmpdir);
	snprintf(pdata, sizeof(pdata), "%s/perf.data", tmpdir);

	for (int rep = 0; rep < reps; rep++) {
		char *q_argv[] = { (char *)quazar, "kvm", "--json", "-i", "1000", "-o", qout, NULL };
		char *l_argv[] = { (char *)quazar, "kvm", "--json", "--no-stats", "-i", "1000",
				   "-o", qout, NULL };
		char *p_argv[] = { "perf", "record", "-q", "--no-buildid", "-a", "-e", (char *)event, "-o", pdata, NULL };
		char *b_argv[] = { "bpftrace", "-e", bpf_prog, NULL };
		char needle[64];
		struct child c;

		double base = alone_ns(g, seconds / 2, &alone, rep), next;

		unlink(qout);
		if (child_start(&c, q_argv, "/dev/null"))
			return 1;
		/* Its first lines reach the file once its events are open. */
		snprintf(needle, sizeof(needle), "\"present\",\"pid\":%d,", getpid());
		if (!file_has(qout, needle, 15))
			fprintf(stderr, "quazar kvm did not report the guest present\n");
		usleep(300000);
		window(g, c.pid, seconds, &qz, rep);
		usleep(300000);		/* it reads the last of its rings */
		child_stop(&c, SIGTERM);
		count_quazar(qout, getpid(), &qz.counted[rep], &qz.lost[rep]);
		next = alone_ns(g, seconds / 2, &alone, rep);
		judge(&qz, rep, base, next);
		base = next;

		/* The lifecycle alone: its syscall tracepoints tax every KVM_RUN. */
		unlink(qout);
		if (!child_start(&c, l_argv, "/dev/null")) {
			if (!file_has(qout, needle, 15))
				fprintf(stderr, "quazar kvm --no-stats did not report the guest present\n");
			usleep(300000);
			window(g, c.pid, seconds, &life, rep);
			child_stop(&c, SIGTERM);
			next = alone_ns(g, seconds / 2, &alone, rep);
			judge(&life, rep, base, next);
			base = next;
		}

		if (!child_start(&c, p_argv, "/dev/null")) {
			usleep(1500000);
			window(g, c.pid, seconds, &perf, rep);
			child_stop(&c, SIGINT);
			next = alone_ns(g, seconds / 2, &alone, rep);
			judge(&perf, rep, base, next);
			base = next;
		}
		if (have_bpftrace && !child_start(&c, b_argv, NULL)) {
			if (!child_wait_for(&c, "Attaching", 30))
				fprintf(stderr, "bpftrace did not attach\n");
			usleep(300000);
			window(g, c.pid, seconds, &bpft, rep);
			child_stop(&c, SIGINT);
			next = alone_ns(g, seconds / 2, &alone, rep);
			judge(&bpft, rep, base, next);
		}
	}
	guest_stop(g);
	unlink(qout);
	unlink(pdata);
	rmdir(tmpdir);

	printf("guest: %d vCPU%s, `out` in a loop, exits %s; kvm:kvm_exit raised: %s (%.0f for %.0f exits)\n",
	       in_kernel ? 1 : 2, in_kernel ? "" : "s",
	       in_kernel ? "handled in the kernel (ioeventfd)" : "to user space", in_kernel ? "yes" : "no",
	       kvm_exits, probe_exits);
	printf("%d runs of %.1f s, medians; each exit raises one %s\n", reps, seconds, event);
	printf("%-22s %12s %14s %14s %14s\n", "collector", "exits/s", "own CPU ns/ex",
	       "guest +ns/ex", "total ns/ex");
	printf("%-22s %12.0f %14s %14s %14s\n", "none", med(alone.rate, reps), "-", "-", "-");
	print_row("quazar kvm", &qz, reps);
	print_row("quazar kvm --no-stats", &life, reps);
	print_row("perf record", &perf, reps);
	if (have_bpftrace)
		print_row("bpftrace count", &bpft, reps);
	printf("quazar counted %.0f of the guest's %.0f exits while it ran (%.2f%%); lost %.0f\n",
	       med(qz.counted, reps), med(qz.offered, reps),
	       100 * med(qz.counted, reps) / med(qz.offered, reps), med(qz.lost, reps));
	printf("{\"bench\":\"kvm\",\"mode\":\"%s\",\"event\":\"%s\",\"vcpus\":%d,\"reps\":%d"
	       ",\"seconds\":%.1f,\"exits_per_s\":%.0f,\"exits_per_s_quazar\":%.0f"
	       ",\"quazar_cpu_ns_per_exit\":%.1f,\"quazar_guest_extra_ns_per_exit\":%.1f"
	       ",\"quazar_total_ns_per_exit\":%.1f,\"quazar_no_stats_total_ns_per_exit\":%.1f"
	       ",\"perf_total_ns_per_exit\":%.1f"
	       ",\"bpftrace_total_ns_per_exit\":%.1f,\"ratio_vs_perf\":%.3f"
	       ",\"captured_pct\":%.2f,\"lost\":%.0f}\n",
	       in_kernel ? "kernel" : "user", event, in_kernel ? 1 : 2, reps, seconds,
	       med(alone.rate, reps), med(qz.rate, reps), med(qz.own_ns, reps),
	       med(qz.extra_ns, reps), med(qz.total_ns, reps), med(life.total_ns, reps),
	       med(perf.total_ns, reps), have_bpftrace ? med(bpft.total_ns, reps) : -1.0,
	       med(qz.total_ns, reps) / med(perf.total_ns, reps),
	       100 * med(qz.counted, reps) / med(qz.offered, reps), med(qz.lost, reps));
	return 0;
}
