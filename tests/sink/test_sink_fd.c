// SPDX-License-Identifier: MIT
/* The fd and file sinks: rotation keeps every line in order; a closed pipe
 * is an error, reported and counted, never silent. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "sink.h"
#include "../test.h"

static char last_log[512];
static int errors_logged;

static void on_log(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == QZ_LOG_ERROR)
		errors_logged++;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : (long)st.st_size;
}

/* Reads path's lines; checks each is {"seq":N...} with N = *next, *next+1.. */
static int check_lines(const char *path, unsigned int *next)
{
	char line[256];
	int lines = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned int seq = 0;

		CHECK(sscanf(line, "{\"seq\":%u,", &seq) == 1);
		if (*next && seq != *next)
			fprintf(stderr, "%s: seq %u, want %u\n", path, seq, *next);
		CHECK(!*next || seq == *next);
		*next = seq + 1;
		CHECK(line[strlen(line) - 1] == '\n');
		lines++;
	}
	fclose(f);
	return lines;
}

static void test_rotation(void)
{
	char path[64], name[80], line[128];
	QZ_OPTS(qz_sink_file_opts, o, .log_fn = on_log, .max_bytes = 1000,
		.max_files = 3);
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s;
	unsigned int next = 0;
	int lines = 0;

	snprintf(path, sizeof(path), "/tmp/qz-file-%d.jsonl", getpid());
	s = qz_sink__new_file(path, &o);
	CHECK(s);
	if (!s)
		return;
	CHECK_STR(qz_sink__type(s), "file");
	for (unsigned int i = 1; i <= 100; i++) {
		/* Lines of 40..49 bytes, with and without their newline. */
		int n = snprintf(line, sizeof(line), "{\"seq\":%u,\"pad\":\"%.*s\"}%s",
				 i, (int)(i % 10) + 18, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
				 i % 2 ? "\n" : "");

		CHECK_EQ(qz_sink__write(s, line, (size_t)n, NULL), 0);
	}
	CHECK_EQ(qz_sink__flush(s, 1000), 0);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.written, 100);
	CHECK_EQ(st.delivered, 100);
	CHECK_EQ(st.errors, 0);
	CHECK(st.rotations >= 3);
	CHECK_EQ(qz_sink__close(s, 1000), 0);
	CHECK_EQ(qz_sink__write(s, "{}", 2, NULL), -ESHUTDOWN);
	qz_sink__free(s);

	/* path.3 (oldest) .. path.1, path: sizes bounded, lines consecutive. */
	for (int i = 3; i >= 0; i--) {
		int n;

		if (i)
			snprintf(name, sizeof(name), "%s.%d", path, i);
		else
			snprintf(name, sizeof(name), "%s", path);
		CHECK(file_size(name) > 0 && file_size(name) <= 1000);
		n = check_lines(name, &next);
		CHECK(n > 0);
		lines += n;
		/* Full files were rotated only when the next line did not fit. */
		if (i)
			CHECK(file_size(name) > 1000 - 60);
		unlink(name);
	}
	snprintf(name, sizeof(name), "%s.4", path);
	CHECK_EQ(file_size(name), -1);
	CHECK_EQ(next, 101);	/* the newest line is last */
	CHECK(lines >= 60);	/* 3 rotated files of 20+ lines + current */
}

static void test_closed_pipe(void)
{
	QZ_OPTS(qz_sink_fd_opts, o, .log_fn = on_log, .close_fd = true);
	struct qz_sink_stats st = { .sz = sizeof(st) };
	struct qz_sink *s;
	int p[2];

	CHECK_EQ(pipe(p), 0);
	s = qz_sink__new_fd(p[1], &o);
	CHECK(s);
	if (!s)
		return;
	CHECK_EQ(qz_sink__write(s, "{\"a\":1}", 7, NULL), 0);
	{
		char buf[16] = { 0 };

		CHECK_EQ(read(p[0], buf, sizeof(buf)), 8);
		CHECK_STR(buf, "{\"a\":1}\n");
	}
	close(p[0]);
	errors_logged = 0;
	/* SIGPIPE would kill this test: the sink must turn it into EPIPE. */
	CHECK_EQ(qz_sink__write(s, "{\"a\":2}\n", 8, NULL), -EPIPE);
	CHECK_EQ(qz_sink__write(s, "{\"a\":3}\n", 8, NULL), -EPIPE);
	CHECK_EQ(qz_sink__flush(s, 0), -EPIPE);
	qz_sink__stats(s, &st);
	CHECK_EQ(st.written, 3);
	CHECK_EQ(st.delivered, 1);
	CHECK_EQ(st.errors, 2);
	CHECK_EQ(errors_logged, 1);	/* logged once, counted twice */
	CHECK(strstr(last_log, "Broken pipe"));
	qz_sink__free(s);
}

static void test_bad_args(void)
{
	errno = 0;
	CHECK(!qz_sink__new_fd(-1, NULL));
	CHECK_EQ(errno, EBADF);
	CHECK(!qz_sink__new_file("/nonexistent-dir/x/y", NULL));
	CHECK_EQ(errno, ENOENT);
	CHECK_EQ(qz_sink__write(NULL, "x", 1, NULL), -EINVAL);
	qz_sink__free(NULL);
}

int main(void)
{
	RUN(test_rotation);
	RUN(test_closed_pipe);
	RUN(test_bad_args);
	return test_result();
}
