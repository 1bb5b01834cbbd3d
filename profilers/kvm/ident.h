/* SPDX-License-Identifier: MIT */
/*
 * Who a VM is, from its VMM's command line: a name and an id an operator
 * can join with an inventory. See docs/kvm.md for each VMM's parser.
 */
#ifndef QUAZAR_PROFILERS_KVM_IDENT_H
#define QUAZAR_PROFILERS_KVM_IDENT_H

#include <stddef.h>

#define KVM_VMM_LEN 24
#define KVM_NAME_LEN 96
#define KVM_ID_LEN 160

struct kvm_ident {
	char vmm[KVM_VMM_LEN];	/* "qemu", "libvirt", ... or "" when unknown */
	char name[KVM_NAME_LEN];
	char id[KVM_ID_LEN];
};

/*
 * Fill id from cmdline (NUL-separated arguments, as /proc/PID/cmdline; len
 * bytes, may be NULL), falling back to comm and the pid.
 */
void qz_kvm_ident__parse(struct kvm_ident *id, const char *cmdline, size_t len,
			 const char *comm, int pid);

#endif
