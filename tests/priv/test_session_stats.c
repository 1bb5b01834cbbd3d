// SPDX-License-Identifier: MIT
/*
 * The agent's HTTP thread reads a session's stats while the collector's
 * thread counts into them: the counters are read and written atomically
 * (run under ThreadSanitizer, a plain read here is a reported race). Here:
 * a session samples cpu-clock at 10 kHz while another thread reads its
 * stats; every read is consistent and the counts only grow.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/output.h>
#include <quazar/session.h>
#include "../test.h"

static int init(struct qz_session *s, void **ctx)
{
	*ctx = NULL;
	qz_session__set_sampling(s, 100000, 0);	/* every 100 us of CPU */
	return qz_session__add_events(s, "cpu-clock", 0) < 0 ? -1 : 0;
}

static void sample(void *ctx, const struct qz_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void *run(void *arg)
{
	return (void *)(long)qz_session__run(arg);
}

static void test_concurrent_reads(void)
{
	static const struct qz_session_ops ops = { .init = init, .sample = sample,
						   .any_order = true };
	QZ_OPTS(qz_output_opts, oo, .file = stdout);
	struct qz_session_stats st = { .sz = sizeof(st) }, prev = { .sz = sizeof(prev) };
	struct qz_env *env = qz_env__new();
	struct qz_output *out = qz_output__new(&oo);
	struct qz_session *s;
	struct timespec end, now;
	pthread_t t;
	void *ret;
	long reads = 0;

	CHECK(env && out);
	if (!env || !out)
		return;
	env->cpus = strdup("0");
	s = qz_session__new(&ops, NULL, env, out, NULL);
	CHECK(s);
	if (!s)
		return;
	CHECK_EQ(pthread_create(&t, NULL, run, s), 0);
	clock_gettime(CLOCK_MONOTONIC, &end);
	end.tv_sec += 1;
	do {
		/* Burn CPU 0's clock a little, and read. */
		qz_session__stats(s, &st);
		CHECK(st.samples >= prev.samples && st.lost >= prev.lost);
		prev = st;
		reads++;
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (now.tv_sec < end.tv_sec ||
		 (now.tv_sec == end.tv_sec && now.tv_nsec < end.tv_nsec));
	qz_session__stop(s);
	pthread_join(t, &ret);
	qz_session__stats(s, &st);
	fprintf(stderr, "%ld reads, %llu samples\n", reads, (unsigned long long)st.samples);
	CHECK_EQ((long)ret, 0);
	CHECK(st.samples > 0);
	qz_session__free(s);
	qz_output__free(out);
	qz_env__free(env);
}

int main(void)
{
	if (!test_require_root())
		return test_skip("needs root for perf_event_open");
	RUN(test_concurrent_reads);
	return test_result();
}
