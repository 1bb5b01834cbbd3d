// SPDX-License-Identifier: MIT
/*
 * ingest's cost: how many hosts one ingest core serves. The last line is
 * one JSON object.
 *
 * A topic on the mock broker (a helper process) is filled with the reports
 * of HOSTS simulated hosts running the default agent for SECONDS seconds:
 * each second a `stat` report (5 counters, per CPU on 4 CPUs), a
 * `multi_trace` report (sched-latency: one pair) and a `vms` summary, so
 * 3 reports per second per host. Then `quazar ingest`'s own loop
 * (qz_ingest__run, in a thread of this process) loads the topic into a
 * ClickHouse server this program starts in a temporary directory, RUNS
 * times with a new consumer group each (later runs insert copies, which
 * the tables fold). Per run: reports and rows per second, reports per CPU
 * second of this process (librdkafka's and libcurl's threads included),
 * and ClickHouse's own CPU for the inserts (from /proc/PID/stat),
 * separately, all timed from the group's assignment (joining a group is
 * the broker's pace). Hosts per ingest core = reports per CPU second / 3.
 *
 * usage: ingest [HOSTS [SECONDS [RUNS]]]   (defaults 1000, 10, 3)
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include "ingest_internal.h"
#include "bench.h"
#include "../tests/sink/broker_proc.h"

#define PARTITIONS 12		/* the mock keeps ~5 MB a partition */
#define REPORTS_PER_HOST_S 3
#define TARGET_HOSTS 1000

static double self_cpu(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/* utime + stime of another process, in seconds. */
static double proc_cpu(pid_t pid)
{
	unsigned long long ut = 0, st = 0;
	char path[64], buf[2048], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After "pid (comm)": state is field 3; utime and stime are 14, 15. */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static pid_t start_clickhouse(const char *dir, int port)
{
	char path[512], arg[600];
	FILE *f;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/config.xml", dir);
	f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "<?xml version=\"1.0\"?>\n<yandex>\n"
		"<logger><level>warning</level><log>%s/server.log</log>"
		"<errorlog>%s/server.err.log</errorlog></logger>\n"
		"<listen_host>127.0.0.1</listen_host><http_port>%d</http_port>"
		"<tcp_port>%d</tcp_port>\n<path>%s/data/</path><tmp_path>%s/tmp/</tmp_path>\n"
		"<user_files_path>%s/uf/</user_files_path>\n"
		"<mark_cache_size>67108864</mark_cache_size>\n"
		"<users_config>users.xml</users_config><default_profile>default</default_profile>\n"
		"<default_database>default</default_database><timezone>UTC</timezone>\n"
		"</yandex>\n", dir, dir, port, port + 1, dir, dir, dir);
	fclose(f);
	snprintf(path, sizeof(path), "%s/users.xml", dir);
	f = fopen(path, "we");
	if (!f)
		return -1;
	fprintf(f, "<?xml version=\"1.0\"?>\n<yandex><profiles><default/></profiles>"
		"<users><default><password></password><networks><ip>127.0.0.1</ip></networks>"
		"<profile>default</profile><quota>default</quota></default></users>"
		"<quotas><default/></quotas></yandex>\n");
	fclose(f);
	snprintf(arg, sizeof(arg), "--config-file=%s/config.xml", dir);
	pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(127);
		if (chdir(dir))
			_exit(127);
		/* Debian puts it in /usr/sbin, which a user's PATH may lack. */
		execl("/usr/sbin/clickhouse-server", "clickhouse-server", arg, (char *)NULL);
		execlp("clickhouse-server", "clickhouse-server", arg, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/* One host-second of the default agent: stat, multi_trace, vms. */
static int report(char *buf, size_t size, int kind, int host, uint64_t seq, uint64_t end)
{
	static const char *const events[] = {
		"cpu-clock", "task-clock", "page-faults", "context-switches", "cpu-migrations",
	};
	int n = snprintf(buf, size, "{\"ts\":%" PRIu64 ",\"type\":\"%s\",\"host\":\"node-%04d\","
			 "\"collector\":\"%s\",\"seq\":%" PRIu64 ",\"interval_start\":%" PRIu64
			 ",\"interval_end\":%" PRIu64 ",\"labels\":{\"dc\":\"eu-1\"},"
			 "\"interval_ns\":1000000000,", seq * 1000, kind == 0 ? "stat" :
			 kind == 1 ? "multi_trace" : "vms", host, kind == 0 ? "cpu-counters" :
			 kind == 1 ? "sched-latency" : "vm-lifecycle", seq, end - 1000000000, end);

	if (kind == 0) {
		n += snprintf(buf + n, size - (size_t)n, "\"counters\":[");
		for (int e = 0; e < 5; e++) {
			n += snprintf(buf + n, size - (size_t)n, "%s{\"event\":\"%s\",\"value\":%d,"
				      "\"scaled\":%d,\"running_pct\":100,\"per_cpu\":[", e ? "," : "",
				      events[e], 4000 + e * 977, 4000 + e * 977);
			for (int c = 0; c < 4; c++)
				n += snprintf(buf + n, size - (size_t)n, "%s{\"cpu\":%d,\"value\":%d,"
					      "\"scaled\":%d,\"running_pct\":100}", c ? "," : "", c,
					      1000 + c + e, 1000 + c + e);
			n += snprintf(buf + n, size - (size_t)n, "]}");
		}
		n += snprintf(buf + n, size - (size_t)n, "]}");
	} else if (kind == 1) {
		n += snprintf(buf + n, size - (size_t)n, "\"final\":false,\"impl\":\"delay\","
			      "\"pairs\":[{\"start\":\"sched_wakeup\",\"end\":\"sched_switch\","
			      "\"calls\":%d,\"total\":%d,\"min\":2100,\"p50\":9471,\"p95\":55023,"
			      "\"p99\":96993,\"max\":144097}],\"events\":1000,\"outliers\":0,"
			      "\"pending\":3,\"evicted\":0,\"late\":0,\"lost\":0}", 300 + host % 7,
			      3000000 + host);
	} else {
		n += snprintf(buf + n, size - (size_t)n, "\"alive\":1,\"created\":1,\"destroyed\":0,"
			      "\"vms\":[{\"pid\":%d,\"comm\":\"qemu-kvm\",\"vms\":1,\"vcpus\":4,"
			      "\"age_ns\":%" PRIu64 "}]}", 1000 + host, seq * 1000000000);
	}
	return n;
}

static long fill_topic(const char *brokers, int hosts, int seconds, double *bytes)
{
	char errstr[256], buf[4096], key[64];
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	uint64_t end0 = (uint64_t)time(NULL) * 1000000000ull;
	long n = 0;
	rd_kafka_t *rk;

	rd_kafka_conf_set(conf, "bootstrap.servers", brokers, errstr, sizeof(errstr));
	rd_kafka_conf_set(conf, "linger.ms", "20", errstr, sizeof(errstr));
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk)
		return -1;
	*bytes = 0;
	for (int s = 1; s <= seconds; s++)
		for (int h = 0; h < hosts; h++)
			for (int k = 0; k < REPORTS_PER_HOST_S; k++) {
				int len = report(buf, sizeof(buf), k, h, (uint64_t)s,
						 end0 + (uint64_t)s * 1000000000ull + (uint64_t)k);

				snprintf(key, sizeof(key), "node-%04d/%d", h, k);
				while (rd_kafka_producev(rk, RD_KAFKA_V_TOPIC("quazar"),
							 RD_KAFKA_V_KEY(key, strlen(key)),
							 RD_KAFKA_V_VALUE(buf, (size_t)len),
							 RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
							 RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
					rd_kafka_poll(rk, 10);
				*bytes += len;
				n++;
			}
	rd_kafka_flush(rk, 60000);
	rd_kafka_destroy(rk);
	return n;
}

struct run {
	struct qz_ingest *in;
	volatile int stop;
	int ret;
};

static void *run_main(void *arg)
{
	struct run *r = arg;

	r->ret = qz_ingest__run(r->in, &r->stop);
	return NULL;
}

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= QZ_LOG_WARN)
		fprintf(stderr, "log: %s\n", msg);
}

int main(int argc, char **argv)
{
	int hosts = argc > 1 ? atoi(argv[1]) : TARGET_HOSTS;
	int seconds = argc > 2 ? atoi(argv[2]) : 10, runs = argc > 3 ? atoi(argv[3]) : 3;
	double rps[8], rows_s[8], per_cpu[8], ch_per_cpu[8], bytes = 0;
	char dir[] = "/tmp/qz-bench-ingest-XXXXXX", url[64], group[32], err[512];
	struct qz_config_error cerr;
	struct broker b;
	pid_t ch;
	long n;
	int port = 20000 + (int)(getpid() % 20000);

	if (runs > 8)
		runs = 8;
	if (!mkdtemp(dir) || broker_start(&b, MOCK_BROKER, "quazar", PARTITIONS)) {
		fprintf(stderr, "cannot start the mock broker\n");
		return 1;
	}
	ch = start_clickhouse(dir, port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/", port);
	n = fill_topic(b.addr, hosts, seconds, &bytes);
	printf("topic: %ld reports of %d hosts x %d s (%d a second each), %.0f bytes each\n",
	       n, hosts, seconds, REPORTS_PER_HOST_S, bytes / (double)n);
	for (int r = 0; r < runs; r++) {
		char yaml[1024];
		struct qz_ingest_config *cfg;
		struct run run = { 0 };
		pthread_t t;
		double t0, c0, ch0, wall, cpu, chc;
		uint64_t rows = 0, got = 0;

		snprintf(group, sizeof(group), "bench-%d", r);
		snprintf(yaml, sizeof(yaml), "kafka: {brokers: \"%s\", topic: quazar, group: %s}\n"
			 "clickhouse: {url: \"%s\", database: bench}\n"
			 "batch: {max_rows: 100000, max_bytes: 16MiB, max_age: 1s}\n"
			 "ingest: {http_listen: \"off\"}\n", b.addr, group, url);
		cfg = qz_ingest_config__load_string(yaml, strlen(yaml), &cerr);
		for (int i = 0; !r && i < 100; i++) {
			if (!qz_fleet__init_schema(cfg, NULL, NULL, err, sizeof(err)))
				break;
			usleep(100000);	/* ClickHouse starting */
		}
		run.in = cfg ? qz_ingest__new(cfg, on_log, NULL, err, sizeof(err)) : NULL;
		if (!run.in) {
			fprintf(stderr, "ingest: %s\n", cfg ? err : cerr.msg);
			return 1;
		}
		pthread_create(&t, NULL, run_main, &run);
		/* Timed from the group's assignment: joining is the broker's pace. */
		for (size_t assigned = 0; !assigned;) {
			usleep(1000);
			pthread_mutex_lock(&run.in->lock);
			assigned = run.in->st.nr_lag;
			pthread_mutex_unlock(&run.in->lock);
		}
		t0 = bench_now();
		c0 = self_cpu();
		ch0 = proc_cpu(ch);
		while (got < (uint64_t)n && bench_now() - t0 < 600) {
			usleep(20000);
			pthread_mutex_lock(&run.in->lock);
			got = run.in->st.messages;
			pthread_mutex_unlock(&run.in->lock);
		}
		wall = bench_now() - t0;
		cpu = self_cpu() - c0;
		chc = proc_cpu(ch) - ch0;
		run.stop = 1;
		pthread_join(t, NULL);
		for (int i = 0; i < QZ_FT_NR; i++)
			rows += run.in->st.rows[i];
		rps[r] = (double)got / wall;
		rows_s[r] = (double)rows / wall;
		per_cpu[r] = (double)got / cpu;
		ch_per_cpu[r] = chc > 0 ? (double)got / chc : 0;
		printf("run %d: %" PRIu64 " reports, %" PRIu64 " rows in %.2f s: %.0f reports/s, "
		       "%.0f rows/s; ingest %.2f CPU-s (%.0f reports per CPU-s); "
		       "ClickHouse %.2f CPU-s (%.0f reports per CPU-s)\n", r + 1, got, rows, wall,
		       rps[r], rows_s[r], cpu, per_cpu[r], chc, ch_per_cpu[r]);
		qz_ingest__free(run.in);
		qz_ingest_config__free(cfg);
	}
	{
		double m_rps = bench_median(rps, runs), m_rows = bench_median(rows_s, runs);
		double m_cpu = bench_median(per_cpu, runs), m_ch = bench_median(ch_per_cpu, runs);
		double hosts_core = m_cpu / REPORTS_PER_HOST_S;

		printf("median: %.0f reports/s, %.0f rows/s; %.0f reports per ingest CPU-s = "
		       "%.0f hosts per ingest core at %d reports/s (target %d: %s); "
		       "ClickHouse inserts: %.0f reports per CPU-s\n", m_rps, m_rows, m_cpu,
		       hosts_core, REPORTS_PER_HOST_S, TARGET_HOSTS,
		       hosts_core >= TARGET_HOSTS ? "met" : "missed", m_ch);
		printf("{\"bench\":\"ingest\",\"reports\":%ld,\"report_bytes\":%.0f,"
		       "\"reports_per_s\":%.0f,\"rows_per_s\":%.0f,"
		       "\"reports_per_ingest_cpu_s\":%.0f,\"hosts_per_ingest_core\":%.0f,"
		       "\"clickhouse_reports_per_cpu_s\":%.0f,\"target_hosts\":%d}\n",
		       n, bytes / (double)n, m_rps, m_rows, m_cpu, hosts_core, m_ch, TARGET_HOSTS);
	}
	kill(ch, SIGTERM);
	waitpid(ch, NULL, 0);
	broker_stop(&b);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd))
			fprintf(stderr, "left %s behind\n", dir);
	}
	return 0;
}
