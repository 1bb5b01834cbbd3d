// SPDX-License-Identifier: MIT
/*
 * Profilers' init under failing realloc: each growing realloc in turn
 * fails, and the block it was asked to grow must still be freed by the
 * time the session is gone (`p = realloc(p, n)` loses it). The test links
 * with --wrap=realloc and --wrap=free.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "profiler.h"
#include <quazar/output.h>
#include "../test.h"

void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);

static bool armed;
static int grows, fail_at;
static void *failed;		/* the block whose growth failed */
static bool failed_freed;

void *__wrap_realloc(void *p, size_t n)
{
	if (armed && p && n && grows++ == fail_at) {
		failed = p;
		failed_freed = false;
		return NULL;
	}
	return __real_realloc(p, n);
}

void __wrap_free(void *p)
{
	if (p && p == failed) {
		failed_freed = true;
		failed = NULL;
	}
	__real_free(p);
}

static void quiet(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	if (getenv("QZ_TEST_VERBOSE"))
		fprintf(stderr, "  log: %s\n", msg);
}

/* init with the fail_at-th growth failing; false once none was reached. */
static bool init_failing(const struct qz_profiler *prof, int argc, char **argv, int at)
{
	QZ_OPTS(qz_output_opts, oo, .json = true, .file = stdout);
	QZ_OPTS(qz_session_opts, so, .log = quiet);
	struct qz_profiler_args *args;
	struct qz_output *out;
	struct qz_session *s;
	bool reached;
	void *ctx = NULL;
	char err[512];
	int ret;

	args = qz_profiler_args__parse(prof, argc, argv, err, sizeof(err));
	CHECK(args);
	if (!args) {
		fprintf(stderr, "%s: %s\n", prof->name, err);
		return false;
	}
	out = qz_output__new(&oo);
	s = out ? qz_profiler_args__session(args, out, &so) : NULL;
	CHECK(s);
	failed = NULL;
	failed_freed = true;
	grows = 0;
	fail_at = at;
	armed = true;
	ret = s ? prof->ops.init(s, &ctx) : -ENOMEM;
	armed = false;
	reached = grows > at;
	if (!ret && prof->ops.deinit)
		prof->ops.deinit(ctx);
	qz_session__free(s);
	qz_output__free(out);
	qz_profiler_args__free(args);
	if (reached && !failed_freed) {
		fprintf(stderr, "%s: growth %d failed (init returned %d): the old block leaked\n",
			prof->name, at, ret);
		test_failures++;
		failed = NULL;
	}
	return reached;
}

static void run(const char *name, int argc, char **argv)
{
	const struct qz_profiler *prof = qz_profiler__find(name);
	int at = 0;

	CHECK(prof);
	if (!prof)
		return;
	while (at < 500 && init_failing(prof, argc, argv, at))
		at++;
	fprintf(stderr, "%s: %d growing reallocs failed in turn\n", name, at);
	CHECK(at > 0);
}

static void test_multi_trace(void)
{
	char *argv[] = { "multi-trace", "-e", "cpu-clock", "-e", "page-faults",
			 "-e", "cpu-migrations", "-e", "context-switches", NULL };

	run("multi-trace", 9, argv);
}

static void test_kmemleak(void)
{
	char *argv[] = { "kmemleak", "--alloc", "kmem:kmalloc//ptr=ptr/size=bytes_alloc/",
			 "--free", "kmem:kfree//ptr=ptr/", NULL };

	if (access("/sys/kernel/tracing/events/kmem/kmalloc/format", R_OK) &&
	    access("/sys/kernel/debug/tracing/events/kmem/kmalloc/format", R_OK)) {
		fprintf(stderr, "kmemleak part skipped: kmem:kmalloc's format is not readable\n");
		return;
	}
	run("kmemleak", 5, argv);
}

int main(void)
{
	RUN(test_multi_trace);
	RUN(test_kmemleak);
	return test_result();
}
