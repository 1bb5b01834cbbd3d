/* SPDX-License-Identifier: MIT */
/*
 * x86-64 registers of a sample (PERF_SAMPLE_REGS_USER), as the registers
 * of a fault or a breakpoint are shown: RIP RSP RFLAGS, RAX..R15, CS SS.
 */
#ifndef QUAZAR_PROFILERS_REGS_H
#define QUAZAR_PROFILERS_REGS_H

#include <stdint.h>
#include <stdio.h>
#include <quazar/event.h>
#include <quazar/json.h>

/* Every general register the kernel samples (not DS, ES, FS, GS). */
uint64_t qz_regs__mask(void);
/*
 * A register named as uprobe attrs name them: rax or $retval, rdi or
 * $arg1, rsi/$arg2, rdx/$arg3, rcx/$arg4, r8/$arg5, r9/$arg6, rbx, rbp,
 * rsp, rip. PERF_REG_X86_*, or -1.
 */
int qz_regs__by_name(const char *name);
/* Register `reg` (PERF_REG_X86_*) of a sample taken with mask; 0 if absent. */
uint64_t qz_regs__get(const struct qz_sample *smp, uint64_t mask, int reg);
/* Indented lines: "      RIP: ... RSP: ... RFLAGS: ...". Nothing without regs. */
void qz_regs__text(const struct qz_sample *smp, uint64_t mask, FILE *f);
/* "regs": {"rip":..,...} member; nothing without regs. */
void qz_regs__json(const struct qz_sample *smp, uint64_t mask, struct qz_json *j);

#endif
