// SPDX-License-Identifier: MIT
/*
 * The worker pool: two workers pinned to CPUs 0 and 1 run every task on
 * their own CPU (sched_getcpu checked inside the task), each task's span
 * is measured on its worker and is a child of the submitter's span, drain
 * and cancel, a full queue, a task that ends its thread, and one that
 * crashes the process.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <quazar/quazar.h>
#include "../test.h"

#define TASKS 200

struct job {
	int started;
	int cpu_in;		/* sched_getcpu at the start and the end */
	int cpu_out;
	int pages;		/* touch this many new pages */
	int sleep_ms;
};

static void *work(void *arg, struct qz_span *span)
{
	struct job *j = arg;

	j->cpu_in = sched_getcpu();
	__atomic_store_n(&j->started, 1, __ATOMIC_RELEASE);
	qz_span__set_attr_i64(span, "job.pages", j->pages);
	if (j->pages) {
		size_t len = (size_t)j->pages * 4096;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		madvise(p, len, MADV_NOHUGEPAGE);
		for (size_t i = 0; i < len; i += 4096)
			p[i] = 1;
		munmap(p, len);
	}
	if (j->sleep_ms)
		usleep((useconds_t)j->sleep_ms * 1000);
	j->cpu_out = sched_getcpu();
	return (void *)(intptr_t)(qz_pool__current_cpu() + 100);
}

static void test_pinned(void)
{
	QZ_OPTS(qz_pool_opts, o, .cpus = "0-1");
	struct qz_pool *pool = qz_pool__new(&o);
	static struct job jobs[TASKS];
	struct qz_task *t[TASKS];
	struct qz_task_result r = { .sz = sizeof(r) };
	int per_cpu[2] = { 0 }, wrong = 0;
	struct qz_span *parent;
	struct qz_span_data pd = { .sz = sizeof(pd) };

	CHECK(pool);
	if (!pool)
		return;
	CHECK_EQ(qz_pool__nr_workers(pool), 2);
	parent = qz_span__begin("request", NULL);
	pd = *qz_span__data(parent);
	for (int i = 0; i < TASKS; i++) {
		jobs[i] = (struct job){ .pages = i % 10 == 0 ? 1000 : 0 };
		t[i] = qz_pool__submit(pool, work, &jobs[i]);
		CHECK(t[i]);
	}
	for (int i = 0; i < TASKS; i++) {
		if (!t[i])
			continue;
		CHECK_EQ(qz_task__wait(t[i], &r), 0);
		CHECK(r.cpu == 0 || r.cpu == 1);
		if (r.cpu != 0 && r.cpu != 1)
			continue;
		per_cpu[r.cpu]++;
		wrong += jobs[i].cpu_in != r.cpu || jobs[i].cpu_out != r.cpu;
		CHECK_EQ((intptr_t)r.ret, r.cpu + 100);
		/* The task's span: a child of the submitter's, on the worker. */
		CHECK(!memcmp(r.span.parent_id, pd.ctx.span_id, 8));
		CHECK(!memcmp(r.span.ctx.trace_id, pd.ctx.trace_id, 16));
		CHECK_STR(r.span.name, "pool.task");
		CHECK(r.span.tid != gettid());
		CHECK_EQ(r.span.cpu_start, r.cpu);
		CHECK(!(r.span.flags & QZ_SPAN_F_MIGRATED));
		if (r.span.counters) {
			CHECK_EQ(r.span.values[QZ_SPAN_CPU_MIGRATIONS], 0);
			if (jobs[i].pages)
				CHECK(r.span.values[QZ_SPAN_PAGE_FAULTS] >= 1000);
		}
	}
	qz_span__end(parent);
	fprintf(stderr, "  %d tasks on CPU 0, %d on CPU 1, %d off their CPU\n",
		per_cpu[0], per_cpu[1], wrong);
	CHECK_EQ(wrong, 0);
	CHECK_EQ(per_cpu[0] + per_cpu[1], TASKS);
	qz_pool__free(pool);
}

static void test_named_and_detached(void)
{
	QZ_OPTS(qz_pool_opts, o, .cpus = "0", .queue = 4);
	QZ_OPTS(qz_submit_opts, so, .name = "named");
	struct qz_pool *pool = qz_pool__new(&o);
	struct job jobs[8] = { 0 };
	struct qz_task *t[8];
	struct qz_task_result r = { .sz = sizeof(r) };
	int again = 0;

	/* A new root span when the submitter has none open. */
	t[0] = qz_pool__submit_opts(pool, work, &jobs[0], &so);
	/* A result struct too small is refused, and the handle kept. */
	r.sz = 16;
	CHECK_EQ(qz_task__wait(t[0], &r), -EINVAL);
	r.sz = sizeof(r);
	CHECK_EQ(qz_task__wait(t[0], &r), 0);
	CHECK_STR(r.span.name, "named");
	CHECK(!qz_span_data__has_parent(&r.span));
	/* Under a span continued from a traceparent: a local parent. */
	{
		QZ_OPTS(qz_span_opts, tp, .traceparent =
			"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
		struct qz_span *req = qz_span__begin("server", &tp);

		CHECK(qz_span__data(req)->parent_remote);
		t[0] = qz_pool__submit(pool, work, &jobs[0]);
		CHECK_EQ(qz_task__wait(t[0], &r), 0);
		CHECK(!memcmp(r.span.parent_id, qz_span__data(req)->ctx.span_id, 8));
		CHECK(!r.span.parent_remote);
		qz_span__end(req);
	}
	fprintf(stderr, "  submit to start: %llu ns\n",
		(unsigned long long)r.queue_ns);
	/* Four handles: the fifth submit finds none. */
	for (int i = 0; i < 8; i++) {
		jobs[i].sleep_ms = 5;
		t[i] = qz_pool__submit(pool, work, &jobs[i]);
		again += !t[i] && errno == EAGAIN;
	}
	CHECK_EQ(again, 4);
	/* A detached handle comes back by itself. */
	for (int i = 0; i < 4; i++)
		qz_task__detach(t[i]);
	CHECK_EQ(qz_task__wait(NULL, &r), -EINVAL);
	CHECK_EQ(qz_pool__shutdown(pool, QZ_POOL_DRAIN), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(jobs[i].cpu_out, 0);
	errno = 0;
	CHECK(!qz_pool__submit(pool, work, &jobs[0]));
	CHECK_EQ(errno, ESHUTDOWN);
	qz_pool__free(pool);
}

static void test_cancel(void)
{
	QZ_OPTS(qz_pool_opts, o, .cpus = "0");
	struct qz_pool *pool = qz_pool__new(&o);
	struct job jobs[10] = { 0 };
	struct qz_task *t[10];
	struct qz_task_result r = { .sz = sizeof(r) };
	int ran = 0, cancelled = 0;

	for (int i = 0; i < 10; i++) {
		jobs[i].sleep_ms = 20;
		t[i] = qz_pool__submit(pool, work, &jobs[i]);
	}
	/* Cancel once the first task runs (however loaded the machine). */
	for (int i = 0; i < 5000 && !__atomic_load_n(&jobs[0].started,
						     __ATOMIC_ACQUIRE); i++)
		usleep(1000);
	CHECK_EQ(qz_pool__shutdown(pool, QZ_POOL_CANCEL), 0);
	for (int i = 0; i < 10; i++) {
		int status = qz_task__wait(t[i], &r);

		ran += status == 0;
		cancelled += status == -ECANCELED;
		CHECK_EQ(status, r.status);
	}
	fprintf(stderr, "  cancel: %d ran, %d cancelled\n", ran, cancelled);
	CHECK(ran >= 1 && ran <= 2);	/* the one running finishes */
	CHECK_EQ(ran + cancelled, 10);
	qz_pool__free(pool);
}

static void *exit_thread(void *arg, struct qz_span *span)
{
	(void)arg;
	(void)span;
	pthread_exit(NULL);
}

static int errors;

static void logger(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == QZ_LOG_ERROR) {
		errors++;
		fprintf(stderr, "  logged: %s\n", msg);
	}
}

static void test_task_ends_thread(void)
{
	QZ_OPTS(qz_pool_opts, o, .cpus = "0-1", .log = logger);
	struct qz_pool *pool = qz_pool__new(&o);
	struct qz_task_result r = { .sz = sizeof(r) };
	struct job j = { 0 };

	errors = 0;
	CHECK_EQ(qz_task__wait(qz_pool__submit(pool, exit_thread, NULL), &r),
		 -EOWNERDEAD);
	CHECK_EQ(errors, 1);
	CHECK_STR(r.span.name, "pool.task");
	/* One worker is left, and it still works. */
	CHECK_EQ(qz_task__wait(qz_pool__submit(pool, work, &j), &r), 0);
	CHECK_EQ(qz_task__wait(qz_pool__submit(pool, exit_thread, NULL), &r),
		 -EOWNERDEAD);
	errno = 0;
	CHECK(!qz_pool__submit(pool, work, &j));
	CHECK_EQ(errno, EOWNERDEAD);
	qz_pool__free(pool);
}

static void *crash(void *arg, struct qz_span *span)
{
	(void)span;
	return (void *)(intptr_t)*(volatile int *)arg;
}

/* A fault in a task is the process's fault: it dies of the signal. */
static void test_task_crashes(void)
{
	int status;
	pid_t pid = fork();

	if (!pid) {
		QZ_OPTS(qz_pool_opts, o, .cpus = "0");
		struct qz_pool *pool = qz_pool__new(&o);

		signal(SIGSEGV, SIG_DFL);
		qz_task__wait(qz_pool__submit(pool, crash, NULL), NULL);
		_exit(0);	/* not reached */
	}
	waitpid(pid, &status, 0);
	fprintf(stderr, "  the child %s\n", WIFSIGNALED(status) ?
		strsignal(WTERMSIG(status)) : "exited");
	CHECK(WIFSIGNALED(status));
}

static void test_bad_cpus(void)
{
	QZ_OPTS(qz_pool_opts, o, .cpus = "0,x");

	errno = 0;
	CHECK(!qz_pool__new(&o));
	CHECK_EQ(errno, EINVAL);
	o.cpus = "4000";
	CHECK(!qz_pool__new(&o));
	qz_pool__free(NULL);
	CHECK_EQ(qz_pool__current_cpu(), -1);
}

int main(void)
{
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return test_skip("needs CPUs 0 and 1");
	RUN(test_pinned);
	RUN(test_named_and_detached);
	RUN(test_cancel);
	RUN(test_task_ends_thread);
	RUN(test_task_crashes);
	RUN(test_bad_cpus);
	qz_span__close_thread();
	return test_result();
}
