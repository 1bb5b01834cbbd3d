// SPDX-License-Identifier: MIT
/*
 * The Kafka sink's throughput: 1 KiB JSON reports written as fast as the
 * sink takes them, to librdkafka's mock broker in a helper process, until
 * every one is delivery-reported. Prints reports per second and the CPU
 * seconds (user + system, librdkafka's threads included; the broker's not)
 * per 10,000 reports, medians of several runs; the last line is JSON.
 *
 * usage: agent_sink [REPORTS [RUNS [MOCK_BROKER]]]
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <quazar/sink.h>
#include "bench.h"

#define REPORT_BYTES 1024
#define KEYS 8
#define TARGET 100000

struct broker {
	pid_t pid;
	int cmd;
	char addr[128];
};

static int broker_start(struct broker *b, const char *path)
{
	int in[2], out[2];
	struct pollfd pfd;
	size_t n = 0;

	if (pipe(in) || pipe(out))
		return -errno;
	b->pid = fork();
	if (b->pid < 0)
		return -errno;
	if (!b->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		close(in[1]);
		close(out[0]);
		execl(path, path, "-t", "bench", "-p", "4", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	b->cmd = in[1];
	pfd = (struct pollfd){ .fd = out[0], .events = POLLIN };
	while (n < sizeof(b->addr) - 1 && poll(&pfd, 1, 10000) > 0) {
		if (read(out[0], b->addr + n, 1) != 1 || b->addr[n] == '\n')
			break;
		n++;
	}
	b->addr[n] = 0;
	close(out[0]);
	return n ? 0 : -EIO;
}

static void broker_stop(struct broker *b)
{
	close(b->cmd);
	waitpid(b->pid, NULL, 0);
}

static double cpu_seconds(void)
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

/* One run; fills the rate and CPU cost. 0 or -errno. */
static int run(const char *mock, long reports, double *rate, double *cpu10k)
{
	static const char *const props[] = { "linger.ms", "5", NULL };
	struct qz_sink_stats st = { .sz = sizeof(st) };
	char line[REPORT_BYTES + 1], dir[64], key[16], cmd[96];
	struct broker b;
	struct qz_sink *s;
	double t0, c0;
	int err = 0, n;

	if (broker_start(&b, mock))
		return -EIO;
	snprintf(dir, sizeof(dir), "/tmp/qz-bench-%d", getpid());
	QZ_OPTS(qz_sink_kafka_opts, o, .log_fn = on_log, .brokers = b.addr,
		.topic = "bench", .spool_dir = dir, .properties = props);
	s = qz_sink__new_kafka(&o);
	if (!s) {
		broker_stop(&b);
		return -errno;
	}
	/* Let the producer connect before the clock starts. */
	snprintf(line, sizeof(line), "{\"warmup\":true}");
	qz_sink__write(s, line, strlen(line), "warmup");
	qz_sink__flush(s, 10000);

	t0 = bench_now();
	c0 = cpu_seconds();
	for (long i = 1; i <= reports && !err; i++) {
		snprintf(key, sizeof(key), "collector-%ld", i % KEYS);
		n = snprintf(line, sizeof(line),
			     "{\"host\":\"bench\",\"collector\":\"%s\",\"type\":\"stat\","
			     "\"seq\":%ld,\"payload\":{\"pad\":\"", key, i);
		memset(line + n, 'x', REPORT_BYTES - 4 - (size_t)n);
		memcpy(line + REPORT_BYTES - 4, "\"}}\n", 4);
		err = qz_sink__write(s, line, REPORT_BYTES, key);
	}
	if (!err)
		err = qz_sink__flush(s, 60000);
	*rate = reports / (bench_now() - t0);
	*cpu10k = (cpu_seconds() - c0) / reports * 10000;
	qz_sink__stats(s, &st);
	if (!err && (st.delivered != (uint64_t)reports + 1 || st.spooled))
		err = -EIO;
	qz_sink__close(s, 5000);
	qz_sink__free(s);
	broker_stop(&b);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		err = err ? err : -EIO;
	return err;
}

int main(int argc, char **argv)
{
	long reports = argc > 1 ? atol(argv[1]) : 200000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	const char *mock = argc > 3 ? argv[3] : MOCK_BROKER;
	double rate[16], cpu[16], r, c;

	if (runs < 1 || runs > 16 || reports < 1) {
		fprintf(stderr, "usage: %s [REPORTS [RUNS(1-16) [MOCK_BROKER]]]\n", argv[0]);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	for (int i = 0; i < runs; i++) {
		int err = run(mock, reports, &rate[i], &cpu[i]);

		if (err) {
			fprintf(stderr, "run %d failed: %s\n", i + 1, qz_strerror(err));
			return 1;
		}
		printf("run %d: %ld reports of %d bytes: %.0f reports/s, %.3f CPU-s per 10k\n",
		       i + 1, reports, REPORT_BYTES, rate[i], cpu[i]);
	}
	r = bench_median(rate, runs);
	c = bench_median(cpu, runs);
	printf("kafka sink to the mock broker: %.0f reports/s delivered (target %d: %s), "
	       "%.3f CPU-s per 10,000 reports (median of %d)\n", r, TARGET,
	       r >= TARGET ? "met" : "NOT met", c, runs);
	printf("{\"bench\":\"agent_sink\",\"report_bytes\":%d,\"reports\":%ld,\"runs\":%d,"
	       "\"reports_per_s\":%.0f,\"cpu_s_per_10k_reports\":%.4f,"
	       "\"target_reports_per_s\":%d}\n", REPORT_BYTES, reports, runs, r, c, TARGET);
	return 0;
}
