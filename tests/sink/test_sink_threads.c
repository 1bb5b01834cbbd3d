// SPDX-License-Identifier: MIT
/*
 * Sinks written from several threads at once, as the agent's collectors
 * do, while another thread reads their stats, as its HTTP thread does: a
 * file sink, and Kafka sinks with durability memory and disk on the mock
 * broker. Every report arrives (file: every line whole; Kafka: delivered
 * equals written) and is settled exactly once. Its point is the suite
 * 'threads': run under ThreadSanitizer, it checks the sinks' locking.
 *
 * usage: test-sink-threads MOCK_BROKER
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "sink.h"
#include "../test.h"
#include "broker_proc.h"

#define WRITERS 4
#define REPORTS 1500		/* per writer */

static pthread_mutex_t settled_lock = PTHREAD_MUTEX_INITIALIZER;
static uint8_t settled_times[WRITERS][REPORTS];
static uint64_t settled_n, settled_bad;

/* As the agent's: called on a writer or on the sink's thread. */
static void on_settled(void *owner, uint64_t id, int err)
{
	uint64_t w = id / REPORTS, i = id % REPORTS;

	(void)owner;
	pthread_mutex_lock(&settled_lock);
	settled_n++;
	settled_bad += err || w >= WRITERS || settled_times[w][i]++;
	pthread_mutex_unlock(&settled_lock);
}

struct writer {
	struct qz_sink *sink;
	int id;
	int errors;
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	char line[256], key[16];

	snprintf(key, sizeof(key), "writer-%d", w->id);
	for (int i = 0; i < REPORTS; i++) {
		int n = snprintf(line, sizeof(line),
				 "{\"collector\":\"%s\",\"seq\":%d,\"pad\":\"%0100d\"}\n",
				 key, i + 1, 0);

		w->errors += qz_sink__write_tracked(w->sink, line, (size_t)n, key,
						    &settled_n,
						    (uint64_t)w->id * REPORTS + (uint64_t)i) != 0;
	}
	return NULL;
}

struct reader {
	struct qz_sink *sink;
	int stop;		/* atomic: set by the main thread after the joins */
	uint64_t reads;
};

static void *reader_main(void *arg)
{
	struct reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE)) {
		struct qz_sink_stats st = { .sz = sizeof(st) };

		qz_sink__stats(r->sink, &st);
		r->reads++;
		usleep(1000);
	}
	return NULL;
}

/* WRITERS threads write, one reads stats; then close. */
static void hammer(struct qz_sink *s, const char *what)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct writer w[WRITERS];
	struct reader r = { .sink = s };
	pthread_t th[WRITERS], rt;
	int errors = 0;

	memset(settled_times, 0, sizeof(settled_times));
	settled_n = settled_bad = 0;
	qz_sink__set_settled(s, on_settled);
	pthread_create(&rt, NULL, reader_main, &r);
	for (int i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .sink = s, .id = i };
		pthread_create(&th[i], NULL, writer_main, &w[i]);
	}
	for (int i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		errors += w[i].errors;
	}
	CHECK_EQ(errors, 0);
	if (strcmp(what, "file"))
		for (int i = 0; i < 600; i++) {		/* up to 60 s */
			qz_sink__stats(s, &st);
			if (st.delivered == st.written)
				break;
			usleep(100 * 1000);
		}
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_join(rt, NULL);
	qz_sink__stats(s, &st);
	fprintf(stderr, "%s: %" PRIu64 " written, %" PRIu64 " delivered, %" PRIu64
		" settled (%" PRIu64 " wrongly), %" PRIu64 " stats read meanwhile\n", what,
		st.written, st.delivered, settled_n, settled_bad, r.reads);
	CHECK_EQ(st.written, WRITERS * REPORTS);
	CHECK_EQ(st.delivered, WRITERS * REPORTS);
	CHECK_EQ(settled_n, WRITERS * REPORTS);
	CHECK_EQ(settled_bad, 0);
	qz_sink__free(s);
}

static void test_file(void)
{
	char path[64], line[512];
	int lines = 0, bad = 0;
	struct qz_sink *s;
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/qz-sink-threads-%d.jsonl", getpid());
	unlink(path);
	s = qz_sink__new_file(path, NULL);
	CHECK(s);
	if (!s)
		return;
	hammer(s, "file");
	f = fopen(path, "r");
	CHECK(f);
	while (f && fgets(line, sizeof(line), f)) {
		lines++;
		bad += strncmp(line, "{\"collector\":\"writer-", 21) || !strstr(line, "\"}\n");
	}
	if (f)
		fclose(f);
	CHECK_EQ(lines, WRITERS * REPORTS);
	CHECK_EQ(bad, 0);
	unlink(path);
}

static void test_kafka(struct broker *b, bool disk)
{
	static const char *const props[] = { "linger.ms", "5", NULL };
	char dir[64], cmd[96];
	struct qz_sink *s;

	snprintf(dir, sizeof(dir), "/tmp/qz-sink-threads-%d-%d", getpid(), disk);
	QZ_OPTS(qz_sink_kafka_opts, o, .brokers = b->addr, .topic = "quazar",
		.spool_dir = dir, .properties = props, .durability_disk = disk);
	s = qz_sink__new_kafka(&o);
	CHECK(s);
	if (s)
		hammer(s, disk ? "kafka, durability disk" : "kafka, durability memory");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CHECK_EQ(system(cmd), 0);
}

static void test_kafka_memory(struct broker *b)
{
	test_kafka(b, false);
}

static void test_kafka_disk(struct broker *b)
{
	test_kafka(b, true);
}

int main(int argc, char **argv)
{
	struct broker b;

	if (argc < 2) {
		fprintf(stderr, "usage: %s MOCK_BROKER\n", argv[0]);
		return 1;
	}
	RUN(test_file);
	if (broker_start(&b, argv[1], "quazar", 3)) {
		fprintf(stderr, "cannot start %s\n", argv[1]);
		return 1;
	}
	RUN_ARGS(test_kafka_memory, &b);
	RUN_ARGS(test_kafka_disk, &b);
	CHECK_EQ(broker_stop(&b), 0);
	return test_result();
}
