// SPDX-License-Identifier: MIT
/*
 * print_samples: print each sample of a tracepoint raised by a command: the
 * task, CPU and time, the tracepoint's own fields decoded by name and type,
 * and the call stack, kernel then user, symbolized. Needs root.
 *
 *	print_samples SYS:NAME -- COMMAND ARGS...
 *
 * It shows an attr asking for PERF_SAMPLE_RAW and PERF_SAMPLE_CALLCHAIN,
 * the time-ordered reader over every CPU's ring, samples parsed with
 * qz_evlist__parse_sample, qz_tp fields read from the raw record, and
 * qz_symbolizer. A process's mappings are read when its first sample is
 * read: user frames of a command that has exited by then print as "?".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/quazar.h>

struct ctx {
	struct qz_evlist *el;
	struct qz_tp_event *tp;
	struct qz_symbolizer *sym;
};

/* The event's own fields (common_* skipped): strings, arrays, numbers. */
static void print_fields(const struct qz_tp_event *tp, const void *raw, size_t size)
{
	for (int i = 0; i < qz_tp_event__nr_fields(tp); i++) {
		const struct qz_tp_field *f = qz_tp_event__field_at(tp, i);
		unsigned flags = qz_tp_field__flags(f);
		const char *s;
		size_t len;

		if (flags & QZ_TP_FIELD_COMMON)
			continue;
		printf(" %s=", qz_tp_field__name(f));
		if (flags & QZ_TP_FIELD_STRING) {
			s = qz_tp_field__str(f, raw, size, &len);
			printf("\"%.*s\"", s ? (int)len : 0, s ? s : "");
		} else if (flags & QZ_TP_FIELD_ARRAY) {
			for (size_t e = 0; e < qz_tp_field__nr_elems(f, raw, size); e++)
				printf("%s%#llx", e ? "," : "[", (unsigned long long)
				       qz_tp_field__elem_u64(f, raw, size, e));
			printf("]");
		} else if (flags & QZ_TP_FIELD_SIGNED) {
			printf("%lld", (long long)qz_tp_field__s64(f, raw, size));
		} else {
			printf(flags & QZ_TP_FIELD_POINTER ? "%#llx" : "%llu",
			       (unsigned long long)qz_tp_field__u64(f, raw, size));
		}
	}
	printf("\n");
}

/* Callchain entries from PERF_CONTEXT_* on are markers, not addresses. */
static void print_stack(struct qz_symbolizer *sym, const struct qz_sample *s)
{
	bool user = false;

	for (uint64_t i = 0; i < s->callchain_nr; i++) {
		uint64_t addr = s->callchain[i];
		struct qz_symbol so = { 0 };
		int err;

		if (addr >= (uint64_t)PERF_CONTEXT_MAX) {
			user = addr == (uint64_t)PERF_CONTEXT_USER;
			continue;
		}
		err = user ? qz_symbolizer__user(sym, (pid_t)s->pid, addr, &so) :
			     qz_symbolizer__kernel(sym, addr, &so);
		if (err)
			printf("\t%016llx ?\n", (unsigned long long)addr);
		else
			printf("\t%016llx %s+%#llx (%s)\n", (unsigned long long)addr,
			       so.name, (unsigned long long)so.offset,
			       so.module ? so.module : "?");
	}
}

static void on_record(const struct perf_event_header *rec, int ring, void *arg)
{
	struct ctx *c = arg;
	struct qz_sample s = { .sz = sizeof(s) };

	(void)ring;
	if (rec->type != PERF_RECORD_SAMPLE || qz_evlist__parse_sample(c->el, rec, &s, NULL))
		return;
	/* Its mappings, read now while it runs, resolve its stacks later. */
	qz_symbolizer__prepare(c->sym, (pid_t)s.pid);
	printf("pid %u/%u cpu %u %llu.%06llu: %s:%s", s.pid, s.tid, s.cpu,
	       (unsigned long long)(s.time / 1000000000),
	       (unsigned long long)(s.time % 1000000000 / 1000),
	       qz_tp_event__sys(c->tp), qz_tp_event__name(c->tp));
	if (qz_tp_event__check(c->tp, s.raw, s.raw_size))
		printf(" (record does not fit the format)\n");
	else
		print_fields(c->tp, s.raw, s.raw_size);
	print_stack(c->sym, &s);
}

/* The event on every CPU for the workload's tasks, then let it exec. */
static int setup(struct ctx *c, struct qz_workload *wl, const char *event)
{
	/* The format names the fields; the attr's config is its ID. */
	struct perf_event_attr attr = { .type = PERF_TYPE_TRACEPOINT,
		.config = (uint64_t)qz_tp_event__id(c->tp), .sample_period = 1,
		.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			       PERF_SAMPLE_RAW | PERF_SAMPLE_CALLCHAIN };
	pid_t pid = qz_workload__pid(wl);
	struct qz_thread_map *threads = qz_thread_map__new_tids(&pid, 1);
	int ret;

	ret = qz_evlist__add(c->el, qz_evsel__new(&attr, event));
	if (!ret)	/* NULL cpus: the online CPUs */
		ret = qz_evlist__set_maps(c->el, NULL, threads);
	qz_thread_map__put(threads);
	if (!ret)
		ret = qz_evlist__open(c->el);
	if (!ret)
		ret = qz_evlist__mmap(c->el);
	if (!ret)
		ret = qz_evlist__enable(c->el);
	if (!ret)
		ret = qz_workload__start(wl);
	return ret;
}

int main(int argc, char **argv)
{
	QZ_OPTS(qz_evlist_opts, opts, .inherit = true);	/* and its children */
	struct ctx c = { 0 };
	struct qz_tp *tp = NULL;
	struct qz_workload *wl = NULL;
	struct pollfd *fds = NULL;
	char sys[256], *name;
	int ret, nr, exited = 0;

	if (argc < 4 || strcmp(argv[2], "--") || !strchr(argv[1], ':')) {
		fprintf(stderr, "usage: print_samples SYS:NAME -- COMMAND ARGS...\n");
		return 2;
	}
	snprintf(sys, sizeof(sys), "%s", argv[1]);
	name = strchr(sys, ':');
	*name++ = '\0';
	c.el = qz_evlist__new(&opts);
	c.sym = qz_symbolizer__new();
	tp = qz_tp__new(NULL);	/* mounts tracefs if needed */
	c.tp = tp ? qz_tp__event(tp, sys, name) : NULL;
	if (c.tp && c.el && c.sym)	/* forked now, exec'd once the events are on */
		wl = qz_workload__prepare(argv + 3);
	ret = wl ? setup(&c, wl, argv[1]) : -errno;
	nr = ret ? 0 : qz_evlist__nr_rings(c.el);	/* one per CPU */
	if (!ret && !(fds = calloc((size_t)nr, sizeof(*fds))))
		ret = -ENOMEM;
	if (ret) {
		fprintf(stderr, "print_samples: %s: %s\n", argv[1], qz_strerror(ret));
		goto out;
	}
	for (int r = 0; r < nr; r++)
		fds[r] = (struct pollfd){ .fd = qz_evlist__ring_fd(c.el, r), .events = POLLIN };
	/* Until the command exits; then what its last events left in the rings. */
	while (!exited) {
		poll(fds, (nfds_t)nr, 100);
		exited = qz_workload__wait(wl, true, NULL);
		qz_evlist__read(c.el, QZ_ORDERED_ALL, on_record, &c);
	}
out:
	free(fds);
	qz_workload__free(wl);
	qz_evlist__free(c.el);
	qz_symbolizer__free(c.sym);
	qz_tp__free(tp);
	return ret ? 1 : 0;
}
