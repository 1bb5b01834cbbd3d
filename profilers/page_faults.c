// SPDX-License-Identifier: MIT
/*
 * page-faults: every page fault with the faulting address, the instruction
 * (ip, symbolized) and, with -g or --regs, the user registers; -g adds the
 * stack (perf-prof's page-faults). The software event page-faults is
 * sampled on every fault (PERF_SAMPLE_ADDR gives the address).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <quazar/session.h>
#include "profiler_table.h"
#include "callchain.h"
#include "regs.h"

#define KERNEL_START 0xffff800000000000ull

struct pf_opts {
	bool regs;
};

struct page_faults {
	struct qz_session *session;
	struct qz_output *out;
	struct qz_stack_printer *stacks;
	uint64_t mask;
	uint32_t last_pid;
	uint64_t faults, user_faults;
};

static void pf_free(struct page_faults *p)
{
	qz_stack_printer__free(p->stacks);
	free(p);
}

static int pf_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct pf_opts *opts = qz_session__ops_opts(s);
	struct page_faults *p;
	int idx;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"page-faults opens its own event (page-faults); drop -e, or use 'quazar trace -e page-faults'");
		return -QZ_ERR_OPTION;
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->session = s;
	p->out = qz_session__output(s);
	p->stacks = qz_stack_printer__new();
	if (!p->stacks) {
		pf_free(p);
		return -ENOMEM;
	}
	idx = qz_session__add_events(s, "page-faults", PERF_SAMPLE_IP | PERF_SAMPLE_ADDR);
	if (idx >= 0 && (env->callchain || opts->regs)) {
		p->mask = qz_regs__mask();
		idx = qz_session__set_regs_user(s, idx, p->mask);
	}
	if (idx < 0) {
		pf_free(p);
		return idx;
	}
	*ctx = p;
	return 0;
}

static void pf_sample(void *ctx, const struct qz_event *ev)
{
	struct page_faults *p = ctx;
	const struct qz_sample *smp = ev->sample;
	bool user = smp->ip < KERNEL_START;
	char sym[256];

	p->faults++;
	p->user_faults += user;
	if (smp->pid != p->last_pid) {
		qz_symbolizer__prepare(qz_stack_printer__symbolizer(p->stacks), (pid_t)smp->pid);
		p->last_pid = smp->pid;
	}
	qz_stack_printer__frame(p->stacks, (pid_t)smp->pid, user, smp->ip, sym, sizeof(sym));
	if (qz_output__json(p->out)) {
		struct qz_json *j = qz_output__begin(p->out, "page_fault", smp->time);

		qz_event__json_header(ev, j);
		qz_json__key_u64(j, "addr", smp->addr);
		qz_json__key_u64(j, "ip", smp->ip);
		qz_json__key_str(j, "sym", sym);
		qz_json__key_bool(j, "user", user);
		qz_regs__json(smp, p->mask, j);
		if (smp->callchain_nr) {
			qz_json__key(j, "stack");
			qz_stack_printer__json(p->stacks, smp, j);
		}
		qz_output__end(p->out);
	} else {
		FILE *f = qz_output__file(p->out);

		fprintf(f, "%16s %6u/%-6u [%03u] %" PRIu64 ".%06" PRIu64
			   ": page-fault addr %016" PRIx64 " ip %016" PRIx64 " %s\n",
			qz_event__comm(ev), smp->pid, smp->tid, smp->cpu, smp->time / 1000000000,
			smp->time % 1000000000 / 1000, smp->addr, smp->ip, sym);
		if (smp->callchain_nr)
			qz_stack_printer__text(p->stacks, smp, f);
		qz_regs__text(smp, p->mask, f);
	}
}

static void pf_interval(void *ctx, struct qz_output *out, bool final)
{
	struct page_faults *p = ctx;

	if (!final || qz_output__json(out))
		return;
	fprintf(qz_output__file(out), "%" PRIu64 " page faults, %" PRIu64 " at user addresses\n",
		p->faults, p->user_faults);
}

static void pf_deinit(void *ctx)
{
	pf_free(ctx);
}

static const struct qz_option pf_options[] = {
	QZ_OPTION_ENTRY(struct pf_opts, regs, "regs", 0, QZ_OPTION_BOOL, NULL,
			"print the user registers of each fault (-g does too)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_page_faults = {
	.name = "page-faults",
	.help = "every page fault: address, instruction, registers and stack",
	.usage = "examples:\n"
		 "  quazar page-faults -p PID -N 100\n"
		 "  quazar page-faults -g -- ./prog        # with stacks and registers\n"
		 "  quazar page-faults --json --regs -C 0",
	.nest = true,
	.options = pf_options,
	.opts_size = sizeof(struct pf_opts),
	.ops = {
		.init = pf_init,
		.sample = pf_sample,
		.interval = pf_interval,
		.deinit = pf_deinit,
	},
};
