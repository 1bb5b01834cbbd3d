// SPDX-License-Identifier: MIT
/*
 * CPU profiling with stacks, in one run: both CPUs busy at the bottom of
 * a 20-frame stack (tests/progs/deep), each tool sampling every CPU at
 * 4999 Hz with callchains for SECONDS:
 *
 *	quazar profile --no-bpf -g -F 4999              (analyses as it reads)
 *	quazar profile --bpf -g -F 4999                 (counts in the kernel)
 *	perf record -g -F 4999 -a, then perf script     (writes, then decodes)
 *	bpftrace profile:hz:4999 { @[kstack, ustack] = count(); }
 *
 * For each: its CPU seconds, the samples it got and CPU per sample. The
 * targets: the ring path <= perf record alone (perf script comes on top);
 * --bpf <= 0.25x perf record and <= bpftrace.
 * Then, for IDLE_SECONDS each, the cost of watching beside plain
 * `profile -F 99`, side by side on the same host: `profile --than 30`
 * (on a shared host it fires), `profile --than 100 --sys` (nothing above
 * the threshold), and --than 30 on an empty cgroup (the machinery alone).
 *
 * Medians over REPS runs, the tools taking turns.
 *
 *	build/bench/profile [SECONDS] [IDLE_SECONDS] [REPS]
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "bench.h"
#include "proc.h"

static const char *quazar = "build/quazar";
static const char *deep_prog = "build/tests/progs/deep";

#define MAX_REPS 9

struct tool {
	const char *name;
	double cpu_s, samples;
	double extra_cpu_s;	/* perf script */
	double lost;
	bool ran;
};

/* The median of each figure over the runs that worked. */
static struct tool median(const struct tool *runs, int reps)
{
	double v[4][MAX_REPS];
	struct tool m = runs[0];
	int n = 0;

	for (int i = 0; i < reps; i++) {
		if (!runs[i].ran)
			continue;
		v[0][n] = runs[i].cpu_s;
		v[1][n] = runs[i].samples;
		v[2][n] = runs[i].extra_cpu_s;
		v[3][n++] = runs[i].lost;
	}
	m.ran = n > 0;
	if (!n)
		return m;
	reps = n;
	m.cpu_s = bench_median(v[0], reps);
	m.samples = bench_median(v[1], reps);
	m.extra_cpu_s = bench_median(v[2], reps);
	m.lost = bench_median(v[3], reps);
	return m;
}

/* Sum "samples" of each profile record's "cpus" (idle included). */
static double quazar_samples(const char *path, double *lost)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	double total = 0;

	*lost = 0;
	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *p = strstr(line, "\"cpus\":["), *end;

		if (strstr(line, "\"type\":\"lost\"") && (p = strstr(line, "\"lost\":")))
			*lost += atof(p + 7);
		if (!p || !(end = strchr(p, ']')))
			continue;
		for (char *q = p; (q = strstr(q, "\"samples\":")) && q < end; q += 10)
			total += atof(q + 10);
	}
	free(line);
	fclose(f);
	return total;
}

/* bpftrace prints its map at exit: "@[...]: COUNT" per stack pair. */
static double bpftrace_samples(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	double total = 0;

	if (!f)
		return 0;
	while (getline(&line, &cap, f) > 0) {
		char *p = strstr(line, "]: ");

		if (p)
			total += atof(p + 3);
	}
	free(line);
	fclose(f);
	return total;
}

/* Has pid exited (a zombie waiting for us)? */
static bool exited(pid_t pid)
{
	char path[64], buf[256], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return true;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' && p[2] == 'Z';
}

/*
 * Run argv for seconds, stop it with sig; its CPU seconds. A tool that has
 * not exited 60 s later is killed, and the run counts as failed (-1):
 * bpftrace sometimes hangs in its attach when the machine is loaded.
 */
static double run_for(char *const argv[], const char *out, double seconds, int sig)
{
	struct child c;
	int waited = 0;

	if (child_start(&c, argv, out)) {
		fprintf(stderr, "cannot start %s\n", argv[0]);
		return -1;
	}
	usleep((useconds_t)(seconds * 1e6));
	kill(c.pid, sig);
	while (!exited(c.pid) && waited++ < 600)
		usleep(100000);
	if (!exited(c.pid)) {
		fprintf(stderr, "%s did not stop: killed\n", argv[0]);
		child_stop(&c, SIGKILL);
		return -1;
	}
	child_stop(&c, 0);
	return c.cpu_s;
}

static void busy_cpus(struct child load[2])
{
	for (int cpu = 0; cpu < 2; cpu++) {
		char cpustr[8];
		char *argv[] = { "taskset", "-c", cpustr, (char *)deep_prog, "0", "20", NULL };

		snprintf(cpustr, sizeof(cpustr), "%d", cpu);
		if (child_start(&load[cpu], argv, "/dev/null"))
			exit(1);
	}
}

static void run_quazar(struct tool *t, char *const argv[], const char *out, double seconds)
{
	t->cpu_s = run_for(argv, "/dev/null", seconds, SIGTERM);
	t->samples = quazar_samples(out, &t->lost);
	t->ran = t->cpu_s >= 0;
}

/* One run of each; odd runs start with perf, so neither always goes first. */
static void peers(double seconds, const char *dir, struct tool *q, struct tool *qb,
		  struct tool *perf, struct tool *bpf, bool perf_first)
{
	char qout[256], pdata[256], bout[256], secs[16];
	/* The ring path, analysing as it reads, and counting in the kernel. */
	char *q_argv[] = { (char *)quazar, "profile", "--no-bpf", "-g", "-F", "4999", "-i", "1000",
			   "--json", "-o", qout, NULL };
	char *qb_argv[] = { (char *)quazar, "profile", "--bpf", "-g", "-F", "4999", "-i", "1000",
			    "--json", "-o", qout, NULL };
	char *p_argv[] = { "perf", "record", "-q", "-g", "-F", "4999", "-a", "-o", pdata,
			   NULL };
	char *s_argv[] = { "perf", "script", "-i", pdata, NULL };
	char *b_argv[] = { "bpftrace", "-e",
			   "profile:hz:4999 { @[kstack, ustack] = count(); }", NULL };
	struct child c;

	snprintf(secs, sizeof(secs), "%g", seconds);
	snprintf(qout, sizeof(qout), "%s/quazar.json", dir);
	snprintf(pdata, sizeof(pdata), "%s/perf.data", dir);
	snprintf(bout, sizeof(bout), "%s/bpftrace.txt", dir);

	if (!perf_first) {
		run_quazar(q, q_argv, qout, seconds);
		run_quazar(qb, qb_argv, qout, seconds);
	}
	perf->cpu_s = run_for(p_argv, "/dev/null", seconds, SIGINT);
	perf->ran = perf->cpu_s >= 0;
	if (perf->ran && !child_start(&c, s_argv, NULL)) {
		/* One header line per sample; its frames are indented. */
		char buf[65536];
		ssize_t n;
		bool bol = true;

		while ((n = read(c.out_fd, buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++) {
				if (bol && buf[i] != '\t' && buf[i] != ' ' && buf[i] != '\n')
					perf->samples++;
				bol = buf[i] == '\n';
			}
		child_stop(&c, 0);
		perf->extra_cpu_s = c.cpu_s;
	}
	if (perf_first) {
		run_quazar(qb, qb_argv, qout, seconds);
		run_quazar(q, q_argv, qout, seconds);
	}

	bpf->ran = !system("command -v bpftrace >/dev/null 2>&1");
	if (bpf->ran) {
		bpf->cpu_s = run_for(b_argv, bout, seconds, SIGINT);
		bpf->samples = bpftrace_samples(bout);
		bpf->ran = bpf->cpu_s >= 0;
	}
	unlink(qout);
	unlink(pdata);
	unlink(bout);
}

/* The two watchers side by side, so they see the same host. */
static void idle_cost(double seconds, const char *pct, bool sys, const char *cgroup,
		      double *than, double *plain, int *triggers)
{
	char out[] = "/tmp/qz-bench-idle-XXXXXX";
	char *t_argv[12] = { (char *)quazar, "profile", "--than", (char *)pct, NULL };
	char *p_argv[12] = { (char *)quazar, "profile", "--no-bpf", "-F", "99", "-o", "/dev/null",
			     NULL };
	struct child t, p;
	int fd = mkstemp(out), n = 4, m = 7;
	char line[4096];
	FILE *f;

	if (fd >= 0)
		close(fd);
	if (sys)
		t_argv[n++] = "--sys";
	if (cgroup) {
		t_argv[n++] = "--cgroup";
		t_argv[n++] = (char *)cgroup;
		p_argv[m++] = "--cgroup";
		p_argv[m++] = (char *)cgroup;
	}
	if (child_start(&t, t_argv, out) || child_start(&p, p_argv, "/dev/null"))
		exit(1);
	usleep((useconds_t)(seconds * 1e6));
	child_stop(&t, SIGTERM);
	child_stop(&p, SIGTERM);
	*than = t.cpu_s;
	*plain = p.cpu_s;
	*triggers = 0;
	if ((f = fopen(out, "r"))) {
		while (fgets(line, sizeof(line), f))
			*triggers += strstr(line, "% >= ") != NULL;
		fclose(f);
	}
	unlink(out);
}

/* An empty cgroup v2, for the watchers' fixed cost; NULL if none. */
static char *empty_cgroup(void)
{
	static char path[256];
	char mnt[128] = "", line[512];
	FILE *f = fopen("/proc/mounts", "r");

	while (f && fgets(line, sizeof(line), f)) {
		char dev[128], dir[128], type[32];

		if (sscanf(line, "%127s %127s %31s", dev, dir, type) == 3 &&
		    !strcmp(type, "cgroup2"))
			snprintf(mnt, sizeof(mnt), "%s", dir);
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "%s/qz-bench-%d", mnt, (int)getpid());
	return mnt[0] && !mkdir(path, 0755) ? path : NULL;
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 10, idle = argc > 2 ? atof(argv[2]) : 60;
	int reps = argc > 3 ? atoi(argv[3]) : 3;
	struct tool q = { "quazar profile --no-bpf" }, qb = { "quazar profile --bpf" },
		    perf = { "perf record -g" }, bpf = { "bpftrace profile:hz" };
	struct tool qs[MAX_REPS], qbs[MAX_REPS], perfs[MAX_REPS], bpfs[MAX_REPS];
	double than = 0, plain = 0, than_cg = 0, plain_cg = 0, quiet = 0, plain_q = 0;
	int triggers = 0, triggers_cg = 0, triggers_q = 0;
	char dir[] = "/tmp/qz-bench-profile-XXXXXX";
	struct child load[2];
	char *cg;

	if (seconds <= 0 || idle < 0 || reps < 1 || reps > MAX_REPS) {
		fprintf(stderr, "usage: %s [SECONDS > 0] [IDLE_SECONDS >= 0] [REPS 1..%d]\n",
			argv[0], MAX_REPS);
		return 2;
	}
	if (getenv("QUAZAR"))
		quazar = getenv("QUAZAR");
	if (getenv("DEEP"))
		deep_prog = getenv("DEEP");
	if (!mkdtemp(dir))
		return 1;

	busy_cpus(load);
	for (int i = 0; i < reps; i++) {
		qs[i] = q;
		qbs[i] = qb;
		perfs[i] = perf;
		bpfs[i] = bpf;
		peers(seconds, dir, &qs[i], &qbs[i], &perfs[i], &bpfs[i], i % 2);
	}
	q = median(qs, reps);
	qb = median(qbs, reps);
	perf = median(perfs, reps);
	bpf = median(bpfs, reps);
	child_stop(&load[0], SIGKILL);
	child_stop(&load[1], SIGKILL);
	rmdir(dir);

	printf("both CPUs busy at the bottom of a 20-frame stack; every CPU at 4999 Hz for %g s;"
	       " medians of %d runs\n", seconds, reps);
	printf("%-22s %10s %12s %14s\n", "tool", "CPU s", "samples", "CPU us/sample");
	printf("%-22s %10.3f %12.0f %14.2f\n", q.name, q.cpu_s, q.samples,
	       q.samples ? q.cpu_s / q.samples * 1e6 : 0);
	printf("%-22s %10.3f %12.0f %14.2f\n", qb.name, qb.cpu_s, qb.samples,
	       qb.samples ? qb.cpu_s / qb.samples * 1e6 : 0);
	printf("%-22s %10.3f %12.0f %14.2f\n", perf.name, perf.cpu_s, perf.samples,
	       perf.samples ? perf.cpu_s / perf.samples * 1e6 : 0);
	printf("%-22s %10.3f %12s %14.2f\n", "  + perf script", perf.extra_cpu_s, "",
	       perf.samples ? perf.extra_cpu_s / perf.samples * 1e6 : 0);
	if (bpf.ran)
		printf("%-22s %10.3f %12.0f %14.2f\n", bpf.name, bpf.cpu_s, bpf.samples,
		       bpf.samples ? bpf.cpu_s / bpf.samples * 1e6 : 0);
	printf("quazar / perf record CPU: %.3f; / (perf record + script): %.3f; quazar lost %.0f\n",
	       perf.cpu_s > 0 ? q.cpu_s / perf.cpu_s : 0,
	       perf.cpu_s + perf.extra_cpu_s > 0 ? q.cpu_s / (perf.cpu_s + perf.extra_cpu_s) : 0,
	       q.lost);
	printf("--bpf / perf record CPU: %.3f (target <= 0.25); / bpftrace: %.3f (target <= 1)\n",
	       perf.cpu_s > 0 ? qb.cpu_s / perf.cpu_s : 0,
	       bpf.ran && bpf.cpu_s > 0 ? qb.cpu_s / bpf.cpu_s : 0);

	if (idle > 0) {
		idle_cost(idle, "30", false, NULL, &than, &plain, &triggers);
		/* Nothing above the threshold: what watching costs. */
		idle_cost(idle, "100", true, NULL, &quiet, &plain_q, &triggers_q);
		cg = empty_cgroup();
		if (cg) {
			idle_cost(idle, "30", false, cg, &than_cg, &plain_cg, &triggers_cg);
			rmdir(cg);
		}
		printf("watching for %g s, each beside profile -F 99 (this host is shared: not idle):\n",
		       idle);
		printf("  profile --than 30:        %.3f CPU s (%.2f%% of a CPU), %d triggers;"
		       " -F 99 %.3f CPU s (%.2f%%)\n", than, 100 * than / idle, triggers, plain,
		       100 * plain / idle);
		printf("  profile --than 100 --sys: %.3f CPU s (%.2f%% of a CPU), %d triggers;"
		       " -F 99 %.3f CPU s (%.2f%%)\n", quiet, 100 * quiet / idle, triggers_q,
		       plain_q, 100 * plain_q / idle);
		if (cg)
			printf("  on an empty cgroup: --than 30 %.3f CPU s, -F 99 %.3f CPU s\n",
			       than_cg, plain_cg);
	}
	printf("{\"bench\":\"profile\",\"seconds\":%g,\"reps\":%d,\"freq\":4999"
	       ",\"quazar_cpu_s\":%.3f,\"quazar_samples\":%.0f,\"quazar_lost\":%.0f"
	       ",\"quazar_bpf_cpu_s\":%.3f,\"quazar_bpf_samples\":%.0f"
	       ",\"perf_record_cpu_s\":%.3f,\"perf_script_cpu_s\":%.3f,\"perf_samples\":%.0f"
	       ",\"bpftrace_cpu_s\":%.3f,\"bpftrace_samples\":%.0f"
	       ",\"cpu_ratio_vs_perf_record\":%.3f"
	       ",\"idle_seconds\":%g,\"idle_than_cpu_s\":%.3f,\"idle_plain_cpu_s\":%.3f"
	       ",\"idle_than_triggers\":%d,\"idle_quiet_than_cpu_s\":%.3f"
	       ",\"idle_quiet_plain_cpu_s\":%.3f,\"idle_quiet_triggers\":%d"
	       ",\"idle_cgroup_than_cpu_s\":%.3f,\"idle_cgroup_plain_cpu_s\":%.3f}\n",
	       seconds, reps, q.cpu_s, q.samples, q.lost, qb.cpu_s, qb.samples, perf.cpu_s, perf.extra_cpu_s,
	       perf.samples, bpf.ran ? bpf.cpu_s : -1.0, bpf.ran ? bpf.samples : -1.0,
	       perf.cpu_s > 0 ? q.cpu_s / perf.cpu_s : 0, idle, than, plain, triggers, quiet,
	       plain_q, triggers_q, than_cg, plain_cg);
	return 0;
}
