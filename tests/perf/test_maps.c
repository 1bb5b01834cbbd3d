// SPDX-License-Identifier: MIT
/* CPU and thread maps: list parsing, bad input, pid expansion, refcounts. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <quazar/cpumap.h>
#include <quazar/threadmap.h>
#include "../test.h"

static void test_cpu_lists(void)
{
	char err[256];
	struct qz_cpu_map *m = qz_cpu_map__new("0-3,6", err, sizeof(err));

	CHECK(m);
	CHECK_EQ(qz_cpu_map__nr(m), 5);
	CHECK_EQ(qz_cpu_map__cpu(m, 0), 0);
	CHECK_EQ(qz_cpu_map__cpu(m, 3), 3);
	CHECK_EQ(qz_cpu_map__cpu(m, 4), 6);
	CHECK_EQ(qz_cpu_map__cpu(m, 5), -1);
	CHECK_EQ(qz_cpu_map__idx(m, 6), 4);
	CHECK_EQ(qz_cpu_map__idx(m, 5), -ENOENT);
	CHECK(qz_cpu_map__get(m) == m);
	qz_cpu_map__put(m);
	qz_cpu_map__put(m);

	/* Unsorted, duplicated, spaces after commas. */
	m = qz_cpu_map__new("7,1-2, 2,0", err, sizeof(err));
	CHECK(m);
	CHECK_EQ(qz_cpu_map__nr(m), 4);
	CHECK_EQ(qz_cpu_map__cpu(m, 0), 0);
	CHECK_EQ(qz_cpu_map__cpu(m, 3), 7);
	qz_cpu_map__put(m);

	m = qz_cpu_map__new("5", NULL, 0);
	CHECK_EQ(qz_cpu_map__nr(m), 1);
	CHECK_EQ(qz_cpu_map__cpu(m, 0), 5);
	qz_cpu_map__put(m);
}

static void test_cpu_bad_lists(void)
{
	static const struct {
		const char *list, *msg;
	} bad[] = {
		{ "", "empty list" },
		{ "a", "column 0: expected a number" },
		{ "1-", "column 2: expected a number after '-'" },
		{ "3-1", "range runs backwards" },
		{ "1,", "trailing ','" },
		{ "1;2", "column 1: expected ',' or '-'" },
		{ "-1", "column 0: expected a number" },
		{ "99999999", "number too large" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char err[256] = "";
		struct qz_cpu_map *m;

		errno = 0;
		m = qz_cpu_map__new(bad[i].list, err, sizeof(err));
		CHECK(!m);
		CHECK_EQ(errno, EINVAL);
		if (!strstr(err, bad[i].msg)) {
			fprintf(stderr, "\"%s\": message \"%s\" lacks \"%s\"\n",
				bad[i].list, err, bad[i].msg);
			test_failures++;
		}
		qz_cpu_map__put(m);
	}
}

static void test_cpu_online_any(void)
{
	struct qz_cpu_map *m = qz_cpu_map__new_online();
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	CHECK(m);
	CHECK_EQ(qz_cpu_map__nr(m), n);
	CHECK_EQ(qz_cpu_map__cpu(m, 0), 0);
	qz_cpu_map__put(m);
	m = qz_cpu_map__new(NULL, NULL, 0);
	CHECK_EQ(qz_cpu_map__nr(m), n);
	qz_cpu_map__put(m);
	m = qz_cpu_map__new_any();
	CHECK_EQ(qz_cpu_map__nr(m), 1);
	CHECK_EQ(qz_cpu_map__cpu(m, 0), -1);
	qz_cpu_map__put(m);
	qz_cpu_map__put(NULL);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage;
static pid_t thread_tid;

static void *thread_fn(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	thread_tid = (pid_t)syscall(SYS_gettid);
	stage = 1;
	pthread_cond_broadcast(&cond);
	while (stage != 2)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void test_thread_maps(void)
{
	pid_t self = getpid(), tids[] = { 11, 12, 11 };
	struct qz_thread_map *m;
	char err[256] = "";
	char list[64];
	pthread_t th;
	bool saw_main = false, saw_thread = false;

	pthread_create(&th, NULL, thread_fn, NULL);
	pthread_mutex_lock(&lock);
	while (stage != 1)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);

	/* A pid becomes all its threads. */
	m = qz_thread_map__new_pids(&self, 1);
	CHECK(m);
	CHECK_EQ(qz_thread_map__nr(m), 2);
	for (int i = 0; i < qz_thread_map__nr(m); i++) {
		saw_main |= qz_thread_map__tid(m, i) == self;
		saw_thread |= qz_thread_map__tid(m, i) == thread_tid;
	}
	CHECK(saw_main && saw_thread);
	qz_thread_map__put(m);

	snprintf(list, sizeof(list), "%d", (int)self);
	m = qz_thread_map__new_str(list, "1", err, sizeof(err));
	CHECK_EQ(qz_thread_map__nr(m), 3);
	qz_thread_map__put(m);

	pthread_mutex_lock(&lock);
	stage = 2;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	pthread_join(th, NULL);

	m = qz_thread_map__new_tids(tids, 3);
	CHECK_EQ(qz_thread_map__nr(m), 2);
	CHECK_EQ(qz_thread_map__tid(m, 1), 12);
	CHECK(qz_thread_map__get(m) == m);
	qz_thread_map__put(m);
	qz_thread_map__put(m);

	m = qz_thread_map__new_any();
	CHECK_EQ(qz_thread_map__nr(m), 1);
	CHECK_EQ(qz_thread_map__tid(m, 0), -1);
	qz_thread_map__put(m);

	errno = 0;
	CHECK(!qz_thread_map__new_str("4194304", NULL, err, sizeof(err)));
	CHECK_EQ(errno, ESRCH);
	CHECK(strstr(err, "no process with pid 4194304"));
	errno = 0;
	CHECK(!qz_thread_map__new_str("12x", NULL, err, sizeof(err)));
	CHECK_EQ(errno, EINVAL);
	CHECK(!qz_thread_map__new_str(NULL, NULL, err, sizeof(err)));
}

int main(void)
{
	RUN(test_cpu_lists);
	RUN(test_cpu_bad_lists);
	RUN(test_cpu_online_any);
	RUN(test_thread_maps);
	return test_result();
}
