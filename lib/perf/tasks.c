// SPDX-License-Identifier: MIT
/*
 * The task table: tid -> (pid, comm) from COMM/FORK/EXIT records. Exited
 * tasks stay on a FIFO so samples that arrive after the exit (rings are
 * read late) still get a name; the oldest are dropped past max_exited.
 * Tasks from before tracing are looked up in /proc once and cached.
 *
 * Each task keeps its last few comms with the time it took each, so a
 * sample gets the comm of its own time whatever order the rings are read
 * in: `taskset -c 0 prog` execs on one CPU, and its COMM "prog" may be
 * read before the COMM "taskset" of the other CPU's ring.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "perf_internal.h"

#define COMM_LEN 16
#define COMM_HISTORY 3	/* older comms kept: sh -c, taskset, exec'd program */

struct old_comm {
	uint64_t time;		/* when the task took it */
	char comm[COMM_LEN];
};

struct task {
	pid_t pid, tid;
	char comm[COMM_LEN];	/* the latest */
	uint64_t comm_time;	/* since when; 0: since before tracing */
	struct old_comm old[COMM_HISTORY];	/* newest first */
	uint8_t nr_old;
	bool exited;
	struct task *hnext; /* hash chain */
	struct task *dprev, *dnext; /* exited FIFO */
};

struct qz_tasks {
	struct task **buckets;
	size_t nr_buckets; /* power of two */
	size_t nr;
	struct task *dead_head, *dead_tail; /* oldest first */
	size_t nr_dead, max_dead;
	char *proc_root;
	bool no_proc;
};

static void copy_comm(char *dst, const char *src)
{
	size_t n = strnlen(src, COMM_LEN - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

static size_t hash_tid(const struct qz_tasks *t, pid_t tid)
{
	return ((uint32_t)tid * 2654435761u) & (t->nr_buckets - 1);
}

QZ_API struct qz_tasks *qz_tasks__new(const struct qz_tasks_opts *opts)
{
	struct qz_tasks *t;

	QZ_OPTS_CHECK_OR_NULL(opts);
	t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->nr_buckets = 1024;
	t->max_dead = QZ_OPT(opts, max_exited, 0) ?: 4096;
	t->no_proc = QZ_OPT(opts, no_proc, false);
	t->proc_root = strdup(QZ_OPT(opts, proc_root, NULL) ?: "/proc");
	t->buckets = calloc(t->nr_buckets, sizeof(*t->buckets));
	if (!t->buckets || !t->proc_root) {
		qz_tasks__free(t);
		errno = ENOMEM;
		return NULL;
	}
	return t;
}

QZ_API void qz_tasks__free(struct qz_tasks *t)
{
	if (!t)
		return;
	for (size_t i = 0; t->buckets && i < t->nr_buckets; i++) {
		struct task *k = t->buckets[i], *next;

		for (; k; k = next) {
			next = k->hnext;
			free(k);
		}
	}
	free(t->buckets);
	free(t->proc_root);
	free(t);
}

static struct task *find(const struct qz_tasks *t, pid_t tid)
{
	struct task *k = t->buckets[hash_tid(t, tid)];

	while (k && k->tid != tid)
		k = k->hnext;
	return k;
}

static void dead_unlink(struct qz_tasks *t, struct task *k)
{
	if (!k->exited)
		return;
	if (k->dprev)
		k->dprev->dnext = k->dnext;
	else
		t->dead_head = k->dnext;
	if (k->dnext)
		k->dnext->dprev = k->dprev;
	else
		t->dead_tail = k->dprev;
	k->dprev = k->dnext = NULL;
	k->exited = false;
	t->nr_dead--;
}

static void remove_task(struct qz_tasks *t, struct task *k)
{
	struct task **pp = &t->buckets[hash_tid(t, k->tid)];

	while (*pp != k)
		pp = &(*pp)->hnext;
	*pp = k->hnext;
	dead_unlink(t, k);
	t->nr--;
	free(k);
}

static void grow(struct qz_tasks *t)
{
	size_t n = t->nr_buckets * 2;
	struct task **b = calloc(n, sizeof(*b));

	if (!b)
		return; /* longer chains, still correct */
	for (size_t i = 0; i < t->nr_buckets; i++) {
		struct task *k = t->buckets[i], *next;

		for (; k; k = next) {
			size_t h = ((uint32_t)k->tid * 2654435761u) & (n - 1);

			next = k->hnext;
			k->hnext = b[h];
			b[h] = k;
		}
	}
	free(t->buckets);
	t->buckets = b;
	t->nr_buckets = n;
}

/* The live entry for tid, created if needed; a dead one is revived. */
static struct task *upsert(struct qz_tasks *t, pid_t pid, pid_t tid)
{
	struct task *k = find(t, tid);
	size_t h;

	if (k) {
		dead_unlink(t, k);
		k->pid = pid;
		return k;
	}
	if (t->nr >= t->nr_buckets * 2)
		grow(t);
	k = calloc(1, sizeof(*k));
	if (!k)
		return NULL;
	k->pid = pid;
	k->tid = tid;
	h = hash_tid(t, tid);
	k->hnext = t->buckets[h];
	t->buckets[h] = k;
	t->nr++;
	return k;
}

QZ_API int qz_tasks__set_comm(struct qz_tasks *t, pid_t pid, pid_t tid,
			      const char *comm)
{
	struct task *k = upsert(t, pid, tid);

	if (!k)
		return -ENOMEM;
	copy_comm(k->comm, comm);
	return 0;
}

/* Keep comm of time in the history, newest first; the oldest falls off. */
static void add_old(struct task *k, const char *comm, uint64_t time)
{
	int i, n = k->nr_old;

	for (i = 0; i < n && k->old[i].time >= time; i++)
		;
	if (i == COMM_HISTORY)
		return;	/* older than all it keeps */
	if (n == COMM_HISTORY)
		n--;
	memmove(&k->old[i + 1], &k->old[i], (size_t)(n - i) * sizeof(k->old[0]));
	k->old[i].time = time;
	copy_comm(k->old[i].comm, comm);
	k->nr_old = (uint8_t)(n + 1);
}

QZ_API int qz_tasks__set_comm_at(struct qz_tasks *t, pid_t pid, pid_t tid,
				 const char *comm, uint64_t time)
{
	struct task *k = upsert(t, pid, tid);

	if (!k)
		return -ENOMEM;
	if (time < k->comm_time) {
		add_old(k, comm, time);	/* read after a later one */
		return 0;
	}
	if (k->comm[0])
		add_old(k, k->comm, k->comm_time);
	copy_comm(k->comm, comm);
	k->comm_time = time;
	return 0;
}

static void fork_at(struct qz_tasks *t, pid_t pid, pid_t tid, pid_t ptid,
		    uint64_t time)
{
	const char *parent = qz_tasks__comm_at(t, ptid, time);
	char comm[COMM_LEN] = "";
	struct task *k;

	if (parent)
		copy_comm(comm, parent);
	k = upsert(t, pid, tid);
	if (!k)
		return;
	memcpy(k->comm, comm, sizeof(comm));
	k->comm_time = time;
	k->nr_old = 0;	/* a reused tid: the old task's names are not this one's */
}

QZ_API int qz_tasks__fork(struct qz_tasks *t, pid_t pid, pid_t tid, pid_t ppid,
			  pid_t ptid)
{
	(void)ppid;
	fork_at(t, pid, tid, ptid, 0);
	return find(t, tid) ? 0 : -ENOMEM;
}

QZ_API void qz_tasks__exit(struct qz_tasks *t, pid_t pid, pid_t tid)
{
	struct task *k = find(t, tid);

	(void)pid;
	if (!k || k->exited)
		return;
	k->exited = true;
	k->dprev = t->dead_tail;
	k->dnext = NULL;
	if (t->dead_tail)
		t->dead_tail->dnext = k;
	else
		t->dead_head = k;
	t->dead_tail = k;
	t->nr_dead++;
	while (t->nr_dead > t->max_dead)
		remove_task(t, t->dead_head);
}

QZ_API int qz_tasks__record(struct qz_tasks *t,
			    const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt)
{
	struct qz_record r;
	int err;

	if (rec->type != PERF_RECORD_COMM && rec->type != PERF_RECORD_FORK &&
	    rec->type != PERF_RECORD_EXIT)
		return 0;
	r.sz = sizeof(r);
	err = qz_record__parse(rec, fmt, &r);
	if (err)
		return err;
	switch (r.type) {
	case PERF_RECORD_COMM:
		/* The time is the sample_id trailer's, 0 without one. */
		return qz_tasks__set_comm_at(t, (pid_t)r.comm.pid, (pid_t)r.comm.tid,
					     r.comm.comm, r.id.time);
	case PERF_RECORD_FORK:
		fork_at(t, (pid_t)r.task.pid, (pid_t)r.task.tid, (pid_t)r.task.ptid,
			r.task.time);
		return find(t, (pid_t)r.task.tid) ? 0 : -ENOMEM;
	default:
		qz_tasks__exit(t, (pid_t)r.task.pid, (pid_t)r.task.tid);
		return 0;
	}
}

/* A task that existed before tracing: ask /proc once. */
static struct task *from_proc(struct qz_tasks *t, pid_t tid)
{
	char path[512], buf[256], *p;
	struct task *k;
	pid_t pid = tid;

	snprintf(path, sizeof(path), "%s/%d/status", t->proc_root, (int)tid);
	if (qz_read_file(path, buf, sizeof(buf)) > 0 &&
	    (p = strstr(buf, "\nTgid:")))
		pid = (pid_t)atoi(p + 6);
	snprintf(path, sizeof(path), "%s/%d/comm", t->proc_root, (int)tid);
	if (qz_read_file(path, buf, sizeof(buf)) < 0)
		return NULL;
	k = upsert(t, pid, tid);
	if (k)
		copy_comm(k->comm, buf);
	return k;
}

QZ_API const char *qz_tasks__comm(struct qz_tasks *t, pid_t tid)
{
	struct task *k = find(t, tid);

	if (!k && !t->no_proc && tid > 0)
		k = from_proc(t, tid);
	return k ? k->comm : NULL;
}

QZ_API const char *qz_tasks__comm_at(struct qz_tasks *t, pid_t tid, uint64_t time)
{
	struct task *k = find(t, tid);

	if (!k && !t->no_proc && tid > 0)
		k = from_proc(t, tid);
	if (!k)
		return NULL;
	if (!time || time >= k->comm_time)
		return k->comm;
	for (int i = 0; i < k->nr_old; i++)
		if (time >= k->old[i].time || i == k->nr_old - 1)
			return k->old[i].comm;
	return k->comm;
}

QZ_API pid_t qz_tasks__pid(struct qz_tasks *t, pid_t tid)
{
	struct task *k = find(t, tid);

	if (!k && !t->no_proc && tid > 0)
		k = from_proc(t, tid);
	return k ? k->pid : -ENOENT;
}

QZ_API size_t qz_tasks__nr(const struct qz_tasks *t)
{
	return t->nr;
}
