// SPDX-License-Identifier: MIT
/*
 * bpf: a BPF object of the user's on the selected events (libquazar-bpf).
 * Its program runs on each of their samples; what it writes with
 * bpf_perf_event_output() is printed as it comes (decoded through the
 * object's BTF, or as hex), and its hash and array maps are dumped every
 * interval. As an agent collector, the map dumps are its reports.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/select.h>
#include <quazar/session.h>
#include "bpf_config.h"
#include "profiler_table.h"
#if QZ_HAVE_LIBBPF
#include <quazar/bpf.h>
#endif

struct bpf_prof_opts {
	char *object;
	char *prog;
	char *record_type;
	char *btf;
};

#if QZ_HAVE_LIBBPF

struct bpf_prof {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_bpf *bpf;
	const char *name;		/* the object's file name */
	uint64_t *kept;			/* samples each event's program kept */
	int nr_events;
	uint64_t records;		/* this interval */
	uint64_t lost;			/* records lost, reported so far */
	char *line;
	size_t line_len;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void bpf_prof_free(struct bpf_prof *p)
{
	if (!p)
		return;
	qz_bpf__free(p->bpf);
	free(p->kept);
	free(p->line);
	free(p);
}

static void log_session(enum qz_log_level level, const char *msg, void *ctx)
{
	qz_session__log(ctx, level, "%s", msg);
}

static void on_record(const struct qz_bpf_record *rec, void *ctx)
{
	struct bpf_prof *p = ctx;

	p->records++;
	if (qz_output__json(p->out)) {
		struct qz_json *j = qz_output__begin(p->out, "bpf_record", rec->time);

		qz_json__key_str(j, "object", p->name);
		qz_json__key_str(j, "map", rec->map);
		qz_json__key_i64(j, "cpu", rec->cpu);
		qz_json__key_u64(j, "size", rec->size);
		qz_json__key(j, "record");
		qz_bpf__record_json(p->bpf, rec, j);
		qz_output__end(p->out);
		return;
	}
	qz_bpf__record_text(p->bpf, rec, p->line, p->line_len);
	fprintf(qz_output__file(p->out), "%" PRIu64 ".%06" PRIu64 " [%03d] %s: %s\n",
		rec->time / 1000000000, rec->time % 1000000000 / 1000, rec->cpu, rec->map,
		p->line);
}

static void read_records(void *ctx)
{
	struct bpf_prof *p = ctx;

	qz_bpf__read(p->bpf);
}

/* The program type an event takes goes by its attr's type. */
static int event_attr(struct qz_session *s, int i, struct perf_event_attr *attr)
{
	const struct qz_event_spec *spec = qz_session__spec(s, i);
	char err[256] = "";
	QZ_OPTS(qz_attr_opts, aopts, .errbuf = err, .errlen = sizeof(err));

	memset(attr, 0, sizeof(*attr));
	if (spec->kind == QZ_SPEC_TRACEPOINT) {
		attr->type = PERF_TYPE_TRACEPOINT;
		return 0;
	}
	if (qz_attr__from_spec(attr, spec, &aopts)) {
		qz_session__log(s, QZ_LOG_ERROR, "event '%s': %s", qz_session__event_name(s, i),
				err[0] ? err : "cannot make its attr");
		return -EINVAL;
	}
	return 0;
}

static int bpf_prof_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct bpf_prof_opts *opts = qz_session__ops_opts(s);
	struct bpf_prof *p;
	int err = -ENOMEM;

	if (!opts->object) {
		qz_session__log(s, QZ_LOG_ERROR,
				"bpf needs a BPF object: quazar bpf OBJ.bpf.o -e EVENT (see docs/bpf.md)");
		return -EINVAL;
	}
	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"bpf needs events to attach %s to: -e page-faults//freq=50/, -e cpu-clock, -e sys:name",
				opts->object);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->session = s;
	p->out = qz_session__output(s);
	p->line_len = 8192;
	p->line = malloc(p->line_len);
	if (!p->line)
		goto fail;
	{
		/* -m and --watermark size the record rings too. */
		size_t pages = env->mmap_pages ? env->mmap_pages : 64;
		QZ_OPTS(qz_bpf_opts, bopts, .prog = opts->prog, .btf_path = opts->btf,
			.record_type = opts->record_type, .on_record = on_record, .ctx = p,
			.ring_pages = pages, .log = log_session, .log_ctx = s);

		if (env->watermark > 0)
			bopts.watermark_bytes = (uint32_t)(pages * (size_t)sysconf(_SC_PAGESIZE) *
							   (size_t)env->watermark / 100);
		p->bpf = qz_bpf__open(opts->object, &bopts);
	}
	if (!p->bpf) {
		err = -errno;
		goto fail;
	}
	p->name = strrchr(opts->object, '/') ? strrchr(opts->object, '/') + 1 : opts->object;
	for (int i = 0; i < env->events.n; i++) {
		err = qz_session__add_events(s, env->events.v[i], 0);
		if (err < 0)
			goto fail;
	}
	p->nr_events = qz_session__nr_events(s);
	p->kept = calloc((size_t)p->nr_events, sizeof(*p->kept));
	if (!p->kept) {
		err = -ENOMEM;
		goto fail;
	}
	for (int i = 0; i < p->nr_events; i++) {
		struct perf_event_attr attr;
		int fd;

		err = event_attr(s, i, &attr);
		if (err)
			goto fail;
		fd = qz_bpf__prog_fd(p->bpf, &attr, qz_session__event_name(s, i));
		if (fd < 0) {
			err = fd;
			goto fail;
		}
		err = qz_session__set_bpf(s, i, fd);
		if (err)
			goto fail;
	}
	if (qz_bpf__fd(p->bpf) >= 0) {
		err = qz_session__add_fd(s, qz_bpf__fd(p->bpf), read_records);
		if (err)
			goto fail;
	}
	*ctx = p;
	return 0;
fail:
	bpf_prof_free(p);
	return err < 0 ? err : -EINVAL;
}

/* Samples the program returned non-zero for: the kernel kept them. */
static void bpf_prof_sample(void *ctx, const struct qz_event *ev)
{
	struct bpf_prof *p = ctx;

	if (ev->index >= 0 && ev->index < p->nr_events)
		p->kept[ev->index]++;
}

static void bpf_prof_interval(void *ctx, struct qz_output *out, bool final)
{
	struct bpf_prof *p = ctx;
	uint64_t lost = qz_bpf__lost(p->bpf) - p->lost;

	(void)final;
	p->lost += lost;
	if (lost)
		qz_session__log(p->session, QZ_LOG_WARN,
				"%s: %" PRIu64 " records lost (the ring was full); read them faster or write fewer",
				p->name, lost);
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "bpf", now_ns());

		qz_json__key_str(j, "object", p->name);
		qz_json__key_u64(j, "records", p->records);
		qz_json__key_u64(j, "lost", lost);
		qz_json__key(j, "samples");
		qz_json__begin_object(j);
		for (int i = 0; i < p->nr_events; i++)
			qz_json__key_u64(j, qz_session__event_name(p->session, i), p->kept[i]);
		qz_json__end_object(j);
		qz_json__key(j, "maps");
		if (qz_bpf__maps_dump(p->bpf, j))
			qz_session__log(p->session, QZ_LOG_ERROR, "%s: cannot read its maps", p->name);
		qz_output__end(out);
	} else {
		FILE *f = qz_output__file(out);

		fprintf(f, "\n%s: %" PRIu64 " records, %" PRIu64 " lost; samples kept:", p->name,
			p->records, lost);
		for (int i = 0; i < p->nr_events; i++)
			fprintf(f, " %s %" PRIu64, qz_session__event_name(p->session, i), p->kept[i]);
		fputc('\n', f);
		if (qz_bpf__maps_print(p->bpf, f))
			qz_session__log(p->session, QZ_LOG_ERROR, "%s: cannot read its maps", p->name);
	}
	p->records = 0;
	memset(p->kept, 0, (size_t)p->nr_events * sizeof(*p->kept));
}

static void bpf_prof_deinit(void *ctx)
{
	bpf_prof_free(ctx);
}

#else /* !QZ_HAVE_LIBBPF */

static int bpf_prof_init(struct qz_session *s, void **ctx)
{
	(void)ctx;
	qz_session__log(s, QZ_LOG_ERROR, "bpf is unavailable: %s", QZ_BPF_MISSING);
	return -EOPNOTSUPP;
}

static void bpf_prof_sample(void *ctx, const struct qz_event *ev)
{
	(void)ctx;
	(void)ev;
}

static void bpf_prof_interval(void *ctx, struct qz_output *out, bool final)
{
	(void)ctx;
	(void)out;
	(void)final;
}

static void bpf_prof_deinit(void *ctx)
{
	(void)ctx;
}

#endif

static const struct qz_option bpf_prof_options[] = {
	QZ_OPTION_ENTRY(struct bpf_prof_opts, object, "object", 0, QZ_OPTION_STRING, "OBJ.bpf.o",
			"the BPF object (also the first bare argument)"),
	QZ_OPTION_ENTRY(struct bpf_prof_opts, prog, "prog", 0, QZ_OPTION_STRING, "NAME",
			"the program to attach (default: the one of the type each event takes)"),
	QZ_OPTION_ENTRY(struct bpf_prof_opts, record_type, "record-type", 0, QZ_OPTION_STRING,
			"STRUCT", "decode output records as this struct of the object's BTF"),
	QZ_OPTION_ENTRY(struct bpf_prof_opts, btf, "btf", 0, QZ_OPTION_STRING, "FILE",
			"the kernel's BTF for CO-RE (default /sys/kernel/btf/vmlinux)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_bpf = {
	.name = "bpf",
	.help = "attach a BPF object's program to events: its output records and its maps",
	.usage = "Its SEC(\"perf_event\") program runs on each sample of the events (a\n"
		 "SEC(\"tracepoint\") one on tracepoints, SEC(\"uprobe\") on uprobes); it returns\n"
		 "0 to drop the sample. Records from bpf_perf_event_output() are printed as\n"
		 "they come, decoded through the object's BTF; its hash and array maps are\n"
		 "dumped every interval. See docs/bpf.md.\n"
		 "examples:\n"
		 "  quazar bpf faults.bpf.o -e 'page-faults//freq=50/' -i 1000\n"
		 "  quazar bpf prog.bpf.o --prog on_switch -e sched:sched_switch --json\n"
		 "  quazar bpf faults.bpf.o -e page-faults -- ./prog",
	.options = bpf_prof_options,
	.opts_size = sizeof(struct bpf_prof_opts),
	.positional = "object",
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,
		.init = bpf_prof_init,
		.sample = bpf_prof_sample,
		.interval = bpf_prof_interval,
		.deinit = bpf_prof_deinit,
	},
};
