// SPDX-License-Identifier: MIT
/*
 * count_tracepoint: count a tracepoint's events on every CPU by reading the
 * perf rings record by record. Needs root.
 *
 *	count_tracepoint [--json] [-d SECONDS] SYS:NAME [-- COMMAND ARGS...]
 *
 * With a command, only it and its children are counted, until it exits
 * (or for SECONDS); without one, every task for SECONDS (default 1, 0: until
 * Ctrl-C). Prints the count per CPU and the total, or one JSON line.
 *
 * It shows a tracepoint attr, an evlist with one mmap'd ring per CPU, a
 * workload held before its exec so none of its events is missed, and the
 * qz_ring consumer calls: a read batch, each record's type, pop.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <quazar/quazar.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* The library never prints: it hands its messages to this. */
static void log_stderr(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= QZ_LOG_WARN)
		fprintf(stderr, "count_tracepoint: %s\n", msg);
}

/* Consume every record the rings hold, counting samples per ring. */
static void drain(struct qz_evlist *el, unsigned long long *counts)
{
	static char scratch[65536];	/* for a record that wraps the ring */

	for (int i = 0; i < qz_evlist__nr_rings(el); i++) {
		struct qz_ring *ring = qz_evlist__ring(el, i);
		int type;

		if (qz_ring__start_read_batch(ring)) {
			qz_ring__reset(ring);	/* corrupt cursors: start over */
			continue;
		}
		while ((type = qz_ring__peek_type(ring)) >= 0) {
			if (type == PERF_RECORD_SAMPLE)
				counts[i]++;
			else	/* LOST records add to qz_evlist__lost() */
				qz_evlist__account(el, qz_ring__peek(ring, scratch), i);
			qz_ring__pop(ring);
		}
		if (type != -ENODATA)	/* a corrupt header */
			qz_ring__reset(ring);
		qz_ring__finish_read_batch(ring);
	}
}

/* Open SYS:NAME on every CPU, for the workload's tasks or for all. */
static int setup(struct qz_evlist *el, const char *event, struct qz_workload *wl)
{
	struct perf_event_attr attr = { .sample_period = 1,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME };
	const char *name = strchr(event, ':') + 1;
	char sys[256], err[256] = "";
	QZ_OPTS(qz_attr_opts, opts, .errbuf = err, .errlen = sizeof(err));
	struct qz_thread_map *threads = NULL;
	pid_t pid = wl ? qz_workload__pid(wl) : -1;
	int ret;

	snprintf(sys, sizeof(sys), "%.*s", (int)(name - 1 - event), event);
	ret = qz_attr__tracepoint(&attr, sys, name, &opts);
	if (!ret)
		ret = qz_evlist__add(el, qz_evsel__new(&attr, event));
	if (!ret && wl)
		threads = qz_thread_map__new_tids(&pid, 1);
	if (!ret)	/* NULL cpus: the online CPUs; NULL threads: every task */
		ret = qz_evlist__set_maps(el, NULL, threads);
	qz_thread_map__put(threads);
	if (!ret)
		ret = qz_evlist__open(el);
	if (!ret)
		ret = qz_evlist__mmap(el);
	if (!ret)
		ret = qz_evlist__enable(el);
	if (!ret && wl)		/* the events are on: let it exec */
		ret = qz_workload__start(wl);
	if (ret)
		fprintf(stderr, "count_tracepoint: %s: %s\n", event,
			err[0] ? err : qz_strerror(ret));
	return ret;
}

int main(int argc, char **argv)
{
	QZ_OPTS(qz_evlist_opts, opts, .log = log_stderr);
	unsigned long long *counts = NULL, total = 0;
	struct qz_workload *wl = NULL;
	struct qz_lost_stats lost;
	struct qz_evlist *el = NULL;
	struct pollfd *fds = NULL;
	bool json = false;
	int i, nr, ret, seconds = -1;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--json"))
			json = true;
		else if (!strcmp(argv[i], "-d"))
			seconds = atoi(argv[++i]);
		else
			break;
	}
	if (i >= argc || !strchr(argv[i], ':') ||
	    (i + 1 < argc && (strcmp(argv[i + 1], "--") || i + 2 >= argc))) {
		fprintf(stderr, "usage: count_tracepoint [--json] [-d SECONDS] "
			"SYS:NAME [-- COMMAND ARGS...]\n");
		return 2;
	}
	/* A command is forked now and exec'd once the events are on. */
	if (i + 2 < argc && !(wl = qz_workload__prepare(argv + i + 2))) {
		perror("count_tracepoint: fork");
		return 1;
	}
	opts.inherit = wl != NULL;	/* the command's children count too */
	el = qz_evlist__new(&opts);
	ret = el ? setup(el, argv[i], wl) : -errno;
	if (ret)
		goto out;
	nr = qz_evlist__nr_rings(el);	/* one per CPU */
	counts = calloc((size_t)nr, sizeof(*counts));
	fds = calloc((size_t)nr, sizeof(*fds));
	if (!counts || !fds) {
		ret = -ENOMEM;
		goto out;
	}
	for (int r = 0; r < nr; r++)
		fds[r] = (struct pollfd){ .fd = qz_evlist__ring_fd(el, r), .events = POLLIN };

	/* SIGALRM ends -d SECONDS: poll returns EINTR at once. */
	signal(SIGINT, on_signal);
	signal(SIGALRM, on_signal);
	if (seconds >= 0 || !wl)
		alarm(seconds >= 0 ? (unsigned)seconds : 1);
	while (!stop && !(wl && qz_workload__wait(wl, true, NULL))) {
		/* A ring wakes us when a quarter full; read every 100 ms anyway. */
		poll(fds, (nfds_t)nr, 100);
		drain(el, counts);
	}
	qz_evlist__disable(el);
	drain(el, counts);
	qz_evlist__lost(el, -1, &lost);

	for (int r = 0; r < nr; r++) {
		total += counts[r];
		if (!json)
			printf("cpu%-4d %llu\n", qz_evlist__ring_cpu(el, r), counts[r]);
	}
	if (!json) {
		printf("total   %llu\nlost    %llu\n", total, (unsigned long long)lost.lost);
	} else {
		printf("{\"event\":\"%s\",\"total\":%llu,\"lost\":%llu,\"cpus\":{",
		       argv[i], total, (unsigned long long)lost.lost);
		for (int r = 0; r < nr; r++)
			printf("%s\"%d\":%llu", r ? "," : "", qz_evlist__ring_cpu(el, r),
			       counts[r]);
		printf("}}\n");
	}
out:
	free(fds);
	free(counts);
	qz_workload__free(wl);
	qz_evlist__free(el);
	return ret ? 1 : 0;
}
