// SPDX-License-Identifier: MIT
/*
 * KVM exit reasons by name, for exit_reason_str(ISA, REASON) in
 * expressions: the kernel's own tables from the uapi headers, VMX (isa 1)
 * and SVM (isa 2) as kvm:kvm_exit reports them.
 */
#include <stddef.h>
#include <stdint.h>
#include "util.h"

#if defined(__x86_64__) || defined(__i386__)
#include <asm/kvm.h>
#include <asm/svm.h>
#include <asm/vmx.h>

struct reason {
	uint64_t code;
	const char *name;
};

static const struct reason vmx[] = { VMX_EXIT_REASONS };
static const struct reason svm[] = { SVM_EXIT_REASONS };

static const char *find(const struct reason *t, size_t n, uint64_t code)
{
	for (size_t i = 0; i < n; i++)
		if (t[i].code == code)
			return t[i].name;
	return NULL;
}

const char *qz__exit_reason(uint64_t isa, uint64_t reason)
{
	if (isa == 1)
		return find(vmx, sizeof(vmx) / sizeof(vmx[0]), reason);
	if (isa == 2)
		return find(svm, sizeof(svm) / sizeof(svm[0]), reason);
	return NULL;
}
#else
const char *qz__exit_reason(uint64_t isa, uint64_t reason)
{
	(void)isa;
	(void)reason;
	return NULL;
}
#endif
