// SPDX-License-Identifier: MIT
/*
 * A user's BPF object: opened and loaded through libbpf with libbpf's
 * messages captured, its programs matched to the events they go on, and
 * attached through libquazar's evsels.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <quazar/evlist.h>
#include <quazar/evsel.h>
#include "bpf_internal.h"

#define OPTS_HAS(opts, field) \
	((opts) && (opts)->sz >= offsetof(struct qz_bpf_opts, field) + sizeof((opts)->field))
#define OPT(opts, field, fallback) (OPTS_HAS(opts, field) ? (opts)->field : (fallback))

static const char *prog_type_name(enum bpf_prog_type type)
{
	switch (type) {
	case BPF_PROG_TYPE_PERF_EVENT:
		return "perf_event";
	case BPF_PROG_TYPE_TRACEPOINT:
		return "tracepoint";
	case BPF_PROG_TYPE_KPROBE:
		return "kprobe/uprobe";
	default:
		return libbpf_bpf_prog_type_str(type) ?: "other";
	}
}

/* "a (perf_event), b (tracepoint)" */
static void list_progs(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *p;
	size_t off = 0;

	buf[0] = 0;
	bpf_object__for_each_program(p, obj) {
		if (off >= len)
			break;
		off += (size_t)snprintf(buf + off, len - off, "%s%s (%s)", off ? ", " : "",
					bpf_program__name(p),
					prog_type_name(bpf_program__type(p)));
	}
	if (!off)
		snprintf(buf, len, "no programs");
}

static int pick_prog(struct qz_bpf *b)
{
	struct bpf_program *p, *want = NULL;
	char list[512];
	int attachable = 0;

	bpf_object__for_each_program(p, b->obj) {
		enum bpf_prog_type t = bpf_program__type(p);

		if (b->prog_name && !strcmp(bpf_program__name(p), b->prog_name))
			want = p;
		attachable += t == BPF_PROG_TYPE_PERF_EVENT || t == BPF_PROG_TYPE_TRACEPOINT ||
			      t == BPF_PROG_TYPE_KPROBE;
	}
	list_progs(b->obj, list, sizeof(list));
	if (b->prog_name && !want) {
		qz__bpf_log(&b->log, QZ_LOG_ERROR, "%s: no program '%s' in it (it has: %s)",
			    b->base, b->prog_name, list);
		return -ENOENT;
	}
	if (!b->prog_name && !attachable) {
		qz__bpf_log(&b->log, QZ_LOG_ERROR,
			    "%s: no program to attach to perf events: it needs a SEC(\"perf_event\") "
			    "program (or SEC(\"tracepoint\") for tracepoints, SEC(\"uprobe\") for "
			    "uprobes); it has: %s",
			    b->base, list);
		return -ENOENT;
	}
	if (want) {
		/* Only the program asked for is loaded. */
		bpf_object__for_each_program(p, b->obj)
			bpf_program__set_autoload(p, p == want);
	}
	return 0;
}

static void qz_bpf__free_(struct qz_bpf *b)
{
	qz__bpf_outputs_close(b);
	bpf_object__close(b->obj);
	free(b->path);
	free(b->prog_name);
	free(b->btf_path);
	free(b->record_type);
	free(b);
}

QZ_API void qz_bpf__free(struct qz_bpf *b)
{
	if (b)
		qz_bpf__free_(b);
}

static int dup_opt(char **dst, const char *src)
{
	if (src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

QZ_API struct qz_bpf *qz_bpf__open(const char *path, const struct qz_bpf_opts *opts)
{
	struct qz_bpf_capture cap;
	struct qz_bpf *b;
	char why[4096];
	int err;

	if (qz__bpf_opts_check(opts, sizeof(*opts))) {
		errno = E2BIG;
		return NULL;
	}
	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->epfd = -1;
	b->log.fn = OPT(opts, log, NULL);
	b->log.ctx = OPT(opts, log_ctx, NULL);
	b->on_record = OPT(opts, on_record, NULL);
	b->ctx = OPT(opts, ctx, NULL);
	b->path = strdup(path);
	if (!b->path || dup_opt(&b->prog_name, OPT(opts, prog, NULL)) ||
	    dup_opt(&b->btf_path, OPT(opts, btf_path, NULL)) ||
	    dup_opt(&b->record_type, OPT(opts, record_type, NULL))) {
		err = -ENOMEM;
		goto fail;
	}
	b->base = strrchr(b->path, '/') ? strrchr(b->path, '/') + 1 : b->path;
	if (access(path, R_OK)) {
		err = -errno;
		qz__bpf_log(&b->log, QZ_LOG_ERROR, "%s: %s", path, strerror(-err));
		goto fail;
	}
	qz__bpf_capture_begin(&cap);
	{
		LIBBPF_OPTS(bpf_object_open_opts, oopts, .btf_custom_path = b->btf_path);

		b->obj = bpf_object__open_file(path, &oopts);
	}
	if (!b->obj) {
		err = -errno;
		qz__bpf_capture_end(&cap);
		qz__bpf_explain(cap.text, err, b->btf_path, why, sizeof(why));
		qz__bpf_log(&b->log, QZ_LOG_ERROR, "%s: cannot open it as a BPF object: %s",
			    b->base, why);
		qz__bpf_capture_free(&cap);
		goto fail;
	}
	err = pick_prog(b);
	if (err) {
		qz__bpf_capture_free(&cap);
		goto fail;
	}
	err = bpf_object__load(b->obj);
	qz__bpf_capture_end(&cap);
	if (err) {
		qz__bpf_explain(cap.text, err, b->btf_path, why, sizeof(why));
		qz__bpf_log(&b->log, QZ_LOG_ERROR, "%s: cannot load it: %s", b->base, why);
		if (cap.text)
			qz__bpf_log(&b->log, QZ_LOG_DEBUG, "%s: libbpf said:\n%s", b->base,
				    cap.text);
		qz__bpf_capture_free(&cap);
		goto fail;
	}
	qz__bpf_capture_free(&cap);
	b->nr_possible_cpus = libbpf_num_possible_cpus();
	if (b->nr_possible_cpus <= 0) {
		err = b->nr_possible_cpus ?: -EINVAL;
		goto fail;
	}
	err = qz__bpf_outputs_open(b, OPT(opts, ring_pages, 0), OPT(opts, watermark_bytes, 0));
	if (err)
		goto fail;
	return b;
fail:
	qz_bpf__free_(b);
	errno = err < 0 ? -err : EINVAL;
	return NULL;
}

QZ_API const char *qz_bpf__path(const struct qz_bpf *b)
{
	return b->path;
}

QZ_API struct bpf_object *qz_bpf__object(struct qz_bpf *b)
{
	return b->obj;
}

/* The uprobe PMU's type, from sysfs; -1 when there is none. */
static int uprobe_type(void)
{
	static int type = -2;
	char buf[32] = "";
	FILE *f;

	if (type != -2)
		return type;
	f = fopen("/sys/bus/event_source/devices/uprobe/type", "re");
	type = f && fgets(buf, sizeof(buf), f) ? atoi(buf) : -1;
	if (f)
		fclose(f);
	return type;
}

/* What an event of attr takes, and how to name it. */
static enum bpf_prog_type wanted_type(const struct perf_event_attr *attr, const char **kind,
				      const char **sec)
{
	if (attr->type == PERF_TYPE_TRACEPOINT) {
		*kind = "a tracepoint";
		*sec = "SEC(\"tracepoint\")";
		return BPF_PROG_TYPE_TRACEPOINT;
	}
	if ((int)attr->type == uprobe_type()) {
		*kind = "a uprobe";
		*sec = "SEC(\"uprobe\")";
		return BPF_PROG_TYPE_KPROBE;
	}
	*kind = "a sampled event";
	*sec = "SEC(\"perf_event\")";
	return BPF_PROG_TYPE_PERF_EVENT;
}

QZ_API int qz_bpf__prog_fd(struct qz_bpf *b, const struct perf_event_attr *attr,
			   const char *event)
{
	const char *kind, *sec;
	enum bpf_prog_type want = wanted_type(attr, &kind, &sec);
	struct bpf_program *p, *found = NULL;
	char names[256] = "";
	size_t off = 0;
	int n = 0;

	event = event ? event : "the event";
	bpf_object__for_each_program(p, b->obj) {
		if (!bpf_program__autoload(p))
			continue;
		if (b->prog_name) {
			if (bpf_program__type(p) != want) {
				qz__bpf_log(&b->log, QZ_LOG_ERROR,
					    "%s: program '%s' is a %s program, and %s is %s, which "
					    "takes a %s program only",
					    b->base, b->prog_name,
					    prog_type_name(bpf_program__type(p)), event, kind, sec);
				return -EINVAL;
			}
			return bpf_program__fd(p);
		}
		if (bpf_program__type(p) != want)
			continue;
		found = p;
		if (off < sizeof(names))
			off += (size_t)snprintf(names + off, sizeof(names) - off, "%s%s",
						n ? ", " : "", bpf_program__name(p));
		n++;
	}
	if (n == 1)
		return bpf_program__fd(found);
	if (!n) {
		char list[512];

		list_progs(b->obj, list, sizeof(list));
		qz__bpf_log(&b->log, QZ_LOG_ERROR,
			    "%s: no %s program to attach to %s, which is %s (it has: %s)",
			    b->base, sec, event, kind, list);
		return -ENOENT;
	}
	qz__bpf_log(&b->log, QZ_LOG_ERROR,
		    "%s: %d %s programs could go on %s (%s): choose one with --prog", b->base,
		    n, prog_type_name(want), event, names);
	return -EINVAL;
}

QZ_API int qz_bpf__attach(struct qz_bpf *b, struct qz_evlist *evlist)
{
	int n = qz_evlist__nr_evsels(evlist);

	for (int i = 0; i < n; i++) {
		struct qz_evsel *e = qz_evlist__evsel(evlist, i);
		const struct perf_event_attr *attr = qz_evsel__attr(e);
		int fd, err;

		if (!attr->sample_period && !attr->freq) {
			qz__bpf_log(&b->log, QZ_LOG_ERROR,
				    "%s: %s only counts, so its program would never run: give it "
				    "a period= or freq= (%s//freq=99/)",
				    b->base, qz_evsel__name(e), qz_evsel__name(e));
			return -EINVAL;
		}
		fd = qz_bpf__prog_fd(b, attr, qz_evsel__name(e));
		if (fd < 0)
			return fd;
		err = qz_evsel__set_bpf(e, fd);
		if (err) {
			qz__bpf_log(&b->log, QZ_LOG_ERROR, "%s: cannot attach to %s: %s", b->base,
				    qz_evsel__name(e), strerror(-err));
			return err;
		}
	}
	return 0;
}
