/* SPDX-License-Identifier: MIT */
/*
 * A symbolizer's kernel addresses named by the kernel itself (libquazar-bpf's
 * qz_bpf_ksym) where BPF works, so that a profiler never reads
 * /proc/kallsyms whole; elsewhere kallsyms, as before.
 */
#ifndef QUAZAR_PROFILERS_BPF_KSYMS_H
#define QUAZAR_PROFILERS_BPF_KSYMS_H

struct qz_symbolizer;
struct qz_bpf_ksym;

/* What sym now asks, or NULL: sym reads kallsyms. */
struct qz_bpf_ksym *qz_bpf_ksyms__use(struct qz_symbolizer *sym);
/* Taken back from sym (which may live on) and freed; k may be NULL. */
void qz_bpf_ksyms__free(struct qz_symbolizer *sym, struct qz_bpf_ksym *k);

#endif
