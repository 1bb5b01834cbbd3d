// SPDX-License-Identifier: MIT
/*
 * Spans without perf access: in a child whose seccomp filter makes
 * perf_event_open fail with EACCES, spans on two threads still begin, nest,
 * take attributes and export; they carry no counters and a reason, and the
 * reason is logged exactly once.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <quazar/quazar.h>
#include "../test.h"

#if defined(__x86_64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_SELF AUDIT_ARCH_AARCH64
#endif

static int deny_perf_event_open(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_SELF, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_perf_event_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EACCES),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(filter), .filter = filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog))
		return -errno;
	return 0;
}

static int log_lines, reason_lines;
static char first_line[512];

static void logger(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	(void)level;
	if (!log_lines++)
		snprintf(first_line, sizeof(first_line), "%s", msg);
	reason_lines += strstr(msg, "no perf counters") != NULL;
}

static struct qz_span_data seen[8];
static int nr_seen;

static int collect(const struct qz_span_data *const *spans, size_t n,
		   uint64_t deadline, void *ctx)
{
	(void)deadline;
	(void)ctx;
	for (size_t i = 0; i < n && nr_seen < 8; i++)
		seen[nr_seen++] = *spans[i];
	return 0;
}

static void *spans_on_thread(void *arg)
{
	struct qz_span_data *out = arg;
	struct qz_span *s = qz_span__begin("thread", NULL);

	*out = *qz_span__data(s);
	return (void *)(intptr_t)qz_span__end_copy(s, out);
}

static int child(void)
{
	QZ_OPTS(qz_span_exporter_opts, eo, .export = collect,
		.batch_age_ms = 10);
	struct qz_span_exporter *exp = qz_span_exporter__new(&eo);
	QZ_OPTS(qz_tracer_opts, to, .exporter = exp, .log = logger);
	struct qz_tracer *tracer = qz_tracer__new(&to);
	struct qz_span_data outer = { .sz = sizeof(outer) };
	struct qz_span_data inner = { .sz = sizeof(inner) };
	struct qz_span_data other = { .sz = sizeof(other) };
	struct qz_span_probe probe = { .sz = sizeof(probe) };
	struct qz_span *a, *b;
	pthread_t t;
	void *ret;

	qz_tracer__set_default(tracer);
	a = qz_span__begin("outer", NULL);
	b = qz_span__begin("inner", NULL);
	CHECK(a && b);
	CHECK_EQ(qz_span__set_attr(b, "k", "v"), 0);
	CHECK_EQ(qz_span__end_copy(b, &inner), 0);
	CHECK_EQ(qz_span__end_copy(a, &outer), 0);
	/* Another thread fails too, and says nothing more. */
	pthread_create(&t, NULL, spans_on_thread, &other);
	pthread_join(t, &ret);
	CHECK_EQ((intptr_t)ret, 0);
	CHECK_EQ(qz_span__probe(tracer, &probe), -EACCES);
	CHECK_STR(probe.read_path, "none");

	CHECK_EQ(inner.counters, 0);
	CHECK_EQ(outer.counters, 0);
	CHECK_EQ(other.counters, 0);
	CHECK(!memcmp(inner.parent_id, outer.ctx.span_id, 8));
	CHECK(inner.unavailable && strstr(inner.unavailable, "perf_event_open"));
	CHECK(other.unavailable == inner.unavailable);
	fprintf(stderr, "  reason: %s\n", inner.unavailable);
	fprintf(stderr, "  logged %d line(s): %s\n", log_lines, first_line);
	CHECK_EQ(reason_lines, 1);
	CHECK_EQ(log_lines, 1);

	CHECK_EQ(qz_span_exporter__flush(exp, 5000), 0);
	CHECK_EQ(nr_seen, 3);
	{
		struct qz_span_perf_attr attrs[QZ_SPAN_PERF_ATTRS_MAX];
		size_t n = qz_span_data__perf_attrs(&seen[0], attrs);
		bool reason = false;

		for (size_t i = 0; i < n; i++) {
			CHECK(strncmp(attrs[i].key, "perf.", 5) ||
			      !strcmp(attrs[i].key, "perf.cpu") ||
			      !strcmp(attrs[i].key, "perf.cpu_end") ||
			      !strcmp(attrs[i].key, "perf.migrated") ||
			      !strcmp(attrs[i].key, "perf.unavailable"));
			reason |= !strcmp(attrs[i].key, "perf.unavailable");
		}
		CHECK(reason);
	}
	qz_tracer__free(tracer);
	qz_span_exporter__free(exp);
	return test_result();
}

int main(void)
{
	int status, err;
	pid_t pid;

#ifndef AUDIT_ARCH_SELF
	return test_skip("no seccomp arch constant for this architecture");
#endif
	pid = fork();
	if (pid < 0)
		return 1;
	if (!pid) {
		err = deny_perf_event_open();
		if (err) {
			fprintf(stderr, "seccomp: %s\n", strerror(-err));
			_exit(2);
		}
		_exit(child());
	}
	waitpid(pid, &status, 0);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 2)
		return test_skip("cannot install a seccomp filter");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
