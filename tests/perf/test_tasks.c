// SPDX-License-Identifier: MIT
/*
 * The task table fed by hand-built COMM/FORK/EXIT records, record parsing
 * (LOST, LOST_SAMPLES, THROTTLE, MMAP2, trailers) and the scaled-count math.
 */
#include <errno.h>
#include <stdint.h>
#include <quazar/event.h>
#include <quazar/evsel.h>
#include <quazar/tasks.h>
#include "../test.h"

/* sample_id trailer: TID, TIME, CPU, IDENTIFIER */
static const struct qz_sample_format fmt = {
	.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
		       PERF_SAMPLE_IDENTIFIER | PERF_SAMPLE_RAW,
	.sample_id_all = true,
};

struct rec {
	uint64_t w[64];
	size_t len;
};

static void begin(struct rec *r, uint32_t type, uint16_t misc)
{
	struct perf_event_header h = { .type = type, .misc = misc };

	memset(r, 0, sizeof(*r));
	memcpy(r->w, &h, sizeof(h));
	r->len = 8;
}

static void add(struct rec *r, const void *p, size_t n)
{
	memcpy((uint8_t *)r->w + r->len, p, n);
	r->len += (n + 7) & ~(size_t)7;
}

static void add64(struct rec *r, uint64_t v)
{
	add(r, &v, 8);
}

static void add32x2(struct rec *r, uint32_t a, uint32_t b)
{
	uint32_t v[2] = { a, b };

	add(r, v, 8);
}

static const struct perf_event_header *end(struct rec *r, uint32_t pid,
					   uint64_t time)
{
	struct perf_event_header h;

	add32x2(r, pid, pid);	/* TID */
	add64(r, time);		/* TIME */
	add32x2(r, 1, 0);	/* CPU */
	add64(r, 0xabc);	/* IDENTIFIER */
	memcpy(&h, r->w, sizeof(h));
	h.size = (uint16_t)r->len;
	memcpy(r->w, &h, sizeof(h));
	return (const void *)r->w;
}

static const struct perf_event_header *comm_rec_at(struct rec *r, uint32_t pid,
						   uint32_t tid, const char *comm,
						   bool exec, uint64_t time)
{
	char buf[24] = { 0 };

	begin(r, PERF_RECORD_COMM, exec ? PERF_RECORD_MISC_COMM_EXEC : 0);
	add32x2(r, pid, tid);
	snprintf(buf, sizeof(buf), "%s", comm);
	add(r, buf, strlen(buf) + 1);
	return end(r, pid, time);
}

static const struct perf_event_header *comm_rec(struct rec *r, uint32_t pid,
						uint32_t tid, const char *comm,
						bool exec)
{
	return comm_rec_at(r, pid, tid, comm, exec, 100);
}

static const struct perf_event_header *task_rec(struct rec *r, uint32_t type,
						uint32_t pid, uint32_t ppid,
						uint32_t tid, uint32_t ptid)
{
	begin(r, type, 0);
	add32x2(r, pid, ppid);
	add32x2(r, tid, ptid);
	add64(r, 555);
	return end(r, pid, 200);
}

static void test_records(void)
{
	QZ_OPTS(qz_record, out);
	struct rec r;
	const struct perf_event_header *h;
	char name[16] = "/bin/x";

	h = comm_rec(&r, 10, 11, "worker", true);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.type, PERF_RECORD_COMM);
	CHECK_EQ(out.comm.pid, 10);
	CHECK_EQ(out.comm.tid, 11);
	CHECK_STR(out.comm.comm, "worker");
	CHECK(out.comm.exec);
	CHECK_EQ(out.id.time, 100);
	CHECK_EQ(out.id.cpu, 1);
	CHECK_EQ(out.id.id, 0xabc);
	CHECK_EQ(out.id.pid, 10);

	h = task_rec(&r, PERF_RECORD_FORK, 20, 10, 21, 11);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.task.pid, 20);
	CHECK_EQ(out.task.ppid, 10);
	CHECK_EQ(out.task.tid, 21);
	CHECK_EQ(out.task.ptid, 11);
	CHECK_EQ(out.task.time, 555);

	begin(&r, PERF_RECORD_LOST, 0);
	add64(&r, 0xabc);
	add64(&r, 77);
	h = end(&r, 1, 300);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.lost.id, 0xabc);
	CHECK_EQ(out.lost.lost, 77);
	CHECK_EQ(out.id.time, 300);

	begin(&r, PERF_RECORD_LOST_SAMPLES, 0);
	add64(&r, 9);
	h = end(&r, 1, 301);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.lost_samples.lost, 9);

	begin(&r, PERF_RECORD_THROTTLE, 0);
	add64(&r, 400);
	add64(&r, 5);
	add64(&r, 6);
	h = end(&r, 1, 400);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.type, PERF_RECORD_THROTTLE);
	CHECK_EQ(out.throttle.time, 400);
	CHECK_EQ(out.throttle.id, 5);
	CHECK_EQ(out.throttle.stream_id, 6);

	begin(&r, PERF_RECORD_MMAP2, 0);
	add32x2(&r, 30, 31);
	add64(&r, 0x400000);
	add64(&r, 0x1000);
	add64(&r, 0);
	add32x2(&r, 8, 1);
	add64(&r, 1234);
	add64(&r, 1);
	add32x2(&r, 5, 2);
	add(&r, name, 7);
	h = end(&r, 30, 500);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), 0);
	CHECK_EQ(out.mmap2.pid, 30);
	CHECK_EQ(out.mmap2.addr, 0x400000);
	CHECK_EQ(out.mmap2.len, 0x1000);
	CHECK_EQ(out.mmap2.maj, 8);
	CHECK_EQ(out.mmap2.ino, 1234);
	CHECK_EQ(out.mmap2.prot, 5);
	CHECK_STR(out.mmap2.filename, "/bin/x");
	CHECK_EQ(out.id.time, 500);

	/* Truncated: the comm string loses its NUL. */
	h = comm_rec(&r, 10, 11, "abcdefghijklmno", false);
	{
		struct perf_event_header cut;

		memcpy(&cut, h, sizeof(cut));
		cut.size = 8 + 8 + 8 + 32;	/* header, pid/tid, half comm, trailer */
		memcpy(r.w, &cut, sizeof(cut));
		CHECK_EQ(qz_record__parse(h, &fmt, &out), -QZ_ERR_RECORD_SHORT);
		cut.size = 12;
		memcpy(r.w, &cut, sizeof(cut));
		CHECK_EQ(qz_record__parse(h, &fmt, &out), -QZ_ERR_RECORD_SHORT);
	}
	begin(&r, PERF_RECORD_MMAP, 0);
	h = end(&r, 1, 1);
	CHECK_EQ(qz_record__parse(h, &fmt, &out), -ENOTSUP);
	/* sz: too small is refused, a newer caller's tail zeroed. */
	{
		struct {
			struct qz_record r;
			uint64_t later;
		} newer;

		h = comm_rec(&r, 10, 11, "worker", false);
		out.sz = offsetof(struct qz_record, id);
		CHECK_EQ(qz_record__parse(h, &fmt, &out), -EINVAL);
		out.sz = sizeof(out);
		memset(&newer, 0xa5, sizeof(newer));
		newer.r.sz = sizeof(newer);
		CHECK_EQ(qz_record__parse(h, &fmt, &newer.r), 0);
		CHECK_EQ(newer.r.sz, sizeof(newer));
		CHECK_EQ(newer.r.comm.tid, 11);
		CHECK_EQ(newer.r.id.sz, sizeof(newer.r.id));
		CHECK_EQ(newer.later, 0);
		begin(&r, PERF_RECORD_MMAP, 0);
		h = end(&r, 1, 1);
	}
	/* The trailer of any record via qz_sample__parse. */
	{
		QZ_OPTS(qz_sample, s);

		CHECK_EQ(qz_sample__parse(h, &fmt, &s), 0);
		CHECK_EQ(s.time, 1);
		CHECK_EQ(s.id, 0xabc);
		CHECK_EQ(s.raw_size, 0);
	}
}

static void test_task_table(void)
{
	QZ_OPTS(qz_tasks_opts, o, .max_exited = 3, .no_proc = true);
	struct qz_tasks *t = qz_tasks__new(&o);
	struct rec r;

	CHECK(t);
	CHECK(!qz_tasks__comm(t, 10));
	CHECK_EQ(qz_tasks__record(t, comm_rec(&r, 10, 10, "parent", false), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 10), "parent");
	/* A thread and a child inherit the comm. */
	CHECK_EQ(qz_tasks__record(t, task_rec(&r, PERF_RECORD_FORK, 10, 10, 11, 10), &fmt), 0);
	CHECK_EQ(qz_tasks__record(t, task_rec(&r, PERF_RECORD_FORK, 20, 10, 20, 10), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 11), "parent");
	CHECK_EQ(qz_tasks__pid(t, 11), 10);
	CHECK_STR(qz_tasks__comm(t, 20), "parent");
	/* exec renames the child only. */
	CHECK_EQ(qz_tasks__record(t, comm_rec_at(&r, 20, 20, "child", true, 600), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 20), "child");
	CHECK_STR(qz_tasks__comm(t, 10), "parent");
	/* Exited tasks keep their names for late events... */
	CHECK_EQ(qz_tasks__record(t, task_rec(&r, PERF_RECORD_EXIT, 20, 10, 20, 10), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 20), "child");
	CHECK_EQ(qz_tasks__nr(t), 3);
	/* ...until max_exited newer exits push them out, oldest first. */
	for (int i = 0; i < 3; i++) {
		char name[16];

		snprintf(name, sizeof(name), "short%d", i);
		qz_tasks__set_comm(t, 100 + i, 100 + i, name);
		qz_tasks__exit(t, 100 + i, 100 + i);
		if (i < 2)
			CHECK_STR(qz_tasks__comm(t, 20), "child");
	}
	CHECK(!qz_tasks__comm(t, 20));
	CHECK_STR(qz_tasks__comm(t, 100), "short0");
	CHECK_STR(qz_tasks__comm(t, 102), "short2");
	CHECK_STR(qz_tasks__comm(t, 10), "parent"); /* live ones stay */
	/* A reused tid is alive again and no longer counts as exited. */
	qz_tasks__set_comm(t, 100, 100, "reborn");
	for (int i = 0; i < 3; i++)
		qz_tasks__exit(t, 200 + i, 200 + i); /* unknown: ignored */
	CHECK_STR(qz_tasks__comm(t, 100), "reborn");
	/* Long names are cut to the kernel's 15 characters. */
	qz_tasks__set_comm(t, 300, 300, "a-very-long-command-name");
	CHECK_STR(qz_tasks__comm(t, 300), "a-very-long-com");
	/* Many tasks: the table grows. */
	for (int i = 0; i < 5000; i++)
		qz_tasks__set_comm(t, 1000 + i, 1000 + i, "many");
	CHECK_STR(qz_tasks__comm(t, 5999), "many");
	CHECK_STR(qz_tasks__comm(t, 10), "parent");
	qz_tasks__free(t);
	qz_tasks__free(NULL);
}

/*
 * `sh -c 'taskset -c 0 prog'`: two execs, whose COMM records are read in
 * another order than they happened (two rings). Each sample gets the comm
 * of its time, never the last one read.
 */
static void test_comm_by_time(void)
{
	QZ_OPTS(qz_tasks_opts, o, .no_proc = true);
	struct qz_tasks *t = qz_tasks__new(&o);
	struct rec r;

	CHECK(t);
	CHECK_EQ(qz_tasks__record(t, comm_rec_at(&r, 40, 40, "sh", false, 1000), &fmt), 0);
	CHECK_EQ(qz_tasks__record(t, comm_rec_at(&r, 40, 40, "prog", true, 3000), &fmt), 0);
	CHECK_EQ(qz_tasks__record(t, comm_rec_at(&r, 40, 40, "taskset", true, 2000), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 40), "prog");
	CHECK_STR(qz_tasks__comm_at(t, 40, 3500), "prog");
	CHECK_STR(qz_tasks__comm_at(t, 40, 3000), "prog");
	CHECK_STR(qz_tasks__comm_at(t, 40, 2999), "taskset");
	CHECK_STR(qz_tasks__comm_at(t, 40, 2000), "taskset");
	CHECK_STR(qz_tasks__comm_at(t, 40, 1500), "sh");
	CHECK_STR(qz_tasks__comm_at(t, 40, 10), "sh");	/* before all: the oldest */
	CHECK_STR(qz_tasks__comm_at(t, 40, 0), "prog");	/* no time: the latest */
	/* A child forked at 555 (task_rec's time) gets the comm of then. */
	CHECK_EQ(qz_tasks__record(t, task_rec(&r, PERF_RECORD_FORK, 41, 40, 41, 40), &fmt), 0);
	CHECK_STR(qz_tasks__comm(t, 41), "sh");
	/* Only the last few are kept: the oldest fall off. */
	for (int i = 0; i < 10; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%d", i);
		qz_tasks__set_comm_at(t, 50, 50, name, 100 + (uint64_t)i * 10);
	}
	CHECK_STR(qz_tasks__comm_at(t, 50, 195), "n9");
	CHECK_STR(qz_tasks__comm_at(t, 50, 185), "n8");
	CHECK_STR(qz_tasks__comm_at(t, 50, 165), "n6");
	qz_tasks__free(t);
}

static void test_task_proc_fallback(void)
{
	struct qz_tasks *t = qz_tasks__new(NULL);
	char want[64] = "";
	FILE *f = fopen("/proc/self/comm", "r");

	CHECK(f && fgets(want, sizeof(want), f));
	if (f)
		fclose(f);
	want[strcspn(want, "\n")] = '\0';
	CHECK_STR(qz_tasks__comm(t, getpid()), want);
	CHECK_EQ(qz_tasks__pid(t, getpid()), getpid());
	CHECK(!qz_tasks__comm(t, 0x3fffffff));
	qz_tasks__free(t);
}

static void test_counts(void)
{
	QZ_OPTS(qz_counts, c, .val = 1000, .ena = 200, .run = 50);
	QZ_OPTS(qz_counts, sum);
	uint64_t buf[16];
	struct qz_counts got[4] = { { .sz = sizeof(got[0]) } };

	qz_counts__scale(&c);
	CHECK_EQ((long long)c.scaled, 4000);
	CHECK_EQ((long long)(c.running_pct * 100), 2500);
	CHECK(!c.not_counted);

	c = (struct qz_counts){ .sz = sizeof(c), .val = 0, .ena = 200, .run = 0 };
	qz_counts__scale(&c);
	CHECK(c.not_counted);
	CHECK_EQ((long long)c.scaled, 0);
	CHECK_EQ((long long)c.running_pct, 0);

	c = (struct qz_counts){ .sz = sizeof(c), .val = 7, .ena = 100, .run = 100 };
	qz_counts__scale(&c);
	CHECK_EQ((long long)c.scaled, 7);
	CHECK_EQ((long long)c.running_pct, 100);

	QZ_OPTS(qz_counts, a, .val = 10, .ena = 10, .run = 5);
	QZ_OPTS(qz_counts, b, .val = 30, .ena = 10, .run = 15);
	CHECK_EQ(qz_counts__add(&sum, &a), 0);
	CHECK_EQ(qz_counts__add(&sum, &b), 0);
	CHECK_EQ(sum.val, 40);
	CHECK_EQ((long long)sum.scaled, 40);	/* run 20 of ena 20 */

	/* Group read: nr, ena, run, {value, id} x 2 */
	uint64_t group[] = { 2, 1000, 500, 11, 101, 22, 102 };
	memcpy(buf, group, sizeof(group));
	CHECK_EQ(qz_counts__parse(buf, sizeof(group),
				  PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				  PERF_FORMAT_TOTAL_TIME_ENABLED |
				  PERF_FORMAT_TOTAL_TIME_RUNNING, got, 4), 2);
	CHECK_EQ(got[1].val, 22);
	CHECK_EQ(got[1].id, 102);
	CHECK_EQ((long long)got[1].scaled, 44);
	CHECK_EQ((long long)got[0].running_pct, 50);
	CHECK_EQ(qz_counts__parse(buf, sizeof(group) - 8,
				  PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				  PERF_FORMAT_TOTAL_TIME_ENABLED |
				  PERF_FORMAT_TOTAL_TIME_RUNNING, got, 4),
		 -QZ_ERR_RECORD_SHORT);
	/* Single without times is exact. */
	CHECK_EQ(qz_counts__parse(buf, 8, 0, got, 1), 1);
	CHECK_EQ(got[0].val, 2);
	CHECK_EQ((long long)got[0].scaled, 2);

	/* sz: too small is refused; a newer caller's entries are its size. */
	struct {
		struct qz_counts c;
		uint64_t later;
	} newer[2];

	c.sz = offsetof(struct qz_counts, not_counted);
	CHECK_EQ(qz_counts__scale(&c), -EINVAL);
	CHECK_EQ(qz_counts__add(&sum, &c), -EINVAL);
	CHECK_EQ(qz_counts__add(&c, &sum), -EINVAL);
	CHECK_EQ(qz_counts__parse(buf, 8, 0, &c, 1), -EINVAL);
	memset(newer, 0xa5, sizeof(newer));
	newer[0].c.sz = sizeof(newer[0]);
	CHECK_EQ(qz_counts__parse(buf, sizeof(group),
				  PERF_FORMAT_GROUP | PERF_FORMAT_ID |
				  PERF_FORMAT_TOTAL_TIME_ENABLED |
				  PERF_FORMAT_TOTAL_TIME_RUNNING, &newer[0].c, 2), 2);
	CHECK_EQ(newer[1].c.sz, sizeof(newer[1]));
	CHECK_EQ(newer[1].c.val, 22);
	CHECK_EQ(newer[1].c.id, 102);
	CHECK_EQ(newer[0].later | newer[1].later, 0);
}

int main(void)
{
	RUN(test_records);
	RUN(test_task_table);
	RUN(test_comm_by_time);
	RUN(test_task_proc_fallback);
	RUN(test_counts);
	return test_result();
}
