// SPDX-License-Identifier: MIT
/*
 * profile: where the CPUs spend their time. Every CPU (or the tasks of
 * -p/-t/--cgroup/-- cmd) is sampled on cpu-clock at a fixed period; each
 * interval ranks the hottest functions, and with -g the hottest stacks,
 * and says how busy each CPU was. cpu-clock is a timer, so it works in
 * VMs without a hardware PMU, and samples x period is CPU time exactly.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "callchain.h"
#include "folded.h"
#include "pprof.h"
#include "strcount.h"

/* Options beyond the common ones (profile_options below). */
struct profile_opts {
	uint64_t freq;
	uint64_t period;
	char *flame_graph;
	char *pprof;
};

#define DEFAULT_FREQ 99
#define TOP_FUNCTIONS 20
#define TOP_STACKS 10
/*
 * JSON "folded": every stack of the interval, up to this many lines and
 * bytes of stack text, so a report still fits a Kafka message (1 MB by
 * default).
 */
#define MAX_FOLDED 10000
#define MAX_FOLDED_BYTES (512u << 10)

struct profile {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *printer;
	struct strcount *functions;	/* "sym\tmodule" per interval */
	struct strcount *stacks;	/* folded lines per interval (-g) */
	struct folded *flame;		/* the whole run, for --flame-graph */
	struct qz_pprof *pprof;		/* the whole run, for --pprof */
	const char *pprof_path;
	bool callchain;
	uint64_t period_ns;
	uint64_t samples;		/* this interval, idle left out */
	uint64_t *cpu_samples, *cpu_idle;
	long nr_cpus;
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void profile_free(struct profile *p)
{
	qz_strcount__free(p->functions);
	qz_strcount__free(p->stacks);
	qz_folded__free(p->flame);
	qz_pprof__free(p->pprof);
	qz_stack_printer__free(p->printer);
	free(p->cpu_samples);
	free(p->cpu_idle);
	free(p);
}

static int profile_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct profile_opts *opts = qz_session__ops_opts(s);
	struct profile *p;
	int idx;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"profile samples cpu-clock and takes no -e '%s'; to sample another event use: quazar trace -e '%s' -g",
				env->events.v[0], env->events.v[0]);
		return -EINVAL;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->session = s;
	p->out = qz_session__output(s);
	p->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	p->cpu_samples = calloc((size_t)p->nr_cpus, sizeof(uint64_t));
	p->cpu_idle = calloc((size_t)p->nr_cpus, sizeof(uint64_t));
	p->printer = qz_stack_printer__new();
	p->functions = qz_strcount__new();
	p->stacks = qz_strcount__new();
	if (!p->cpu_samples || !p->cpu_idle || !p->printer || !p->functions || !p->stacks)
		goto nomem;
	if (opts->flame_graph) {
		if (!(p->flame = qz_folded__new(p->printer, opts->flame_graph)))
			goto nomem;
		qz_folded__set_graph(p->flame, "quazar profile: CPU samples", "samples");
		env->callchain = true;
	}
	/* A fixed period, not a frequency: samples x period is then CPU time. */
	p->period_ns = opts->period ?: 1000000000ull / (opts->freq ?: DEFAULT_FREQ);
	if (opts->pprof) {
		if (!(p->pprof = qz_pprof__new(p->printer, p->period_ns)))
			goto nomem;
		p->pprof_path = opts->pprof;
		env->callchain = true;
	}
	p->callchain = env->callchain;
	qz_session__set_sampling(s, p->period_ns, 0);
	idx = qz_session__add_events(s, "cpu-clock", PERF_SAMPLE_IP);
	if (idx < 0) {
		profile_free(p);
		return idx;
	}
	p->interval_start = now_ns();
	*ctx = p;
	return 0;
nomem:
	profile_free(p);
	return -ENOMEM;
}

/* "sym\tmodule" of the sampled instruction (tabs never occur in either). */
static void function_key(struct profile *p, const struct qz_sample *smp,
			 const char *comm, char *key, size_t len)
{
	struct qz_symbolizer *sym = qz_stack_printer__symbolizer(p->printer);
	bool kernel = (int64_t)smp->ip < 0;	/* x86-64: the upper half */
	struct qz_symbol s;
	int err;

	if (kernel) {
		err = qz_symbolizer__kernel(sym, smp->ip, &s);
	} else {
		qz_symbolizer__prepare(sym, (pid_t)smp->pid);
		err = qz_symbolizer__user(sym, (pid_t)smp->pid, smp->ip, &s);
	}
	if (!err && s.name)
		snprintf(key, len, "%s\t%s", s.name, s.module ?: "?");
	else
		snprintf(key, len, "[unknown]\t[%s]", comm[0] ? comm : "?");
}

static void profile_sample(void *ctx, const struct qz_event *ev)
{
	struct profile *p = ctx;
	const struct qz_sample *smp = ev->sample;
	const char *comm = qz_event__comm(ev);
	char key[512], line[8192];

	if (smp->cpu < (uint64_t)p->nr_cpus) {
		p->cpu_samples[smp->cpu]++;
		p->cpu_idle[smp->cpu] += smp->pid == 0;
	}
	/* The idle task: it makes a CPU's idle time, it is not a hot spot. */
	if (smp->pid == 0)
		return;
	p->samples++;
	function_key(p, smp, comm, key, sizeof(key));
	qz_strcount__add(p->functions, key, 1);
	if (p->pprof && qz_pprof__add(p->pprof, smp, comm))
		qz_session__log(p->session, QZ_LOG_WARN, "--pprof: out of memory, a sample is missing");
	if (!smp->callchain_nr)
		return;
	qz_folded__line(p->printer, comm, smp, line, sizeof(line));
	qz_strcount__add(p->stacks, line, 1);
	if (p->flame)
		qz_folded__count(p->flame, line);
}

static double pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

/* The share of the interval a CPU ran something other than idle. */
static double busy_pct(struct profile *p, long cpu, uint64_t interval_ns)
{
	double busy = pct((p->cpu_samples[cpu] - p->cpu_idle[cpu]) * p->period_ns,
			  interval_ns);

	return busy < 100 ? busy : 100;
}

static void print_text(struct profile *p, struct strcount_entry *fn, size_t nr_fn,
		       struct strcount_entry *st, size_t nr_st, uint64_t interval_ns,
		       FILE *f)
{
	fprintf(f, "\nprofile: %" PRIu64 " samples every %.3f ms over %.3f s; busy:",
		p->samples, p->period_ns / 1e6, interval_ns / 1e9);
	for (long c = 0; c < p->nr_cpus; c++)
		if (p->cpu_samples[c])
			fprintf(f, " CPU%ld %.1f%%", c, busy_pct(p, c, interval_ns));
	fprintf(f, "\n%8s %6s  %-40s %s\n", "SAMPLES", "%", "FUNCTION", "MODULE");
	for (size_t i = 0; i < nr_fn && i < TOP_FUNCTIONS; i++) {
		const char *tab = strchr(fn[i].key, '\t');

		fprintf(f, "%8" PRIu64 " %5.1f%%  %-40.*s %s\n", fn[i].count,
			pct(fn[i].count, p->samples), (int)(tab - fn[i].key), fn[i].key,
			tab + 1);
	}
	if (!nr_st)
		return;
	fprintf(f, "%8s %6s  %s\n", "SAMPLES", "%", "STACK (comm;root;...;leaf)");
	for (size_t i = 0; i < nr_st && i < TOP_STACKS; i++)
		fprintf(f, "%8" PRIu64 " %5.1f%%  %s\n", st[i].count,
			pct(st[i].count, p->samples), st[i].key);
}

static void json_stack(struct qz_json *j, const char *line)
{
	const char *semi = strchr(line, ';');

	qz_json__key(j, "comm");
	qz_json__strn(j, line, semi ? (size_t)(semi - line) : strlen(line));
	qz_json__key(j, "frames");
	qz_json__begin_array(j);
	while (semi) {
		const char *frame = semi + 1;

		semi = strchr(frame, ';');
		qz_json__strn(j, frame, semi ? (size_t)(semi - frame) : strlen(frame));
	}
	qz_json__end_array(j);
}

/*
 * Every stack of the interval as a flamegraph.pl line and its count, so a
 * consumer can draw any window; past MAX_FOLDED lines or MAX_FOLDED_BYTES
 * the rest (the rarest, st is sorted) are summed under "[more stacks]", so
 * the counts still add up to the samples.
 */
static void json_folded(struct qz_json *j, struct strcount_entry *st, size_t nr)
{
	uint64_t more = 0;
	size_t bytes = 0;

	qz_json__key(j, "folded");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		bytes += strlen(st[i].key);
		if (i >= MAX_FOLDED || bytes > MAX_FOLDED_BYTES) {
			more += st[i].count;
			continue;
		}
		qz_json__begin_object(j);
		qz_json__key_str(j, "stack", st[i].key);
		qz_json__key_u64(j, "count", st[i].count);
		qz_json__end_object(j);
	}
	if (more) {
		qz_json__begin_object(j);
		qz_json__key_str(j, "stack", "[more stacks]");
		qz_json__key_u64(j, "count", more);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
}

static void print_json(struct profile *p, struct strcount_entry *fn, size_t nr_fn,
		       struct strcount_entry *st, size_t nr_st, uint64_t interval_ns,
		       uint64_t now)
{
	struct qz_json *j = qz_output__begin(p->out, "profile", now);

	qz_json__key_u64(j, "interval_ns", interval_ns);
	qz_json__key_u64(j, "period_ns", p->period_ns);
	qz_json__key_u64(j, "samples", p->samples);
	qz_json__key(j, "cpus");
	qz_json__begin_array(j);
	for (long c = 0; c < p->nr_cpus; c++) {
		if (!p->cpu_samples[c])
			continue;
		qz_json__begin_object(j);
		qz_json__key_i64(j, "cpu", c);
		qz_json__key_u64(j, "samples", p->cpu_samples[c]);
		qz_json__key_u64(j, "idle", p->cpu_idle[c]);
		qz_json__key_double(j, "busy_pct", busy_pct(p, c, interval_ns));
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key(j, "functions");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr_fn && i < TOP_FUNCTIONS; i++) {
		const char *tab = strchr(fn[i].key, '\t');

		qz_json__begin_object(j);
		qz_json__key(j, "sym");
		qz_json__strn(j, fn[i].key, (size_t)(tab - fn[i].key));
		qz_json__key_str(j, "module", tab + 1);
		qz_json__key_u64(j, "samples", fn[i].count);
		qz_json__key_double(j, "pct", pct(fn[i].count, p->samples));
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key(j, "stacks");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr_st && i < TOP_STACKS; i++) {
		qz_json__begin_object(j);
		qz_json__key_u64(j, "samples", st[i].count);
		qz_json__key_double(j, "pct", pct(st[i].count, p->samples));
		json_stack(j, st[i].key);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	if (p->callchain)
		json_folded(j, st, nr_st);
	qz_output__end(p->out);
}

static void write_pprof(struct profile *p)
{
	char err[512];

	if (qz_pprof__write(p->pprof, p->pprof_path, err, sizeof(err)))
		qz_session__log(p->session, QZ_LOG_ERROR, "--pprof: cannot write %s", err);
	else
		qz_session__log(p->session, QZ_LOG_INFO,
				"wrote %s: %" PRIu64 " samples; read it with: go tool pprof -top %s",
				p->pprof_path, qz_pprof__samples(p->pprof), p->pprof_path);
}

static void profile_interval(void *ctx, struct qz_output *out, bool final)
{
	struct profile *p = ctx;
	uint64_t now = now_ns(), interval_ns = now - p->interval_start;
	size_t nr_fn = 0, nr_st = 0;
	struct strcount_entry *fn = qz_strcount__sorted(p->functions, &nr_fn);
	struct strcount_entry *st = qz_strcount__sorted(p->stacks, &nr_st);

	if (fn && st) {
		if (qz_output__json(out))
			print_json(p, fn, nr_fn, st, nr_st, interval_ns, now);
		else
			print_text(p, fn, nr_fn, st, nr_st, interval_ns,
				   qz_output__file(out));
	}
	free(fn);
	free(st);
	qz_strcount__reset(p->functions);
	qz_strcount__reset(p->stacks);
	memset(p->cpu_samples, 0, (size_t)p->nr_cpus * sizeof(uint64_t));
	memset(p->cpu_idle, 0, (size_t)p->nr_cpus * sizeof(uint64_t));
	p->samples = 0;
	p->interval_start = now;
	if (final && p->flame)
		qz_folded__write(p->flame, p->session);
	if (final && p->pprof)
		write_pprof(p);
}

static void profile_deinit(void *ctx)
{
	profile_free(ctx);
}

static const struct qz_option profile_options[] = {
	QZ_OPTION_ENTRY(struct profile_opts, freq, "freq", 'F', QZ_OPTION_COUNT, "HZ",
			"sample frequency"),
	QZ_OPTION_ENTRY(struct profile_opts, period, "period", 0, QZ_OPTION_TIME, "TIME",
			"sample period: 10ms, 500us, 1s or ns"),
	QZ_OPTION_ENTRY(struct profile_opts, flame_graph, "flame-graph", 0, QZ_OPTION_STRING, "FILE",
			"write FILE.folded and its flame graph FILE.svg (implies -g)"),
	QZ_OPTION_ENTRY(struct profile_opts, pprof, "pprof", 0, QZ_OPTION_STRING, "FILE",
			"write a gzipped pprof profile.proto to FILE (implies -g)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_profile = {
	.name = "profile",
	.help = "sample the CPUs on cpu-clock: hottest functions and stacks, busy % per CPU",
	.usage = "Samples cpu-clock at -F HZ (default 99) or every --period; -g adds stacks.\n"
		 "The idle task counts toward a CPU's idle time, not the hot spots.\n"
		 "examples:\n"
		 "  quazar profile -F 999 -g -i 2000\n"
		 "  quazar profile -g --flame-graph cpu -- ./prog args     (cpu.folded, cpu.svg)\n"
		 "  quazar profile --pprof cpu.pb.gz -- ./prog args        (go tool pprof -top cpu.pb.gz)\n"
		 "  quazar profile -p 1234 --json -i 1000",
	.options = profile_options,
	.opts_size = sizeof(struct profile_opts),
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* counts per function and stack */
		.init = profile_init,
		.sample = profile_sample,
		.interval = profile_interval,
		.deinit = profile_deinit,
	},
};
