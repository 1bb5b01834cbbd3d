// SPDX-License-Identifier: MIT
/*
 * breakpoint: hardware breakpoints (the CPU's debug registers) on up to 4
 * addresses, `quazar breakpoint ADDR[/LEN][:rwx] ...` as perf-prof has it:
 * LEN is 1, 2, 4 or 8 bytes (default 1), the type w (default), rw (x86
 * cannot watch reads alone: r means rw) or x (execution, LEN is a long).
 * Each hit prints the task, the address, the instruction that hit it
 * (symbolized) and, with -g, its stack and user registers.
 *
 * Some hosts give VMs breakpoints that open but never fire (`perf stat -e
 * mem:ADDR/8:w` reads 0 there too). At start a probe breakpoint on a
 * variable of quazar's own, written 100 times, tells those hosts apart: it
 * is said at once, and in the summary.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/hw_breakpoint.h>
#include <quazar/attr.h>
#include <quazar/cpumap.h>
#include <quazar/evsel.h>
#include <quazar/session.h>
#include <quazar/threadmap.h>
#include "profiler_table.h"
#include "callchain.h"
#include "regs.h"

#define MAX_BP 4
#define PROBE_WRITES 100
#define KERNEL_START 0xffff800000000000ull

struct bp_opts {
	struct qz_strv addr;
	bool regs;
};

struct bp {
	uint64_t addr, len;
	unsigned type;
	char text[64];		/* 0xADDR/LEN:RW */
	uint64_t hits;
};

struct breakpoint {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *stacks;
	struct bp bp[MAX_BP];
	int nr_bp;
	int first;			/* session index of bp[0] */
	uint64_t mask;
	uint32_t last_pid;
	long long probe;		/* the probe's count; -1: not run */
};

static volatile long probe_target;

/* Writes a probe breakpoint counted: -errno when none opens. */
static long long probe_breakpoints(void)
{
	struct perf_event_attr attr = { 0 };
	pid_t self = getpid();
	struct qz_thread_map *threads = qz_thread_map__new_tids(&self, 1);
	struct qz_cpu_map *any = qz_cpu_map__new_any();
	QZ_OPTS(qz_counts, c);
	QZ_OPTS(qz_evsel_open_opts, oopts, .cgroup_fd = -1);
	struct qz_evsel *e = NULL;
	long long ret;

	ret = qz_attr__breakpoint(&attr, (uint64_t)(uintptr_t)&probe_target,
				  sizeof(probe_target), HW_BREAKPOINT_W);
	attr.sample_period = 0;
	attr.exclude_kernel = 1;
	attr.disabled = 1;
	if (!ret && threads && any && !(e = qz_evsel__new(&attr, "probe")))
		ret = -errno;
	if (!ret && e)
		ret = qz_evsel__open(e, any, threads, &oopts);
	if (!ret && e) {
		qz_evsel__enable(e);
		for (int i = 0; i < PROBE_WRITES; i++)
			probe_target = i;
		qz_evsel__disable(e);
		ret = qz_evsel__read_total(e, &c);
		if (!ret)
			ret = (long long)c.val;
	}
	if (!e && !ret)
		ret = -ENOMEM;
	qz_evsel__free(e);
	qz_thread_map__put(threads);
	qz_cpu_map__put(any);
	return ret;
}

/* ADDR[/LEN][:rwx] as perf-prof reads it. */
static int parse_bp(struct qz_session *s, const char *text, struct bp *bp)
{
	char *end;
	const char *p;
	bool r = false, w = false, x = false;

	errno = 0;
	bp->addr = strtoull(text, &end, 0);
	if (errno || end == text || !bp->addr) {
		qz_session__log(s, QZ_LOG_ERROR,
				"breakpoint '%s': ADDR[/LEN][:rwx] needs a non-zero address, decimal or 0x hex",
				text);
		return -QZ_ERR_OPTION;
	}
	p = end;
	bp->len = 1;
	if (*p == '/') {
		bp->len = strtoull(p + 1, &end, 10);
		if (end == p + 1 || (bp->len != 1 && bp->len != 2 && bp->len != 4 && bp->len != 8)) {
			qz_session__log(s, QZ_LOG_ERROR,
					"breakpoint '%s': LEN is 1, 2, 4 or 8 bytes", text);
			return -QZ_ERR_OPTION;
		}
		p = end;
	}
	if (*p == ':') {
		for (p++; *p == 'r' || *p == 'w' || *p == 'x'; p++) {
			r |= *p == 'r';
			w |= *p == 'w';
			x |= *p == 'x';
		}
		if (!r && !w && !x)
			w = true;
	} else {
		w = true;
	}
	if (*p || (x && (r || w))) {
		qz_session__log(s, QZ_LOG_ERROR,
				"breakpoint '%s': expected ADDR[/LEN][:rwx], e.g. 0x601040/8:w (x alone: execution)",
				text);
		return -QZ_ERR_OPTION;
	}
	if (x) {
		bp->type = HW_BREAKPOINT_X;
		bp->len = sizeof(long);
	} else {
		/* x86 has no read-only breakpoint: a read one watches writes too. */
		bp->type = r ? HW_BREAKPOINT_RW : HW_BREAKPOINT_W;
	}
	snprintf(bp->text, sizeof(bp->text), "0x%" PRIx64 "/%" PRIu64 ":%s", bp->addr, bp->len,
		 x ? "X" : r ? "RW" : "W");
	return 0;
}

static void bp_free(struct breakpoint *b)
{
	qz_stack_printer__free(b->stacks);
	free(b);
}

static int bp_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct bp_opts *opts = qz_session__ops_opts(s);
	struct breakpoint *b;
	int err = 0;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"breakpoint takes addresses, not -e: quazar breakpoint ADDR[/LEN][:rwx] ...");
		return -QZ_ERR_OPTION;
	}
	if (!opts->addr.n || opts->addr.n > MAX_BP) {
		qz_session__log(s, QZ_LOG_ERROR,
				"breakpoint needs 1 to %d addresses (the CPU has 4 debug registers): quazar breakpoint 0x601040/8:w",
				MAX_BP);
		return -QZ_ERR_OPTION;
	}
	b = calloc(1, sizeof(*b));
	if (!b)
		return -ENOMEM;
	b->session = s;
	b->out = qz_session__output(s);
	b->first = -1;
	b->stacks = qz_stack_printer__new();
	if (!b->stacks)
		err = -ENOMEM;
	for (int i = 0; !err && i < opts->addr.n; i++)
		err = parse_bp(s, opts->addr.v[i], &b->bp[b->nr_bp++]);
	b->probe = err ? 0 : probe_breakpoints();
	if (!err && b->probe < 0) {
		qz_session__log(s, QZ_LOG_ERROR,
				"hardware breakpoints cannot be opened here: %s",
				qz_strerror((int)b->probe));
		err = (int)b->probe;
	} else if (!err && b->probe == 0) {
		qz_session__log(s, QZ_LOG_WARN,
				"this host's hardware breakpoints count nothing: a probe breakpoint on a variable written %d times counted 0 (perf stat -e mem:ADDR:w reads 0 too); expect no hits",
				PROBE_WRITES);
	}
	if (env->callchain || opts->regs)
		b->mask = qz_regs__mask();
	for (int i = 0; !err && i < b->nr_bp; i++) {
		char sel[192];
		int idx;

		snprintf(sel, sizeof(sel),
			 "breakpoint/bp_addr=0x%" PRIx64 ",bp_len=%" PRIu64 ",bp_type=%u,period=1/",
			 b->bp[i].addr, b->bp[i].len, b->bp[i].type);
		idx = qz_session__add_events(s, sel, PERF_SAMPLE_IP | PERF_SAMPLE_ADDR);
		if (idx >= 0 && b->mask)
			err = qz_session__set_regs_user(s, idx, b->mask);
		if (idx < 0)
			err = idx;
		else if (b->first < 0)
			b->first = idx;
	}
	if (err) {
		bp_free(b);
		return err;
	}
	*ctx = b;
	return 0;
}

static void bp_sample(void *ctx, const struct qz_event *ev)
{
	struct breakpoint *b = ctx;
	const struct qz_sample *smp = ev->sample;
	struct bp *bp = &b->bp[ev->index - b->first];
	bool user = smp->ip < KERNEL_START;
	char sym[256];

	bp->hits++;
	if (smp->pid != b->last_pid) {
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(b->stacks), (pid_t)smp->pid);
		b->last_pid = smp->pid;
	}
	qz_stack_printer__frame(b->stacks, (pid_t)smp->pid, user, smp->ip, sym, sizeof(sym));
	if (qz_output__json(b->out)) {
		struct qz_json *j = qz_output__begin(b->out, "breakpoint", smp->time);

		qz_event__json_header(ev, j);
		qz_json__key_str(j, "breakpoint", bp->text);
		qz_json__key_u64(j, "addr", smp->addr);
		qz_json__key_u64(j, "ip", smp->ip);
		qz_json__key_str(j, "sym", sym);
		qz_regs__json(smp, b->mask, j);
		if (smp->callchain_nr) {
			qz_json__key(j, "stack");
			qz_stack_printer__json(b->stacks, smp, j);
		}
		qz_output__end(b->out);
	} else {
		FILE *f = qz_output__file(b->out);

		fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64
			   ": breakpoint: %s ip %016" PRIx64 " %s\n",
			qz_event__comm(ev), smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
			smp->time % 1000000000 / 1000, bp->text, smp->ip, sym);
		if (smp->callchain_nr)
			qz_stack_printer__text(b->stacks, smp, f);
		qz_regs__text(smp, b->mask, f);
	}
}

static void bp_interval(void *ctx, struct qz_output *out, bool final)
{
	struct breakpoint *b = ctx;

	if (!final)
		return;
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "breakpoint_summary", 0);

		qz_json__key_bool(j, "host_counts", b->probe > 0);
		qz_json__key_i64(j, "probe_count", b->probe);
		qz_json__key(j, "breakpoints");
		qz_json__begin_array(j);
		for (int i = 0; i < b->nr_bp; i++) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "breakpoint", b->bp[i].text);
			qz_json__key_u64(j, "hits", b->bp[i].hits);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
		return;
	}
	for (int i = 0; i < b->nr_bp; i++)
		fprintf(qz_output__file(out), "%s: %" PRIu64 " hits\n", b->bp[i].text, b->bp[i].hits);
	if (b->probe == 0)
		fprintf(qz_output__file(out),
			"(this host's hardware breakpoints count nothing: a probe counted 0 of %d writes)\n",
			PROBE_WRITES);
}

static void bp_deinit(void *ctx)
{
	bp_free(ctx);
}

static const struct qz_option bp_options[] = {
	QZ_OPTION_ENTRY(struct bp_opts, addr, "addr", 0, QZ_OPTION_LIST, "ADDR[/LEN][:rwx]",
			"a breakpoint (or give them as arguments); up to 4", .max = MAX_BP),
	QZ_OPTION_ENTRY(struct bp_opts, regs, "regs", 0, QZ_OPTION_BOOL, NULL,
			"print the user registers of each hit (-g does too)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_breakpoint = {
	.name = "breakpoint",
	.help = "hardware breakpoints: who reads, writes or runs an address",
	.usage = "LEN: 1, 2, 4 or 8 (default 1); w (default), rw (r alone means rw on x86), x\n"
		 "examples:\n"
		 "  quazar breakpoint 0x7ffd8c7dae28/8:w -p PID\n"
		 "  quazar breakpoint 0xffffffff82a45c20/4:rw -g -C 0",
	.options = bp_options,
	.opts_size = sizeof(struct bp_opts),
	.positional = "addr",
	.ops = {
		.init = bp_init,
		.sample = bp_sample,
		.interval = bp_interval,
		.deinit = bp_deinit,
	},
};
