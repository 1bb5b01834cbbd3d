// SPDX-License-Identifier: MIT
/*
 * qz_bpf_ksym: kernel addresses named by the kernel itself, through
 * bpf/ksym.bpf.c, for qz_symbolizer__set_kernel_lookup.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <bpf/bpf.h>
#include "bpf_config.h"
#include "bpf_internal.h"
#if QZ_HAVE_BPF_SKELETONS
#include "ksym.skel.h"
#endif

#if QZ_HAVE_BPF_SKELETONS

struct qz_bpf_ksym {
	struct qz_ksym_bpf *skel;
};

QZ_API struct qz_bpf_ksym *qz_bpf_ksym__new(void)
{
	struct qz_bpf_ksym *k = calloc(1, sizeof(*k));
	struct qz_bpf_capture quiet;
	int err;

	if (!k)
		return NULL;
	/* Kernels before 5.14 (no syscall programs) refuse it: kallsyms then. */
	qz__bpf_capture_begin(&quiet);
	k->skel = qz_ksym_bpf__open_and_load();
	err = errno;
	qz__bpf_capture_end(&quiet);
	qz__bpf_capture_free(&quiet);
	if (!k->skel) {
		free(k);
		errno = err ?: EINVAL;
		return NULL;
	}
	return k;
}

QZ_API void qz_bpf_ksym__free(struct qz_bpf_ksym *k)
{
	if (!k)
		return;
	qz_ksym_bpf__destroy(k->skel);
	free(k);
}

QZ_API int qz_bpf_ksym__lookup(void *ctx, uint64_t addr, char *buf, size_t len)
{
	struct qz_bpf_ksym *k = ctx;
	LIBBPF_OPTS(bpf_test_run_opts, run);

	k->skel->bss->addr = addr;
	if (bpf_prog_test_run_opts(bpf_program__fd(k->skel->progs.qz_ksym), &run))
		return -errno;
	snprintf(buf, len, "%s", k->skel->bss->text);
	return 0;
}

#else

QZ_API struct qz_bpf_ksym *qz_bpf_ksym__new(void)
{
	errno = ENOTSUP;	/* QZ_BPF_MISSING says why */
	return NULL;
}

QZ_API void qz_bpf_ksym__free(struct qz_bpf_ksym *k)
{
	(void)k;
}

QZ_API int qz_bpf_ksym__lookup(void *ctx, uint64_t addr, char *buf, size_t len)
{
	(void)ctx, (void)addr, (void)buf, (void)len;
	return -ENOTSUP;
}

#endif
