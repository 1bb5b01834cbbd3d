/* SPDX-License-Identifier: MIT */
/*
 * The task table: pid/tid -> comm from COMM/FORK/EXIT records, keeping a
 * bounded number of exited tasks so late events keep their names.
 */
#ifndef QUAZAR_TASKS_H
#define QUAZAR_TASKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/perf_event.h>
#include <quazar/common.h>
#include <quazar/event.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_tasks;

struct qz_tasks_opts {
	size_t sz;
	size_t max_exited;	/* exited tasks kept; 0 means 4096 */
	const char *proc_root;	/* default "/proc" */
	bool no_proc;		/* never read /proc (tests) */
};

QZ_API struct qz_tasks *qz_tasks__new(const struct qz_tasks_opts *opts);
QZ_API void qz_tasks__free(struct qz_tasks *tasks);
QZ_API int qz_tasks__set_comm(struct qz_tasks *tasks, pid_t pid, pid_t tid,
			      const char *comm);
/*
 * The same, taken at time (the COMM record's): records read out of time
 * order still give each sample the comm of its time. The last few comms
 * of a task are kept.
 */
QZ_API int qz_tasks__set_comm_at(struct qz_tasks *tasks, pid_t pid, pid_t tid,
				 const char *comm, uint64_t time);
/* A new task inherits its parent thread's comm. */
QZ_API int qz_tasks__fork(struct qz_tasks *tasks, pid_t pid, pid_t tid,
			  pid_t ppid, pid_t ptid);
/* Mark exited: kept until max_exited newer exits push it out. */
QZ_API void qz_tasks__exit(struct qz_tasks *tasks, pid_t pid, pid_t tid);
/* Feed a COMM/FORK/EXIT record (others ignored). */
QZ_API int qz_tasks__record(struct qz_tasks *tasks,
			    const struct perf_event_header *rec,
			    const struct qz_sample_format *fmt);
/*
 * The comm of tid (borrowed until the next change to the table); falls
 * back to /proc/PID/task/TID/comm for tasks from before tracing. NULL if
 * unknown.
 */
QZ_API const char *qz_tasks__comm(struct qz_tasks *tasks, pid_t tid);
/* The comm tid had at time (a sample's); time 0: the latest. */
QZ_API const char *qz_tasks__comm_at(struct qz_tasks *tasks, pid_t tid,
				     uint64_t time);
/* The pid (thread group) of tid, or -ENOENT. */
QZ_API pid_t qz_tasks__pid(struct qz_tasks *tasks, pid_t tid);
QZ_API size_t qz_tasks__nr(const struct qz_tasks *tasks);

#ifdef __cplusplus
}
#endif

#endif
