// SPDX-License-Identifier: MIT
#include <stddef.h>
#include <quazar/stack.h>
#include "bpf_config.h"
#include "bpf_ksyms.h"
#if QZ_HAVE_LIBBPF
#include <quazar/bpf.h>
#endif

struct qz_bpf_ksym *qz_bpf_ksyms__use(struct qz_symbolizer *sym)
{
#if QZ_HAVE_LIBBPF
	struct qz_bpf_ksym *k = sym ? qz_bpf_ksym__new() : NULL;

	if (k && qz_symbolizer__set_kernel_lookup(sym, qz_bpf_ksym__lookup, k)) {
		qz_bpf_ksym__free(k);
		return NULL;
	}
	return k;
#else
	(void)sym;
	return NULL;
#endif
}

void qz_bpf_ksyms__free(struct qz_symbolizer *sym, struct qz_bpf_ksym *k)
{
	if (!k)
		return;
	qz_symbolizer__set_kernel_lookup(sym, NULL, NULL);
#if QZ_HAVE_LIBBPF
	qz_bpf_ksym__free(k);
#endif
}
