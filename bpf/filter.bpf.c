// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * perf-prof's BPF filters on the events of profile and trace: one program
 * per kind of event, each returning 0 to drop the sample (or the uprobe
 * hit) and 1 to keep it. The filters are in the read-only data
 * (filter_cfg.h), set before load. None for tracepoints: the kernel runs
 * one program array per tracepoint for all its perf users, so a verdict
 * here would drop events for every one of them (see bpf_filter.c).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "filter.bpf.h"

/* Sampled events (cpu-clock, page-faults, PMU): the interrupted registers. */
SEC("perf_event")
int qz_filter_pe(struct bpf_perf_event_data *ctx)
{
	return qz_filter_keep(qz_regs_irqs_off((const struct pt_regs *)&ctx->regs));
}

/* uprobes: user registers, where interrupts are always on. */
SEC("uprobe")
int qz_filter_up(struct pt_regs *regs)
{
	return qz_filter_keep(qz_regs_irqs_off(regs));
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
