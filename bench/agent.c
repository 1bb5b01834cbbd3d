// SPDX-License-Identifier: MIT
/*
 * The agent's costs, in three parts; the last line is one JSON object.
 *
 * 1. Delivery path: 1 KiB reports through what a collector does with each
 *    report (collector.c's deliver: a Kafka sink write keyed by collector,
 *    and a copy of the line kept as the collector's latest, under the agent
 *    lock), from two collector threads at once, to librdkafka's mock broker
 *    in a helper process, until every one is acked. Reports per second and
 *    CPU seconds (this process, librdkafka's threads included) per 10,000.
 *    Each run is done with the default durability (memory) and then with
 *    durability disk (every report appended to the spool before it is
 *    produced, fsync every 100 ms, committed when acked), in turns, so the
 *    ratio of the two is taken in one run on one machine.
 * 2. The real `quazar agent` process: 16 stat collectors at 10 ms (per-CPU
 *    counters, about 1 KiB a report) to a Kafka sink on the mock broker for
 *    a few seconds, then SIGTERM, once per durability. Reports made and
 *    delivered (from the status the agent logs at exit), and its CPU
 *    seconds per 10,000 reports, profilers and perf reads included.
 * 3. The idle default agent: `quazar agent` with the built-in config when
 *    it passes --check here, else an equivalent stat + top config (same
 *    counters; top on the wakeup/switch tracepoints the built-in
 *    multi-trace collector reads), to /dev/null, for 10 s after a second
 *    of warm-up: CPU % of one CPU (utime + stime from /proc/PID/stat) and
 *    VmRSS. Targets: < 1 % and < 20 MB.
 *
 * usage: agent [REPORTS [RUNS]]   (defaults 200000 and 3)
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "sink.h"
#include "bench.h"
#include "../tests/sink/broker_proc.h"

#define REPORT_BYTES 1024
#define WRITERS 2
#define TARGET 100000
#define AGENT_COLLECTORS 16
#define AGENT_SECONDS 5
#define IDLE_SECONDS 10

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= QZ_LOG_WARN)
		fprintf(stderr, "log: %s\n", msg);
}

/* ---- 1. the delivery path, in process ---- */

struct writer {
	struct qz_sink *sink;
	pthread_mutex_t *lock;	/* the agent lock deliver() takes */
	int id;
	long reports;
	int err;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char line[REPORT_BYTES + 1], key[16];
	char *latest = NULL;

	snprintf(key, sizeof(key), "collector-%d", w->id);
	for (long i = 1; i <= w->reports && !w->err; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"ts\":1,\"type\":\"stat\",\"host\":\"bench\",\"collector\":\"%s\","
				 "\"seq\":%ld,\"interval_start\":1,\"interval_end\":2,\"pad\":\"",
				 key, i);
		char *copy;

		memset(line + n, 'x', REPORT_BYTES - 3 - (size_t)n);
		memcpy(line + REPORT_BYTES - 3, "\"}\n", 3);
		/* What deliver() does with each report. */
		w->err = qz_sink__write(w->sink, line, REPORT_BYTES, key);
		copy = strndup(line, REPORT_BYTES - 1);
		pthread_mutex_lock(w->lock);
		free(latest);
		latest = copy;
		pthread_mutex_unlock(w->lock);
	}
	free(latest);
	return NULL;
}

/* Until every report written is acked (durability disk: flush returns
 * once they are spooled). */
static int wait_delivered(struct qz_sink *s, uint64_t n, int timeout_ms)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	double end = bench_now() + timeout_ms / 1000.0;

	do {
		qz_sink__stats(s, &st);
		if (st.delivered >= n)
			return 0;
		usleep(1000);
	} while (bench_now() < end);
	return -ETIMEDOUT;
}

static int sink_run(long reports, bool disk, double *rate, double *cpu10k)
{
	static const char *const props[] = { "linger.ms", "5", NULL };
	struct qz_sink_stats st = { .sz = sizeof(st) };
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	char dir[64], cmd[96];
	struct broker b;
	struct qz_sink *s;
	double t0, c0;
	int err = 0;

	if (broker_start(&b, MOCK_BROKER, "bench", 4))
		return -EIO;
	snprintf(dir, sizeof(dir), "/tmp/qz-bench-agent-%d", getpid());
	QZ_OPTS(qz_sink_kafka_opts, o, .log_fn = on_log, .brokers = b.addr,
		.topic = "bench", .spool_dir = dir, .properties = props,
		.durability_disk = disk);
	s = qz_sink__new_kafka(&o);
	if (!s) {
		broker_stop(&b);
		return -errno;
	}
	qz_sink__write(s, "{\"warmup\":1}", 12, "warmup");
	qz_sink__flush(s, 10000);

	t0 = bench_now();
	c0 = self_cpu();
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .sink = s, .lock = &lock, .id = i,
					.reports = reports / WRITERS };
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		err = err ?: w[i].err;
	}
	if (!err)
		err = qz_sink__flush(s, 60000) ?:
		      wait_delivered(s, (uint64_t)(reports / WRITERS * WRITERS) + 1, 60000);
	*rate = (double)(reports / WRITERS * WRITERS) / (bench_now() - t0);
	*cpu10k = (self_cpu() - c0) / (double)reports * 10000;
	qz_sink__stats(s, &st);
	/* Durability disk spools every one; memory, none (no outage here). */
	if (!err && (st.delivered != (uint64_t)(reports / WRITERS * WRITERS) + 1 ||
		     st.spooled != (disk ? st.delivered : 0)))
		err = -EIO;
	qz_sink__close(s, 5000);
	qz_sink__free(s);
	broker_stop(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		err = err ?: -EIO;
	return err;
}

/* ---- the agent as a process ---- */

struct agent_proc {
	pid_t pid;
	char log[64];		/* its stderr */
};

static int agent_start(struct agent_proc *a, const char *config)
{
	snprintf(a->log, sizeof(a->log), "/tmp/qz-bench-agent-%d.log", getpid());
	a->pid = fork();
	if (a->pid < 0)
		return -errno;
	if (!a->pid) {
		int out = open("/dev/null", O_WRONLY);
		int err = open(a->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);

		dup2(out, 1);
		dup2(err, 2);
		signal(SIGINT, SIG_DFL);
		if (config)
			execl(QUAZAR, QUAZAR, "agent", "-c", config, (char *)NULL);
		else
			execl(QUAZAR, QUAZAR, "agent", (char *)NULL);
		_exit(127);
	}
	return 0;
}

/* utime + stime of a live process, in seconds. */
static double proc_cpu(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f);
	fclose(f);
	p = p ? strrchr(buf, ')') : NULL;	/* comm may hold spaces */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static double proc_rss_mb(pid_t pid)
{
	char path[64], line[256];
	double kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %lf kB", &kb) == 1)
			break;
	fclose(f);
	return kb / 1024;
}

/* SIGTERM, wait; the CPU it used in all; its log's text in buf. */
static int agent_stop(struct agent_proc *a, double *cpu, char *buf, size_t len)
{
	struct rusage ru;
	int status;
	FILE *f;
	size_t n = 0;

	kill(a->pid, SIGTERM);
	if (wait4(a->pid, &status, 0, &ru) < 0)
		return -errno;
	*cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
	f = fopen(a->log, "r");
	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = 0;
	unlink(a->log);
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

static bool wait_log(struct agent_proc *a, const char *needle, double timeout_s)
{
	char buf[16384];
	double end = bench_now() + timeout_s;

	while (bench_now() < end) {
		FILE *f = fopen(a->log, "r");
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

/* ---- 2. the real agent to Kafka ---- */

static int agent_run(bool disk, double *made_per_s, double *cpu10k, unsigned long long *made,
		     unsigned long long *delivered)
{
	static char log[1 << 20];
	char config[64], dir[64], cmd[128];
	struct agent_proc a;
	struct broker b;
	double t0, wall = 0, cpu = 0;
	FILE *f;
	char *p;
	int err;

	if (broker_start(&b, MOCK_BROKER, "bench", 4))
		return -EIO;
	snprintf(config, sizeof(config), "/tmp/qz-bench-agent-%d.yaml", getpid());
	snprintf(dir, sizeof(dir), "/tmp/qz-bench-agent-spool-%d", getpid());
	f = fopen(config, "w");
	if (!f) {
		broker_stop(&b);
		return -errno;
	}
	fprintf(f, "global:\n  http_listen: off\n  http_socket: off\n  spool_dir: %s\n"
		   "sinks:\n  bus:\n    type: kafka\n    brokers: %s\n    topic: bench\n"
		   "    durability: %s\n    properties: {linger.ms: \"5\"}\ncollectors:\n",
		dir, b.addr, disk ? "disk" : "memory");
	for (int i = 0; i < AGENT_COLLECTORS; i++)
		fprintf(f, "  - name: c%02d\n    profiler: stat\n"
			   "    events: [cpu-clock, task-clock, page-faults, context-switches, cpu-migrations]\n"
			   "    options: {perins: true}\n    interval: 10ms\n    sink: bus\n", i);
	fclose(f);
	err = agent_start(&a, config);
	if (!err && !wait_log(&a, "starts: stat every 10 ms", 20))
		err = -ETIMEDOUT;
	t0 = bench_now();
	if (!err) {
		sleep(AGENT_SECONDS);
		wall = bench_now() - t0;
		err = agent_stop(&a, &cpu, log, sizeof(log));
	}
	broker_stop(&b);
	unlink(config);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		err = err ?: -EIO;
	if (err) {
		fprintf(stderr, "the agent failed (%s):\n%s\n", qz_strerror(err), log);
		return err;
	}
	p = strstr(log, "sink 'bus' closed: ");
	if (!p || sscanf(p, "sink 'bus' closed: %llu written, %llu delivered", made,
			 delivered) != 2) {
		fprintf(stderr, "no final sink status in the agent's log:\n%s\n", log);
		return -EIO;
	}
	*made_per_s = (double)*made / wall;
	*cpu10k = cpu / (double)*made * 10000;
	return *made == *delivered ? 0 : -EIO;
}

/* ---- 3. the idle default agent ---- */

static const char equivalent_config[] =
	"global:\n  http_listen: 127.0.0.1:0\n  labels: {source: quazar-default}\n"
	"collectors:\n"
	"  - name: cpu-counters\n    profiler: stat\n"
	"    events: [cpu-clock, task-clock, page-faults, context-switches, cpu-migrations]\n"
	"    options: {perins: true}\n    interval: 1s\n"
	"  - name: sched-latency\n    profiler: top\n"
	"    events: [\"sched:sched_wakeup//key=pid/\", \"sched:sched_switch//key=next_pid/\"]\n"
	"    interval: 1s\n";

static int idle_run(bool builtin, double *cpu_pct, double *rss_mb)
{
	static char log[1 << 16];
	char config[64];
	struct agent_proc a;
	double c0 = -1, c1 = -1, t0, cpu;
	FILE *f;
	int err;

	snprintf(config, sizeof(config), "/tmp/qz-bench-idle-%d.yaml", getpid());
	if (!builtin) {
		f = fopen(config, "w");
		if (!f)
			return -errno;
		fputs(equivalent_config, f);
		fclose(f);
	}
	err = agent_start(&a, builtin ? NULL : config);
	if (!err && !wait_log(&a, "starts:", 20))
		err = -ETIMEDOUT;
	if (!err) {
		sleep(1);
		c0 = proc_cpu(a.pid);
		t0 = bench_now();
		sleep(IDLE_SECONDS);
		c1 = proc_cpu(a.pid);
		*cpu_pct = (c1 - c0) / (bench_now() - t0) * 100;
		*rss_mb = proc_rss_mb(a.pid);
		err = agent_stop(&a, &cpu, log, sizeof(log));
		if (err || c0 < 0 || c1 < 0 || *rss_mb < 0)
			fprintf(stderr, "idle agent:\n%s\n", log);
	}
	if (!builtin)
		unlink(config);
	return err ?: (c0 < 0 || c1 < 0 ? -EIO : 0);
}

static bool builtin_config_runs(void)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "%s agent --check >/dev/null 2>&1", QUAZAR);
	return system(cmd) == 0;
}

int main(int argc, char **argv)
{
	long reports = argc > 1 ? atol(argv[1]) : 200000;
	int runs = argc > 2 ? atoi(argv[2]) : 3;
	double rate[2][16], cpu[2][16], r[2], c[2], a_rate[2] = { 0 }, a_cpu[2] = { 0 };
	double idle_cpu = 0, idle_rss = 0;
	unsigned long long made[2] = { 0 }, delivered[2] = { 0 };
	static const char *const mode[2] = { "memory", "disk" };
	bool builtin;
	int err;

	if (runs < 1 || runs > 16 || reports < WRITERS) {
		fprintf(stderr, "usage: %s [REPORTS [RUNS(1-16)]]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	/* The two durabilities in turns, so both see the same machine. */
	for (int i = 0; i < runs; i++) {
		for (int d = 0; d < 2; d++) {
			err = sink_run(reports, d, &rate[d][i], &cpu[d][i]);
			if (err) {
				fprintf(stderr, "delivery run %d (durability %s) failed: %s\n",
					i + 1, mode[d], qz_strerror(err));
				return 1;
			}
			printf("delivery path run %d, durability %s: %ld reports of %d bytes "
			       "from %d threads: %.0f reports/s, %.3f CPU-s per 10k\n",
			       i + 1, mode[d], reports, REPORT_BYTES, WRITERS, rate[d][i],
			       cpu[d][i]);
		}
	}
	for (int d = 0; d < 2; d++) {
		r[d] = bench_median(rate[d], runs);
		c[d] = bench_median(cpu[d], runs);
		char target[64] = "";

		/* The target is the default's; disk buys safety with some of it. */
		if (!d)
			snprintf(target, sizeof(target), " (target %d: %s)", TARGET,
				 r[d] >= TARGET ? "met" : "NOT met");
		printf("agent delivery path to the mock broker, durability %s: %.0f reports/s "
		       "delivered%s, %.3f CPU-s per 10,000 reports (median of %d)\n",
		       mode[d], r[d], target, c[d], runs);
	}
	printf("durability disk against memory, same run: %.2fx the CPU per report, "
	       "%.2fx the throughput\n", c[1] / c[0], r[1] / r[0]);

	for (int d = 0; d < 2; d++) {
		err = agent_run(d, &a_rate[d], &a_cpu[d], &made[d], &delivered[d]);
		if (err) {
			fprintf(stderr, "agent run (durability %s) failed: %s\n", mode[d],
				qz_strerror(err));
			return 1;
		}
		printf("quazar agent, %d stat collectors at 10 ms to Kafka for %d s, durability "
		       "%s: %llu reports made, %llu delivered, %.0f reports/s, %.3f CPU-s per "
		       "10,000 reports\n", AGENT_COLLECTORS, AGENT_SECONDS, mode[d], made[d],
		       delivered[d], a_rate[d], a_cpu[d]);
	}
	printf("quazar agent, durability disk against memory: %.2fx the CPU per report\n",
	       a_cpu[1] / a_cpu[0]);

	builtin = builtin_config_runs();
	err = idle_run(builtin, &idle_cpu, &idle_rss);
	if (err) {
		fprintf(stderr, "idle run failed: %s\n", qz_strerror(err));
		return 1;
	}
	printf("idle agent (%s) over %d s: %.2f%% of one CPU (target < 1%%: %s), "
	       "RSS %.1f MB (target < 20 MB: %s)\n",
	       builtin ? "built-in config" :
			 "stat+top equivalent of the built-in config: it does not pass --check here",
	       IDLE_SECONDS, idle_cpu, idle_cpu < 1 ? "met" : "NOT met", idle_rss,
	       idle_rss < 20 ? "met" : "NOT met");
	printf("{\"bench\":\"agent\",\"report_bytes\":%d,\"reports_per_s\":%.0f,"
	       "\"cpu_s_per_10k_reports\":%.4f,\"disk_reports_per_s\":%.0f,"
	       "\"disk_cpu_s_per_10k_reports\":%.4f,\"disk_cpu_ratio\":%.3f,"
	       "\"target_reports_per_s\":%d,"
	       "\"agent_process_reports_per_s\":%.0f,\"agent_process_cpu_s_per_10k_reports\":%.4f,"
	       "\"agent_process_disk_cpu_s_per_10k_reports\":%.4f,"
	       "\"idle_config\":\"%s\",\"idle_cpu_pct\":%.3f,\"idle_rss_mb\":%.1f}\n",
	       REPORT_BYTES, r[0], c[0], r[1], c[1], c[1] / c[0], TARGET, a_rate[0], a_cpu[0],
	       a_cpu[1], builtin ? "built-in" : "stat+top equivalent", idle_cpu, idle_rss);
	return 0;
}
