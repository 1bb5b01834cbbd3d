// SPDX-License-Identifier: MIT
/*
 * The Kafka sink against librdkafka's mock cluster, in a helper process,
 * with kcat as the independent consumer. Every seq 1..N of every key must
 * arrive exactly once, in order:
 *	delivery	a plain run
 *	outage		the broker is down for 20 s mid-stream, writes go on
 *	restart		closed with the broker down (spooled), reopened with it
 *			up: the spool is replayed before new reports
 *	sigterm		closed at once under load, broker up; reopened
 *	corrupt		a spool with a damaged record in a middle segment:
 *			all but that one are replayed, and the sink settles
 *	fatal		a fatal idempotent-producer error mid-stream: the
 *			producer is recreated, nothing is lost
 *	disk		durability disk: each report is safe (settled) as
 *			write returns; an outage; then a writer killed with
 *			SIGKILL while the broker acks late, and a restart that
 *			reads back what it had in flight rather than resend it
 *
 * Every report written is settled (qz_sink__write_tracked) exactly once
 * by the time the sink is closed.
 *
 * usage: test-kafka CASE MOCK_BROKER KCAT
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "sink.h"
#include "kafka_sink.h"
#include "../test.h"
#include "broker_proc.h"

#define TOPIC "quazar"
#define NKEYS 2
#define MAX_SEQ 16384

static const char *mock_path, *kcat_path;
static char spool_dir[64];
static bool verbose;

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (verbose || level <= QZ_LOG_WARN)
		fprintf(stderr, "[%ld] log %d: %s\n", (long)time(NULL), level, msg);
}

/* How many times each report was settled, and how. */
static uint8_t settled_times[NKEYS][MAX_SEQ + 1];
static uint64_t settled_n, settled_errors, settled_twice;

static void on_settled(void *owner, uint64_t id, int err)
{
	uint64_t key = id / 1000000, seq = id % 1000000;

	(void)owner;
	settled_n++;
	settled_errors += err != 0;
	if (key < NKEYS && seq <= MAX_SEQ && settled_times[key][seq]++)
		settled_twice++;
}

/* After close: every report written was settled once, none given up. */
static void check_settled(uint64_t written)
{
	fprintf(stderr, "settled %" PRIu64 " of %" PRIu64 " written, %" PRIu64
		" errors, %" PRIu64 " twice\n", settled_n, written, settled_errors,
		settled_twice);
	CHECK_EQ(settled_n, written);
	CHECK_EQ(settled_errors, 0);
	CHECK_EQ(settled_twice, 0);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A small spool bound (1 MiB) gives 64 KiB segments: several in a test. */
static struct qz_sink *open_sink_spool(struct broker *b, unsigned int timeout_ms,
				       uint64_t spool_max_bytes)
{
	static const char *const props[] = { "linger.ms", "5", NULL };
	QZ_OPTS(qz_sink_kafka_opts, o, .log_fn = on_log, .brokers = b->addr,
		.topic = TOPIC, .spool_dir = spool_dir, .properties = props,
		.message_timeout_ms = timeout_ms, .retry_ms = 500,
		.spool_max_bytes = spool_max_bytes);
	struct qz_sink *s = qz_sink__new_kafka(&o);

	qz_sink__set_settled(s, on_settled);
	return s;
}

static struct qz_sink *open_sink(struct broker *b, unsigned int timeout_ms)
{
	return open_sink_spool(b, timeout_ms, 0);
}

/* One report of ~220 bytes: what a small collector would send. */
static int format_report(char *line, size_t size, char *name, int key, unsigned int seq)
{
	snprintf(name, 16, "coll-%d", key);
	return snprintf(line, size,
			"{\"host\":\"test\",\"collector\":\"%s\",\"type\":\"stat\","
			"\"seq\":%u,\"payload\":{\"pad\":\"%0120d\"}}\n", name, seq, 0);
}

static int write_report(struct qz_sink *s, int key, unsigned int seq)
{
	char line[512], name[16];
	int n = format_report(line, sizeof(line), name, key, seq);

	return qz_sink__write_tracked(s, line, (size_t)n, name, &settled_n,
				      (uint64_t)key * 1000000 + seq);
}

struct tally {
	uint64_t next[NKEYS];	/* past the highest seq seen */
	uint64_t dups, gaps, bad, total;
	uint64_t late;		/* arrived after a later one of its key */
	uint8_t seen[NKEYS][MAX_SEQ + 1];
};

/* Reports acked after an earlier one failed, as the sinks counted them. */
static uint64_t reorders_counted;

/* Frees a sink, keeping what it counted of reordering. */
static void free_sink(struct qz_sink *s)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };

	qz_sink__stats(s, &st);
	reorders_counted += st.reordered;
	qz_sink__free(s);
}

/* kcat reads the whole topic; every key's seqs must be 1, 2, 3, ... */
static void consume(struct broker *b, struct tally *t)
{
	char cmd[512], line[1024];
	FILE *p;

	memset(t, 0, sizeof(*t));
	for (int k = 0; k < NKEYS; k++)
		t->next[k] = 1;
	snprintf(cmd, sizeof(cmd),
		 "timeout 60 %s -C -q -b %s -t %s -o beginning -e -f '%%k %%s\\n'",
		 kcat_path, b->addr, TOPIC);
	p = popen(cmd, "r");
	CHECK(p);
	if (!p)
		return;
	while (fgets(line, sizeof(line), p)) {
		struct json_object *obj, *seq, *coll;
		char *json = strchr(line, ' ');
		int k = -1;
		uint64_t n;

		t->total++;
		if (!json || sscanf(line, "coll-%d ", &k) != 1 || k < 0 || k >= NKEYS) {
			t->bad++;
			continue;
		}
		obj = json_tokener_parse(json + 1);
		if (!obj || !json_object_object_get_ex(obj, "seq", &seq) ||
		    !json_object_object_get_ex(obj, "collector", &coll) ||
		    strncmp(line, json_object_get_string(coll), (size_t)(json - line))) {
			t->bad++;
			json_object_put(obj);
			continue;
		}
		n = (uint64_t)json_object_get_int64(seq);
		json_object_put(obj);
		if (!n || n > MAX_SEQ) {
			t->bad++;
		} else if (t->seen[k][n]++) {
			if (t->dups++ < 5)
				fprintf(stderr, "key %d: seq %" PRIu64 " again\n", k, n);
		} else if (n < t->next[k]) {
			if (t->late++ < 5)
				fprintf(stderr, "key %d: seq %" PRIu64 " after %" PRIu64 "\n",
					k, n, t->next[k] - 1);
		}
		if (n <= MAX_SEQ && n >= t->next[k])
			t->next[k] = n + 1;
	}
	CHECK_EQ(pclose(p), 0);
	for (int k = 0; k < NKEYS; k++)
		for (uint64_t n = 1; n < t->next[k]; n++)
			if (!t->seen[k][n] && t->gaps++ < 5)
				fprintf(stderr, "key %d: seq %" PRIu64 " missing\n", k, n);
}

/*
 * Every report of every key, once and in order. A report may come twice
 * only when the sink counted it as a possible duplicate: one that failed
 * after it was sent (the broker went down before acking it) and was tried
 * again rather than risk losing it. One may come after a later one only
 * when a sink counted it reordered: it timed out in librdkafka while the
 * later one got through, and was replayed from the spool.
 */
static void check_all(struct broker *b, uint64_t per_key, uint64_t possible_dups)
{
	static struct tally t;

	consume(b, &t);
	fprintf(stderr, "consumed %" PRIu64 " reports: %" PRIu64 " dups (%" PRIu64
		" possible), %" PRIu64 " gaps, %" PRIu64 " late (%" PRIu64 " reorders "
		"counted), %" PRIu64 " bad\n", t.total, t.dups, possible_dups, t.gaps,
		t.late, reorders_counted, t.bad);
	CHECK_EQ(t.total, per_key * NKEYS + t.dups);
	CHECK(t.dups <= possible_dups);
	CHECK(!t.late || reorders_counted);
	CHECK_EQ(t.gaps, 0);
	CHECK_EQ(t.bad, 0);
	for (int k = 0; k < NKEYS; k++)
		CHECK_EQ(t.next[k], per_key + 1);
}

/* Waits until the sink is back to direct delivery with nothing pending. */
static void wait_settled(struct qz_sink *s, int seconds)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	double end = now() + seconds;

	do {
		qz_sink__stats(s, &st);
		if (!st.spool_records && !st.queued && !st.held)
			return;
		usleep(100 * 1000);
	} while (now() < end);
	fprintf(stderr, "not settled: %" PRIu64 " spooled, %" PRIu64 " queued\n",
		st.spool_records, st.queued);
	CHECK(0);
}

static void test_bad_opts(struct broker *b)
{
	static const char *const bogus[] = { "no.such.property", "1", NULL };
	static const char *const dangling[] = { "linger.ms", NULL };
	QZ_OPTS(qz_sink_kafka_opts, o, .brokers = b->addr, .topic = TOPIC,
		.spool_dir = spool_dir, .properties = bogus);

	errno = 0;
	CHECK(!qz_sink__new_kafka(&o));
	CHECK_EQ(errno, EINVAL);
	o.properties = dangling;
	CHECK(!qz_sink__new_kafka(&o));
	o.properties = NULL;
	o.acks = "1";		/* idempotence needs acks=all */
	CHECK(!qz_sink__new_kafka(&o));
	CHECK_EQ(errno, EINVAL);
	o.acks = NULL;
	o.topic = NULL;
	CHECK(!qz_sink__new_kafka(&o));
	CHECK_EQ(errno, EINVAL);
	CHECK(!qz_sink__new_kafka(NULL));
}

static void test_delivery(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	const unsigned int n = 5000;	/* 2.2 MB: under the mock's log limit */
	struct qz_sink *s = open_sink(b, 30000);

	CHECK(s);
	if (!s)
		return;
	CHECK_STR(qz_sink__type(s), "kafka");
	for (unsigned int i = 1; i <= n; i++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, i), 0);
	CHECK_EQ(qz_sink__flush(s, 30000), 0);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.written, n * NKEYS);
	CHECK_EQ(st.delivered, n * NKEYS);
	CHECK_EQ(st.queued, 0);
	CHECK_EQ(st.spooled, 0);
	CHECK_EQ(st.errors, 0);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	check_settled(st.written);
	CHECK_EQ(write_report(s, 0, n + 1), -ESHUTDOWN);
	free_sink(s);
	check_all(b, n, 0);
}

/* Writes at ~rate reports/s per key for `seconds`, from seq *seq on. */
static void write_for(struct qz_sink *s, double seconds, int rate,
		      unsigned int *seq)
{
	double end = now() + seconds;

	while (now() < end) {
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, *seq), 0);
		(*seq)++;
		usleep(1000000 / rate);
	}
}

static void test_outage(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_sink(b, 3000);
	unsigned int seq = 1;

	CHECK(s);
	if (!s)
		return;
	write_for(s, 3, 200, &seq);
	CHECK_EQ(broker_cmd(b, "down\n"), 0);
	write_for(s, 20, 200, &seq);
	qz_sink__stats(s, &st);
	fprintf(stderr, "after 20 s down: %" PRIu64 " spooled, %" PRIu64
		" in spool, %" PRIu64 " queued\n", st.spooled, st.spool_records,
		st.queued);
	CHECK(st.spool_records > 0);	/* the outage did reach the spool */
	CHECK_EQ(broker_cmd(b, "up\n"), 0);
	write_for(s, 5, 200, &seq);
	wait_settled(s, 60);
	qz_sink__stats(s, &st);
	fprintf(stderr, "written %" PRIu64 " delivered %" PRIu64 " spooled %"
		PRIu64 " replayed %" PRIu64 " reordered %" PRIu64 "\n", st.written,
		st.delivered, st.spooled, st.replayed, st.reordered);
	CHECK(st.replayed > 0);
	CHECK_EQ(st.spool_dropped, 0);
	CHECK_EQ(st.delivered, st.written);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	check_settled(st.written);
	free_sink(s);
	check_all(b, seq - 1, st.possible_dups);
}

/*
 * The broker stores what it is sent but answers late: the sink times the
 * reports out though they are in the topic. It must read them back before
 * trying them again, so none arrives twice.
 */
static void test_late_acks(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_sink(b, 1000);
	unsigned int seq = 1;

	CHECK(s);
	if (!s)
		return;
	write_for(s, 1, 50, &seq);
	CHECK_EQ(qz_sink__flush(s, 10000), 0);
	CHECK_EQ(broker_cmd(b, "rtt 2500\n"), 0);
	write_for(s, 3, 50, &seq);
	CHECK_EQ(broker_cmd(b, "rtt 0\n"), 0);
	write_for(s, 1, 50, &seq);
	wait_settled(s, 60);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	fprintf(stderr, "written %" PRIu64 " delivered %" PRIu64 " spooled %" PRIu64
		" replayed %" PRIu64 " possible duplicates %" PRIu64 "\n", st.written,
		st.delivered, st.spooled, st.replayed, st.possible_dups);
	CHECK(st.spooled > 0);		/* the late acks did time reports out */
	CHECK_EQ(st.possible_dups, 0);	/* each was read back, not guessed */
	CHECK_EQ(st.delivered, st.written);	/* those found count as delivered */
	free_sink(s);
	check_all(b, seq - 1, 0);
}

static void test_restart(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_sink(b, 30000);
	unsigned int seq = 1;
	uint64_t possible_dups;

	CHECK(s);
	if (!s)
		return;
	for (; seq <= 100; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	CHECK_EQ(qz_sink__flush(s, 10000), 0);
	CHECK_EQ(broker_cmd(b, "down\n"), 0);
	usleep(300 * 1000);
	for (; seq <= 250; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	/* SIGTERM-style: a short deadline with the broker down. */
	CHECK_EQ(qz_sink__close(s, 1500), 0);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.delivered, 200);
	CHECK_EQ(st.spool_records, 300);
	CHECK_EQ(st.queued, 0);
	possible_dups = st.possible_dups;
	free_sink(s);

	/* The next start, with the broker back: spool first, then new data. */
	CHECK_EQ(broker_cmd(b, "up\n"), 0);
	s = open_sink(b, 30000);
	CHECK(s);
	if (!s)
		return;
	qz_sink__stats(s, &st);
	CHECK_EQ(st.spool_records, 300);
	for (; seq <= 300; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	wait_settled(s, 60);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.replayed, 400);	/* the 300 left, then the 100 new */
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	free_sink(s);
	check_all(b, 300, possible_dups + st.possible_dups);
}

/* SIGTERM under load: close at once, with much still queued; nothing lost. */
static void test_sigterm(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_sink(b, 30000);
	unsigned int seq = 1;
	uint64_t delivered, spooled, possible_dups;

	CHECK(s);
	if (!s)
		return;
	/* The mock keeps ~5 MB a partition: stay under it, or kcat misses some. */
	for (; seq <= 6000; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	CHECK_EQ(qz_sink__close(s, 0), 0);
	qz_sink__stats(s, &st);
	fprintf(stderr, "closed: %" PRIu64 " delivered, %" PRIu64 " spooled\n",
		st.delivered, st.spool_records);
	CHECK_EQ(st.delivered + st.spool_records, 12000);
	CHECK_EQ(st.queued, 0);
	delivered = st.delivered;
	spooled = st.spool_records;
	possible_dups = st.possible_dups;
	free_sink(s);

	s = open_sink(b, 30000);
	CHECK(s);
	if (!s)
		return;
	for (; seq <= 6100; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	wait_settled(s, 60);
	qz_sink__stats(s, &st);
	/*
	 * Delivered counts replayed reports too. When close(0) got everything
	 * out in its grace second, nothing was spooled and the new reports go
	 * straight out: replayed is then 0, not 200.
	 */
	CHECK_EQ(st.delivered + delivered, 12200);
	CHECK(st.replayed >= spooled);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	free_sink(s);
	check_all(b, 6100, possible_dups + st.possible_dups);
}

/*
 * A spool left with one damaged record in a middle segment: replay skips
 * it, counts it, and the sink settles; before, the replay's commit stopped
 * at the hole for good and nothing after it was ever delivered.
 */
static void test_corrupt(struct broker *b)
{
	QZ_OPTS(qz_spool_opts, so, .max_bytes = 1 << 20, .segment_bytes = 64 << 10);
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_spool_stats ss = { .sz = sizeof(ss) };
	const unsigned int n = 600;	/* ~280 KiB: 5 segments */
	struct qz_spool *sp = qz_spool__open(spool_dir, &so);
	char line[512], name[16], cmd[256], seg[256] = "";
	struct qz_sink *s;
	static struct tally t;
	FILE *p;
	int fd;

	CHECK(sp);
	if (!sp)
		return;
	for (unsigned int i = 1; i <= n; i++)
		for (int k = 0; k < NKEYS; k++) {
			int len = format_report(line, sizeof(line), name, k, i);

			CHECK_EQ(qz_spool__append(sp, name, strlen(name), line,
						  (size_t)len - 1), 0);
		}
	qz_spool__stats(sp, &ss);
	CHECK(ss.segments >= 3);
	qz_spool__free(sp);
	/* A byte of the 5th record of the second segment's payload. */
	snprintf(cmd, sizeof(cmd), "ls %s/*.seg | sed -n 2p", spool_dir);
	p = popen(cmd, "r");
	if (p && !fgets(seg, sizeof(seg), p))
		seg[0] = 0;
	if (p)
		pclose(p);
	seg[strcspn(seg, "\n")] = 0;
	fd = open(seg, O_WRONLY);
	CHECK(fd >= 0);
	if (fd >= 0) {
		CHECK_EQ(pwrite(fd, "#", 1, 4 * 232 + 200), 1);
		close(fd);
	}

	s = open_sink_spool(b, 30000, 1 << 20);
	CHECK(s);
	if (!s)
		return;
	wait_settled(s, 60);
	qz_sink__stats(s, &st);
	fprintf(stderr, "replayed %" PRIu64 ", %" PRIu64 " damaged\n", st.replayed,
		st.spool_corrupt);
	CHECK_EQ(st.spool_corrupt, 1);
	CHECK_EQ(st.replayed, 2 * n - 1);
	/* New reports flow again. */
	CHECK_EQ(write_report(s, 0, n + 1), 0);
	CHECK_EQ(write_report(s, 1, n + 1), 0);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.delivered, 2 * n + 1);
	free_sink(s);
	consume(b, &t);
	CHECK_EQ(t.total, 2 * (n + 1) - 1);
	CHECK_EQ(t.gaps, 1);		/* the damaged one */
	CHECK_EQ(t.dups, 0);
	CHECK_EQ(t.bad, 0);
	for (int k = 0; k < NKEYS; k++)
		CHECK_EQ(t.next[k], n + 2);
}

/* Injects a fatal error into the sink's producer, as librdkafka allows
 * tests to (there is no practical way to cause a real one). */
static int inject_fatal(struct qz_sink *sink)
{
	struct kafka_sink *s = (struct kafka_sink *)sink;
	rd_kafka_resp_err_t err;

	pthread_mutex_lock(&s->mu);
	err = rd_kafka_test_fatal_error(s->rk, RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
					"injected by test-kafka");
	pthread_mutex_unlock(&s->mu);
	return err ? -EIO : 0;
}

/*
 * A fatal idempotent-producer error: librdkafka's producer is dead for
 * good. The sink must recreate it, keep the spool, replay, and count it;
 * before, the error was only logged and every later write failed.
 */
static void test_fatal(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_sink(b, 30000);
	unsigned int seq = 1;
	uint64_t possible_dups;

	CHECK(s);
	if (!s)
		return;
	for (; seq <= 200; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	CHECK_EQ(qz_sink__flush(s, 10000), 0);
	/* Reports in flight as it strikes, and more after it. */
	for (; seq <= 300; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	CHECK_EQ(inject_fatal(s), 0);
	for (; seq <= 1000; seq++) {
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
		if (seq % 100 == 0)
			usleep(50 * 1000);
	}
	wait_settled(s, 60);
	qz_sink__stats(s, &st);
	fprintf(stderr, "fatal errors %" PRIu64 ", delivered %" PRIu64 ", spooled %" PRIu64
		", replayed %" PRIu64 ", possible dups %" PRIu64 "\n", st.fatal_errors,
		st.delivered, st.spooled, st.replayed, st.possible_dups);
	CHECK_EQ(st.fatal_errors, 1);
	CHECK_EQ(st.fatal, 0);
	CHECK_EQ(st.delivered, st.written);
	/* Direct delivery again, on the new producer. */
	for (; seq <= 1100; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	CHECK_EQ(qz_sink__flush(s, 10000), 0);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.delivered, st.written);
	check_settled(st.written);
	possible_dups = st.possible_dups;
	free_sink(s);
	check_all(b, seq - 1, possible_dups);
}

static struct qz_sink *open_disk(struct broker *b, unsigned int timeout_ms)
{
	static const char *const props[] = { "linger.ms", "5", NULL };
	QZ_OPTS(qz_sink_kafka_opts, o, .log_fn = on_log, .brokers = b->addr,
		.topic = TOPIC, .spool_dir = spool_dir, .properties = props,
		.message_timeout_ms = timeout_ms, .retry_ms = 500,
		.spool_max_bytes = 1 << 20, .durability_disk = true);
	struct qz_sink *s = qz_sink__new_kafka(&o);

	qz_sink__set_settled(s, on_settled);
	return s;
}

/*
 * A writer with durability disk: `from` to `first` delivered (the producer
 * is up), then, after the parent's go (acks made slow), up to `last`;
 * SIGKILLed once those writes returned.
 */
static void disk_child(struct broker *b, unsigned int from, unsigned int first,
		       unsigned int last, int ready, int go)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s;
	unsigned int seq;
	char c;

	settled_n = settled_errors = 0;
	s = open_disk(b, 30000);
	if (!s)
		_exit(1);
	for (seq = from; seq <= first; seq++)
		for (int k = 0; k < NKEYS; k++)
			if (write_report(s, k, seq))
				_exit(1);
	do {
		usleep(10 * 1000);
		qz_sink__stats(s, &st);
	} while (st.delivered < st.written);
	if (write(ready, "1", 1) != 1 || read(go, &c, 1) != 1)
		_exit(1);
	for (; seq <= last; seq++)
		for (int k = 0; k < NKEYS; k++)
			if (write_report(s, k, seq))
				_exit(1);
	/* Durability disk: every one of them settled as its write returned. */
	if (settled_n != (last - from + 1) * NKEYS || settled_errors ||
	    write(ready, "2", 1) != 1)
		_exit(1);
	pause();
	_exit(1);
}

static void test_disk(struct broker *b)
{
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s = open_disk(b, 2000);
	unsigned int seq = 1, crash_at;
	int fds[2], gos[2], status;
	char c;
	pid_t pid;

	CHECK(s);
	if (!s)
		return;
	for (; seq <= 500; seq++) {
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
		/* Safe as write returns: in the spool, before any ack. */
		CHECK_EQ(settled_n, seq * NKEYS);
	}
	CHECK_EQ(broker_cmd(b, "down\n"), 0);
	write_for(s, 4, 100, &seq);
	CHECK_EQ(broker_cmd(b, "up\n"), 0);
	write_for(s, 2, 100, &seq);
	wait_settled(s, 60);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	fprintf(stderr, "written %" PRIu64 " delivered %" PRIu64 " spooled %" PRIu64
		" replayed %" PRIu64 " in spool %" PRIu64 "\n", st.written, st.delivered,
		st.spooled, st.replayed, st.spool_records);
	CHECK_EQ(st.spooled, st.written);	/* every one, before it was sent */
	CHECK_EQ(st.delivered, st.written);
	CHECK(st.replayed > 0);			/* the outage's */
	CHECK_EQ(st.spool_records, 0);
	check_settled(st.written);
	free_sink(s);

	/* Acks 1 s late, reports stored at once: killed with them in flight. */
	crash_at = seq + 300;
	CHECK_EQ(pipe(fds), 0);
	CHECK_EQ(pipe(gos), 0);
	pid = fork();
	if (!pid)
		disk_child(b, seq, seq + 50, crash_at, fds[1], gos[0]);
	CHECK(pid > 0);
	close(fds[1]);
	close(gos[0]);
	CHECK_EQ(read(fds[0], &c, 1), 1);
	CHECK_EQ(broker_cmd(b, "rtt 1000\n"), 0);
	CHECK_EQ(write(gos[1], "g", 1), 1);
	CHECK_EQ(read(fds[0], &c, 1), 1);
	close(fds[0]);
	close(gos[1]);
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(broker_cmd(b, "rtt 0\n"), 0);

	/* The restart reads back what the child had in flight, then goes on. */
	s = open_disk(b, 30000);
	CHECK(s);
	if (!s)
		return;
	for (seq = crash_at + 1; seq <= crash_at + 100; seq++)
		for (int k = 0; k < NKEYS; k++)
			CHECK_EQ(write_report(s, k, seq), 0);
	wait_settled(s, 60);
	CHECK_EQ(qz_sink__close(s, 10000), 0);
	qz_sink__stats(s, &st);
	fprintf(stderr, "after the kill: delivered %" PRIu64 " (found in the topic or "
		"replayed), replayed %" PRIu64 ", possible duplicates %" PRIu64 "\n",
		st.delivered, st.replayed, st.possible_dups);
	CHECK_EQ(st.possible_dups, 0);
	CHECK(st.delivered > st.replayed);	/* some were found, not resent */
	free_sink(s);
	check_all(b, seq - 1, 0);
}

int main(int argc, char **argv)
{
	struct broker b;
	char cmd[128];

	if (argc < 4) {
		fprintf(stderr, "usage: %s delivery|outage|late-acks|restart|sigterm|corrupt|fatal|disk MOCK_BROKER KCAT\n",
			argv[0]);
		return 2;
	}
	mock_path = argv[2];
	kcat_path = argv[3];
	verbose = getenv("QZ_TEST_VERBOSE") != NULL;
	signal(SIGPIPE, SIG_IGN);
	snprintf(spool_dir, sizeof(spool_dir), "/tmp/qz-kafka-%d", getpid());
	if (broker_start(&b, mock_path, TOPIC, 3)) {
		fprintf(stderr, "cannot start %s\n", mock_path);
		return 1;
	}
	fprintf(stderr, "mock broker at %s\n", b.addr);
	if (!strcmp(argv[1], "delivery")) {
		RUN_ARGS(test_bad_opts, &b);
		RUN_ARGS(test_delivery, &b);
	}
	else if (!strcmp(argv[1], "outage"))
		RUN_ARGS(test_outage, &b);
	else if (!strcmp(argv[1], "late-acks"))
		RUN_ARGS(test_late_acks, &b);
	else if (!strcmp(argv[1], "restart"))
		RUN_ARGS(test_restart, &b);
	else if (!strcmp(argv[1], "sigterm"))
		RUN_ARGS(test_sigterm, &b);
	else if (!strcmp(argv[1], "corrupt"))
		RUN_ARGS(test_corrupt, &b);
	else if (!strcmp(argv[1], "fatal"))
		RUN_ARGS(test_fatal, &b);
	else if (!strcmp(argv[1], "disk"))
		RUN_ARGS(test_disk, &b);
	else
		CHECK(!"unknown case");
	CHECK_EQ(broker_stop(&b), 0);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", spool_dir);
	CHECK_EQ(system(cmd), 0);
	return test_result();
}
