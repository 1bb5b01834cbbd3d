/* SPDX-License-Identifier: MIT */
/* Running peer tools as child processes and measuring their CPU time. */
#ifndef QUAZAR_BENCH_PROC_H
#define QUAZAR_BENCH_PROC_H

#include <stdbool.h>
#include <sys/types.h>

struct child {
	pid_t pid;
	int out_fd;		/* its stdout, when captured; else -1 */
	double cpu_s;		/* user + system, after child_wait */
	double wall_s;
	double started;
	int status;
	char tail[4096];	/* the end of a captured stdout, after child_stop */
};

/* Start argv; stdout to out_path (NULL: captured through a pipe). */
int child_start(struct child *c, char *const argv[], const char *out_path);
/* Send sig (0: none), wait, fill cpu_s, wall_s and status. */
int child_stop(struct child *c, int sig);
/* Read the captured stdout until a line containing needle (or EOF). */
bool child_wait_for(struct child *c, const char *needle, double timeout_s);
/* Run argv to completion; returns its CPU seconds (or -1). */
double run_measured(char *const argv[], double *wall_s);
/* CPU time of every thread of a running pid so far, ns (schedstat's first
 * field: no wait needed); -1 if its /proc is gone. */
double proc_tasks_cpu_ns(pid_t pid);

#endif
