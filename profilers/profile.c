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
#include "stackfold.h"
#include "stacktab.h"
#include "strcount.h"
#include "trigger.h"
#include "bpf_filter.h"
#include "bpf_ksyms.h"
#include "profile_bpf.h"

/* Options beyond the common ones (profile_options below). */
struct profile_opts {
	uint64_t freq;
	uint64_t period;
	char *flame_graph;
	char *pprof;
	int than;
	bool sys;
	uint64_t for_ns;
	bool bpf, no_bpf;		/* count in the kernel: must, must not */
	uint64_t bpf_entries;
	struct bpf_filter_opts filter;	/* perf-prof's BPF filters */
};

#define DEFAULT_FREQ 99
#define TOP_FUNCTIONS 20
#define TOP_STACKS 10
/*
 * JSON "folded": every stack of the interval, up to this many lines and
 * bytes of stack text, so a report still fits a Kafka message (1 MB by
 * default).
 */

struct profile {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *printer;
	struct qz_symbolizer *sym;	/* the session's */
	struct qz_bpf_ksym *ksyms;	/* its kernel symbols, where BPF works */
	/* Raw, as read: symbolized only when the interval is reported. */
	struct qz_stacktab *raw_ips, *raw_stacks;	/* without, with callchain */
	struct qz_stackfold *fold;
	struct strcount *functions;	/* "sym\tmodule\tbuild_id" per interval */
	struct strcount *stacks;	/* folded lines per interval (-g) */
	struct folded *flame;		/* the whole run, for --flame-graph */
	struct qz_pprof *pprof;		/* the whole run, for --pprof */
	const char *pprof_path;
	bool callchain;
	uint64_t frames, unknown;	/* this interval's */
	uint64_t dropped;		/* samples past the raw tables' bound */
	uint64_t dropped_total;
	struct qz_trigger *trigger;	/* --than: watching, not profiling */
	uint64_t period_ns;
	uint64_t samples;		/* this interval, idle left out */
	uint64_t *cpu_samples, *cpu_idle;
	long nr_cpus;
	uint64_t interval_start;
	struct profile_bpf *bpf;	/* counting in the kernel (profile_bpf.c) */
	struct profile_bpf_stats bpf_lost; /* this interval's */
	struct bpf_filter *filter;	/* the ring path's BPF filters */
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void profile_free(struct profile *p)
{
	qz_trigger__free(p->trigger);
	qz_stackfold__free(p->fold);
	qz_stacktab__free(p->raw_ips);
	qz_stacktab__free(p->raw_stacks);
	qz_strcount__free(p->functions);
	qz_strcount__free(p->stacks);
	qz_folded__free(p->flame);
	qz_pprof__free(p->pprof);
	qz_stack_printer__free(p->printer);
	qz_profile_bpf__free(p->bpf);
	qz_bpf_filter__free(p->filter);
	qz_bpf_ksyms__free(p->sym, p->ksyms);
	free(p->cpu_samples);
	free(p->cpu_idle);
	free(p);
}

/* A process BPF saw first: pprof reads its mappings while it lives. */
static void prepare_pid(void *ctx, uint32_t pid)
{
	struct profile *p = ctx;

	qz_pprof__prepare(p->pprof, (pid_t)pid);
}

static void profile_news(void *ctx)
{
	struct profile *p = ctx;

	qz_profile_bpf__news(p->bpf, prepare_pid, p);
}

/*
 * What needs each sample in user space, so the ring: a profiler this one
 * runs inside (it reads them too), and the session's per-sample options.
 */
static const char *needs_samples(struct qz_session *s, const struct qz_env *env)
{
	if (qz_session__parent(s))
		return "the profiler it runs inside";
	if (env->exit_n)
		return "-N";
	if (env->sampling_limit)
		return "--sampling-limit";
	if (env->perfeval_cpus || env->perfeval_pids)
		return "--perfeval-cpus/--perfeval-pids";
	return NULL;
}

#define BPF_RING_PAGES 64	/* per CPU, when samples stay in the kernel */

/*
 * Count in the kernel unless --no-bpf, or something needs each sample, or
 * BPF is unavailable and --bpf was not given (then the ring, said at -v).
 * -g's stacks then come from the BPF stack map, so the session asks the
 * kernel for none, and the ring is small unless -m says otherwise.
 */
static int setup_bpf(struct profile *p, struct qz_env *env, const struct profile_opts *opts,
		     const struct qz_filter_cfg *filter)
{
	struct profile_bpf_opts bopts = {
		.stacks = env->callchain,
		.kernel_stacks = env->kernel_callchain,
		.user_stacks = env->user_callchain,
		.entries = (uint32_t)opts->bpf_entries,
		.filter = filter,
		.news = p->pprof != NULL,
	};
	char why[4096];
	const char *ring;

	if (opts->bpf && opts->no_bpf) {
		qz_session__log(p->session, QZ_LOG_ERROR, "give --bpf or --no-bpf, not both");
		return -EINVAL;
	}
	if (opts->no_bpf)
		return 0;
	ring = needs_samples(p->session, env);
	if (ring && opts->bpf) {
		qz_session__log(p->session, QZ_LOG_ERROR,
				"--bpf counts samples in the kernel, but %s reads them one by one: drop --bpf or it",
				ring);
		return -QZ_ERR_OPTION;
	}
	if (ring) {
		qz_session__log(p->session, QZ_LOG_INFO,
				"reading samples through the ring: %s reads them one by one", ring);
		return 0;
	}
	p->bpf = qz_profile_bpf__new(&bopts, why, sizeof(why));
	if (!p->bpf) {
		int err = errno ? -errno : -EOPNOTSUPP;

		if (opts->bpf) {
			qz_session__log(p->session, QZ_LOG_ERROR,
					"--bpf needs BPF, unavailable here: %s; drop --bpf to read samples through the ring",
					why);
			return err;
		}
		qz_session__log(p->session, QZ_LOG_INFO,
				"counting in the kernel is unavailable (%s): reading samples instead",
				why);
		return 0;
	}
	env->callchain = false;
	/* The ring carries only the symbolizer's MMAP2, COMM and task records. */
	if (!env->mmap_pages)
		env->mmap_pages = BPF_RING_PAGES;
	return 0;
}

/* The BPF counting program, or the ring path's filters, on event idx. */
static int attach_bpf(struct profile *p, int idx, const struct qz_filter_cfg *filter)
{
	struct qz_session *s = p->session;
	int err = 0;

	if (p->bpf) {
		err = qz_session__set_bpf(s, idx, qz_profile_bpf__prog_fd(p->bpf));
		if (!err && p->pprof)
			err = qz_session__add_fd(s, qz_profile_bpf__news_fd(p->bpf), profile_news);
	} else if (filter && !(p->filter = qz_bpf_filter__attach(s, filter))) {
		err = -errno;
	}
	return err;
}

static int profile_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct profile_opts *opts = qz_session__ops_opts(s);
	struct qz_filter_cfg filter;
	bool filtered = qz_bpf_filter__wanted(&opts->filter);
	struct profile *p;
	int idx, err;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"profile samples cpu-clock and takes no -e '%s'; to sample another event use: quazar trace -e '%s' -g",
				env->events.v[0], env->events.v[0]);
		return -EINVAL;
	}
	if (opts->than && opts->pprof) {
		qz_session__log(s, QZ_LOG_ERROR,
				"profile: --than writes a flame graph per trigger, not --pprof; drop one");
		return -EINVAL;
	}
	if (!opts->than && (opts->sys || opts->for_ns)) {
		qz_session__log(s, QZ_LOG_ERROR, "profile: --%s goes with --than PERCENT",
				opts->sys ? "sys" : "for");
		return -EINVAL;
	}
	if (opts->than && (opts->bpf || filtered)) {
		qz_session__log(s, QZ_LOG_ERROR,
				"profile: --than measures how busy each CPU is from every sample; drop %s",
				opts->bpf ? "--bpf" : "the BPF filters");
		return -EINVAL;
	}
	if (filtered && qz_bpf_filter__config(s, &opts->filter, &filter))
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->session = s;
	if (opts->than) {
		/* --flame-graph names a directory, -F the capture's rate. */
		struct qz_trigger_opts o = {
			.than = opts->than, .sys = opts->sys, .for_ns = opts->for_ns,
			.dir = opts->flame_graph, .name = "profile",
			.burst_period_ns = opts->period ?: opts->freq ? 1000000000ull / opts->freq : 0,
		};
		int err;

		p->trigger = qz_trigger__new(s, &o, &err);
		if (!p->trigger) {
			free(p);
			return err;
		}
		*ctx = p;
		return 0;
	}
	p->out = qz_session__output(s);
	p->nr_cpus = sysconf(_SC_NPROCESSORS_CONF);
	p->cpu_samples = calloc((size_t)p->nr_cpus, sizeof(uint64_t));
	p->cpu_idle = calloc((size_t)p->nr_cpus, sizeof(uint64_t));
	p->printer = qz_stack_printer__new();
	p->functions = qz_strcount__new();
	p->stacks = qz_strcount__new();
	p->raw_ips = qz_stacktab__new(0);
	p->raw_stacks = qz_stacktab__new(0);
	p->sym = qz_session__symbolizer(s);
	p->ksyms = qz_bpf_ksyms__use(p->sym);
	p->fold = p->sym ? qz_stackfold__new(p->sym) : NULL;
	if (!p->cpu_samples || !p->cpu_idle || !p->printer || !p->functions || !p->stacks ||
	    !p->raw_ips || !p->raw_stacks || !p->fold)
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
	err = setup_bpf(p, env, opts, filtered ? &filter : NULL);
	if (err) {
		profile_free(p);
		return err;
	}
	qz_session__set_sampling(s, p->period_ns, 0);
	idx = qz_session__add_events(s, "cpu-clock", PERF_SAMPLE_IP);
	err = idx < 0 ? idx : attach_bpf(p, idx, filtered ? &filter : NULL);
	if (err) {
		profile_free(p);
		return err;
	}
	p->interval_start = now_ns();
	*ctx = p;
	return 0;
nomem:
	profile_free(p);
	return -ENOMEM;
}

/*
 * count samples like smp: from the ring one at a time, from BPF counted
 * (at the interval: its mappings' generation is the one of then).
 */
static void profile_account(void *ctx, const struct qz_sample *smp, const char *comm,
			    uint64_t count)
{
	struct profile *p = ctx;
	uint64_t gen;

	if (smp->cpu < (uint64_t)p->nr_cpus) {
		p->cpu_samples[smp->cpu] += count;
		p->cpu_idle[smp->cpu] += smp->pid == 0 ? count : 0;
	}
	/* The idle task: it makes a CPU's idle time, it is not a hot spot. */
	if (smp->pid == 0)
		return;
	p->samples += count;
	/* No symbols here: the reader must keep up. The interval resolves. */
	if (p->pprof && qz_pprof__add(p->pprof, smp, comm, count))
		qz_session__log(p->session, QZ_LOG_WARN, "--pprof: out of memory, a sample is missing");
	gen = qz_symbolizer__gen(p->sym, (pid_t)smp->pid);
	/* A callchain's leaf is the sampled ip: one table is enough. */
	if (smp->callchain_nr)
		qz_stacktab__add(p->raw_stacks, smp->pid, gen, comm, smp->callchain,
				 smp->callchain_nr, count);
	else
		qz_stacktab__add_ip(p->raw_ips, smp->pid, gen, comm, smp->ip, count);
}

static void profile_sample(void *ctx, const struct qz_event *ev)
{
	struct profile *p = ctx;

	if (p->trigger) {
		qz_trigger__sample(p->trigger, ev);
		return;
	}
	profile_account(p, ev->sample, qz_event__comm(ev), 1);
}

/* The interval's raw samples to functions and folded stacks. */
static void resolve(struct profile *p)
{
	uint64_t frames = qz_stackfold__frames(p->fold), unknown = qz_stackfold__unknown(p->fold);
	const struct qz_stack_entry *e;
	char key[1024], line[8192];
	size_t cur = 0;

	qz_stackfold__interval(p->fold);
	while ((e = qz_stacktab__next(p->raw_ips, &cur))) {
		qz_stackfold__leaf(p->fold, e, key, sizeof(key), true);
		qz_strcount__add(p->functions, key, e->count);
	}
	for (cur = 0; (e = qz_stacktab__next(p->raw_stacks, &cur));) {
		qz_stackfold__leaf(p->fold, e, key, sizeof(key), false);
		qz_strcount__add(p->functions, key, e->count);
		/* Kernel frames end in "_[k]", as qz_folded__line writes them. */
		qz_stackfold__line(p->fold, e, true, line, sizeof(line));
		qz_strcount__add(p->stacks, line, e->count);
		if (p->flame)
			qz_folded__count_n(p->flame, line, e->count);
	}
	p->frames = qz_stackfold__frames(p->fold) - frames;
	p->unknown = qz_stackfold__unknown(p->fold) - unknown;
	p->dropped = qz_stacktab__dropped(p->raw_ips) + qz_stacktab__dropped(p->raw_stacks);
	p->dropped_total += p->dropped;
	qz_stacktab__reset(p->raw_ips);
	qz_stacktab__reset(p->raw_stacks);
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
	if (p->bpf && (p->bpf_lost.collisions || p->bpf_lost.hash_full || p->bpf_lost.errors))
		fprintf(f, "\nbpf: %" PRIu64 " samples without their stack (stack map collisions), %"
			PRIu64 " dropped (hash full), %" PRIu64 " dropped (errors)",
			p->bpf_lost.collisions, p->bpf_lost.hash_full, p->bpf_lost.errors);
	fprintf(f, "\n%8s %6s  %-40s %s\n", "SAMPLES", "%", "FUNCTION", "MODULE");
	for (size_t i = 0; i < nr_fn && i < TOP_FUNCTIONS; i++) {
		const char *tab = strchr(fn[i].key, '\t'), *tab2 = strchr(tab + 1, '\t');

		fprintf(f, "%8" PRIu64 " %5.1f%%  %-40.*s %.*s\n", fn[i].count,
			pct(fn[i].count, p->samples), (int)(tab - fn[i].key), fn[i].key,
			(int)(tab2 - tab - 1), tab + 1);
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

static void print_json(struct profile *p, struct strcount_entry *fn, size_t nr_fn,
		       struct strcount_entry *st, size_t nr_st, uint64_t interval_ns,
		       uint64_t now)
{
	struct qz_json *j = qz_output__begin(p->out, "profile", now);

	qz_json__key_u64(j, "interval_ns", interval_ns);
	qz_json__key_u64(j, "period_ns", p->period_ns);
	qz_json__key_u64(j, "samples", p->samples);
	qz_json__key_u64(j, "dropped", p->dropped);
	qz_json__key_u64(j, "frames", p->frames);
	qz_json__key_u64(j, "unknown_frames", p->unknown);
	if (p->bpf) {
		qz_json__key(j, "bpf");
		qz_json__begin_object(j);
		qz_json__key_u64(j, "stack_collisions", p->bpf_lost.collisions);
		qz_json__key_u64(j, "hash_full", p->bpf_lost.hash_full);
		qz_json__key_u64(j, "errors", p->bpf_lost.errors);
		qz_json__end_object(j);
	}
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
		const char *tab = strchr(fn[i].key, '\t'), *tab2 = strchr(tab + 1, '\t');

		qz_json__begin_object(j);
		qz_json__key(j, "sym");
		qz_json__strn(j, fn[i].key, (size_t)(tab - fn[i].key));
		qz_json__key(j, "module");
		qz_json__strn(j, tab + 1, (size_t)(tab2 - tab - 1));
		if (tab2[1])
			qz_json__key_str(j, "build_id", tab2 + 1);
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
		qz_strcount__json_folded(j, st, nr_st);
	qz_output__end(p->out);
}

/* What could not be named, and what the bounds dropped, once at exit. */
static void log_symbols(struct profile *p)
{
	QZ_OPTS(qz_symbolizer_stats, st);

	qz_symbolizer__stats(p->sym, &st);
	qz_session__log(p->session, p->dropped_total || st.procs_evicted ? QZ_LOG_WARN :
									QZ_LOG_DEBUG,
			"symbols: %" PRIu64 " frames, %" PRIu64 " without a symbol; %" PRIu64
			" samples dropped (table bound), %" PRIu64 " processes' maps evicted",
			qz_stackfold__frames(p->fold), qz_stackfold__unknown(p->fold), p->dropped_total,
			st.procs_evicted);
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

/* The kernel's counts since the last interval, and what it could not count. */
static void read_bpf(struct profile *p)
{
	struct profile_bpf_stats *lost = &p->bpf_lost;
	int err = qz_profile_bpf__read(p->bpf, profile_account, p, lost);

	if (err)
		qz_session__log(p->session, QZ_LOG_ERROR, "reading the BPF counts: %s",
				qz_strerror(err));
	if (lost->collisions || lost->hash_full || lost->errors)
		qz_session__log(p->session, QZ_LOG_WARN,
				"bpf: %" PRIu64 " samples without their stack (stack map collisions), %"
				PRIu64 " dropped (hash full), %" PRIu64
				" dropped (errors); more room with --bpf-entries",
				lost->collisions, lost->hash_full, lost->errors);
}

static void profile_interval(void *ctx, struct qz_output *out, bool final)
{
	struct profile *p = ctx;
	uint64_t now = now_ns(), interval_ns = now - p->interval_start;
	size_t nr_fn = 0, nr_st = 0;
	struct strcount_entry *fn, *st;

	if (p->trigger) {
		qz_trigger__interval(p->trigger, out, final);
		return;
	}
	if (p->bpf)
		read_bpf(p);
	resolve(p);
	/* Only the top ones are printed, but JSON's "folded" has every stack. */
	fn = qz_strcount__top(p->functions, TOP_FUNCTIONS, &nr_fn);
	st = qz_output__json(out) && p->callchain ? qz_strcount__sorted(p->stacks, &nr_st) :
						    qz_strcount__top(p->stacks, TOP_STACKS, &nr_st);

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
	if (final)
		log_symbols(p);
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
			"write FILE.folded and its flame graph FILE.svg (implies -g; with --than: DIR/<time>-cpu<N>.*)"),
	QZ_OPTION_ENTRY(struct profile_opts, pprof, "pprof", 0, QZ_OPTION_STRING, "FILE",
			"write a gzipped pprof profile.proto to FILE (implies -g)"),
	QZ_OPTION_ENTRY(struct profile_opts, than, "than", 0, QZ_OPTION_PERCENT, "PERCENT",
			"watch each CPU at 99 Hz; capture the stacks of one this busy"),
	QZ_OPTION_ENTRY(struct profile_opts, sys, "sys", 0, QZ_OPTION_BOOL, NULL,
			"with --than: kernel-mode %, not busy %"),
	QZ_OPTION_ENTRY(struct profile_opts, for_ns, "for", 0, QZ_OPTION_TIME, "TIME",
			"with --than: capture this long (default 5s)"),
	QZ_OPTION_ENTRY(struct profile_opts, bpf, "bpf", 0, QZ_OPTION_BOOL, NULL,
			"count samples in the kernel (BPF), an error where it cannot; the default where it can"),
	QZ_OPTION_ENTRY(struct profile_opts, no_bpf, "no-bpf", 0, QZ_OPTION_BOOL, NULL,
			"read every sample through the ring instead of counting in the kernel"),
	QZ_OPTION_ENTRY(struct profile_opts, bpf_entries, "bpf-entries", 0, QZ_OPTION_COUNT, "N",
			"with BPF: keys and stacks one interval holds (default 8192)",
			.max = 1u << 24),
	QZ_BPF_FILTER_OPTIONS(struct profile_opts, filter),
	{ 0 },
};

const struct qz_profiler qz_profiler_profile = {
	.name = "profile",
	.help = "sample the CPUs on cpu-clock: hottest functions and stacks, busy % per CPU",
	.usage = "Samples cpu-clock at -F HZ (default 99) or every --period; -g adds stacks.\n"
		 "The idle task counts toward a CPU's idle time, not the hot spots.\n"
		 "Where BPF is available the samples are counted in the kernel (--no-bpf: the ring).\n"
		 "examples:\n"
		 "  quazar profile -F 999 -g -i 2000\n"
		 "  quazar profile -g --flame-graph cpu -- ./prog args     (cpu.folded, cpu.svg)\n"
		 "  quazar profile --pprof cpu.pb.gz -- ./prog args        (go tool pprof -top cpu.pb.gz)\n"
		 "  quazar profile --than 30 --sys --flame-graph /var/tmp/spikes/\n"
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
