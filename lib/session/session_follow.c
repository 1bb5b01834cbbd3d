// SPDX-License-Identifier: MIT
/*
 * --ptrace: follow the threads and processes that the traced tasks (-p,
 * -t, -- cmd) create. Each is attached with PTRACE_SEIZE and the options
 * that stop it at clone, fork and vfork; the new task starts traced and
 * stopped, its events are opened (the handler's ops->thread, or by
 * default a copy of every event for it), and only then does it run.
 *
 * Stops reach the loop as QZ_SESSION_CHILD requests (the CLI's SIGCHLD
 * handler) and, in case none comes, on the drain timer. The workload's
 * own exit is left for the session to reap (waitid with WSTOPPED only).
 * At the end every live tracee is stopped and detached, so a process
 * followed with -p goes on untouched.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include "session_internal.h"

#define PTRACE_OPTIONS \
	(PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK)

struct tracee {
	pid_t tid;
	bool started;		/* its first stop was seen and resumed */
	bool gone;
};

struct session_follow {
	struct tracee *t;
	int nr, cap;
	pid_t leader;		/* the workload: the session reaps it */
	uint64_t followed;	/* tasks found after the start */
};

static struct session_follow *follow_get(struct qz_session *s)
{
	if (!s->follow)
		s->follow = calloc(1, sizeof(*s->follow));
	return s->follow;
}

static struct tracee *find(struct session_follow *f, pid_t tid)
{
	for (int i = 0; i < f->nr; i++)
		if (f->t[i].tid == tid && !f->t[i].gone)
			return &f->t[i];
	return NULL;
}

static struct tracee *add(struct session_follow *f, pid_t tid, bool started)
{
	struct tracee *t = find(f, tid);

	if (t)
		return t;
	if (f->nr == f->cap) {
		int ncap = f->cap ? f->cap * 2 : 16;
		struct tracee *n = realloc(f->t, (size_t)ncap * sizeof(*n));

		if (!n)
			return NULL;
		f->t = n;
		f->cap = ncap;
	}
	t = &f->t[f->nr++];
	*t = (struct tracee){ .tid = tid, .started = started };
	return t;
}

QZ_API int qz_session__follow(struct qz_session *s, int tid)
{
	struct session_follow *f = follow_get(s);

	if (!f)
		return -ENOMEM;
	if (find(f, tid))
		return 0;
	if (ptrace(PTRACE_SEIZE, tid, NULL, (void *)(long)PTRACE_OPTIONS)) {
		int err = -errno;

		qz_log(&s->log, QZ_LOG_ERROR, "--ptrace: cannot attach to %d: %s", tid,
		       qz_strerror(err));
		return err;
	}
	return add(f, tid, true) ? 0 : -ENOMEM;
}

QZ_API int qz_session__add_clone(struct qz_session *s, int index, int tid,
				 const char *filter)
{
	struct session_event *ev;
	struct qz_thread_map *threads = NULL;
	pid_t t = tid;

	if (index < 0 || index >= s->nr_events || !s->evlist)
		return -EINVAL;
	ev = &s->events[index];
	if (!filter && !ev->user_filter)
		filter = ev->spec->filter;	/* the kernel took it for the original */
	if (tid >= 0 && !(threads = qz_thread_map__new_tids(&t, 1)))
		return -ENOMEM;
	if (tid < 0 && !(threads = qz_thread_map__new_any()))
		return -ENOMEM;
	if (!qz_evlist__add_clone(s->evlist, ev->evsel, threads, filter)) {
		int err = -errno;

		qz_thread_map__put(threads);
		return err;
	}
	qz_thread_map__put(threads);
	return 0;
}

/* A task we did not start: open what follows it, then let it run. */
static void new_task(struct qz_session *s, pid_t tid, pid_t parent)
{
	s->follow->followed++;
	qz_log(&s->log, QZ_LOG_DEBUG, "--ptrace: %d created %d", parent, tid);
	if (s->ops->thread) {
		s->ops->thread(s->ctx, tid, parent);
		return;
	}
	for (int i = 0; i < s->nr_events; i++)
		if (qz_session__add_clone(s, i, tid, NULL))
			break;	/* logged; the task runs unfollowed */
}

static void on_stop(struct qz_session *s, pid_t tid, int sig)
{
	struct session_follow *f = s->follow;
	struct tracee *t = find(f, tid);
	siginfo_t si;
	unsigned long msg = 0;

	if (!t)
		return;
	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si)) {
		/* A group-stop, or a new task's first stop (PTRACE_EVENT_STOP). */
		if (!t->started) {
			t->started = true;
			ptrace(PTRACE_CONT, tid, NULL, NULL);
		} else {
			ptrace(PTRACE_LISTEN, tid, NULL, NULL);
		}
		return;
	}
	switch (si.si_signo == SIGTRAP ? si.si_code >> 8 : 0) {
	case PTRACE_EVENT_CLONE:
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
		if (!ptrace(PTRACE_GETEVENTMSG, tid, NULL, &msg) &&
		    !find(f, (pid_t)msg) && add(f, (pid_t)msg, false))
			new_task(s, (pid_t)msg, tid);
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		break;
	case 0:
		if (!t->started && sig == SIGSTOP) {
			t->started = true;	/* the first stop of a new task */
			ptrace(PTRACE_CONT, tid, NULL, NULL);
			break;
		}
		/* A signal for the task: deliver it. */
		ptrace(PTRACE_CONT, tid, NULL, (void *)(long)si.si_signo);
		break;
	default:
		ptrace(PTRACE_CONT, tid, NULL, NULL);
		break;
	}
}

void qz__follow_poll(struct qz_session *s)
{
	struct session_follow *f = s->follow;

	if (!f)
		return;
	/* The list grows as tasks are found: index, never pointers. */
	for (int i = 0; i < f->nr; i++) {
		pid_t tid = f->t[i].tid;
		siginfo_t si;

		if (f->t[i].gone)
			continue;
		for (;;) {
			memset(&si, 0, sizeof(si));
			if (waitid(P_PID, (id_t)tid, &si, WSTOPPED | WNOHANG | __WALL) ||
			    !si.si_pid)
				break;
			on_stop(s, tid, si.si_status);
		}
		if (tid == f->leader)
			continue;	/* the session reaps the workload */
		memset(&si, 0, sizeof(si));
		if (!waitid(P_PID, (id_t)tid, &si, WEXITED | WNOHANG | __WALL) ? si.si_pid != 0 :
		    errno == ECHILD)
			f->t[i].gone = true;
	}
}

int qz__follow_start(struct qz_session *s)
{
	struct qz_env *env = s->env;
	struct qz_thread_map *threads;
	int err = 0;

	/* A handler may follow the workload without --ptrace (task-state -- cmd). */
	if (s->follow && s->workload)
		s->follow->leader = qz_workload__pid(s->workload);
	if (!env->ptrace)
		return 0;
	if (env->inherit) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "--ptrace and --inherit both follow new threads; give one");
		return -QZ_ERR_OPTION;
	}
	if (s->counting) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "--ptrace follows threads for sampled events; counting follows them with --inherit");
		return -QZ_ERR_OPTION;
	}
	if (s->workload) {
		/* Held before exec: attached before it runs a single instruction. */
		s->follow = follow_get(s);
		if (!s->follow)
			return -ENOMEM;
		s->follow->leader = qz_workload__pid(s->workload);
		if (!find(s->follow, s->follow->leader))
			err = qz_session__follow(s, s->follow->leader);
		return err;
	}
	if (s->system_wide)
		return 0;	/* the handler chose whom (qz_session__follow) */
	threads = qz_evlist__threads(s->evlist);
	if (!threads || qz_thread_map__tid(threads, 0) < 0) {
		qz_log(&s->log, QZ_LOG_ERROR,
		       "--ptrace follows the threads of -p, -t or -- cmd; give one of them");
		return -QZ_ERR_OPTION;
	}
	for (int i = 0; i < qz_thread_map__nr(threads) && !err; i++)
		err = qz_session__follow(s, qz_thread_map__tid(threads, i));
	return err;
}

/* Stop a live tracee and let it go; a pending signal goes with it. */
static void detach(pid_t tid)
{
	struct timespec pause = { 0, 1000000 };
	siginfo_t si;

	if (ptrace(PTRACE_INTERRUPT, tid, NULL, NULL))
		return;		/* gone */
	for (int tries = 0; tries < 200; tries++) {
		int sig = 0;

		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)tid, &si, WSTOPPED | WNOHANG | __WALL))
			return;
		if (!si.si_pid) {
			nanosleep(&pause, NULL);
			continue;
		}
		if (!ptrace(PTRACE_GETSIGINFO, tid, NULL, &si) && si.si_signo != SIGTRAP)
			sig = si.si_signo;
		ptrace(PTRACE_DETACH, tid, NULL, (void *)(long)sig);
		return;
	}
}

void qz__follow_free(struct qz_session *s)
{
	struct session_follow *f = s->follow;

	if (!f)
		return;
	for (int i = 0; i < f->nr; i++)
		if (!f->t[i].gone)
			detach(f->t[i].tid);
	free(f->t);
	free(f);
	s->follow = NULL;
}
