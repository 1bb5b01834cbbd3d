/* SPDX-License-Identifier: MIT */
/*
 * What /proc says about KVM: a VM is an fd linking to anon_inode:kvm-vm, a
 * vCPU one linking to anon_inode:kvm-vcpu:N. The root is a parameter so a
 * container can point at the host's /proc and tests at a fake tree.
 */
#ifndef QUAZAR_PROFILERS_KVM_PROCFS_H
#define QUAZAR_PROFILERS_KVM_PROCFS_H

#include <stddef.h>
#include <stdint.h>
#include "ident.h"

enum kvm_link {
	KVM_LINK_OTHER = 0,
	KVM_LINK_VM = 1,
	KVM_LINK_VCPU = 2,
};

#define KVM_PROC_MAX_VMS 16

struct kvm_proc_info {
	int pid;
	int vm_fds[KVM_PROC_MAX_VMS];	/* ascending */
	int nr_vm_fds;
	int vcpu_fds;
	uint64_t start_boot_ns;	/* process start, CLOCK_BOOTTIME; 0: unknown */
	char comm[16];
	struct kvm_ident ident;
};

/*
 * What proc/PID/fd/FD links to: a KVM_LINK_* (with the vCPU's id in
 * *vcpu_id when not NULL), or -errno (-ENOENT: no such fd or process).
 */
int qz_kvm_proc__fd(const char *proc, int pid, int fd, int *vcpu_id);
/* pid's VM and vCPU fds only: 0 or -errno. */
int qz_kvm_proc__fds(const char *proc, int pid, struct kvm_proc_info *out);
/*
 * pid's VM and vCPU fds, start time, comm and identity. 0 (nr_vm_fds 0
 * when it holds no VM) or -errno when the process cannot be read.
 */
int qz_kvm_proc__read(const char *proc, int pid, struct kvm_proc_info *out);
/*
 * Call fn for every process of proc holding a VM fd, in pid order; fn's
 * nonzero return stops the walk and is returned. Else the number of such
 * processes, or -errno when proc cannot be listed.
 */
int qz_kvm_proc__scan(const char *proc,
		      int (*fn)(const struct kvm_proc_info *info, void *ctx),
		      void *ctx);
/* A thread's process (proc/TID/status Tgid:), or -errno. */
int qz_kvm_proc__tgid(const char *proc, int tid);
/* pid's comm into buf ("" when gone). */
void qz_kvm_proc__comm(const char *proc, int pid, char *buf, size_t len);
/* pid's identity from proc/PID/cmdline; comm names it when nothing else does. */
void qz_kvm_proc__ident(const char *proc, int pid, const char *comm,
			struct kvm_ident *id);
/* Now on CLOCK_BOOTTIME, in ns: what start_boot_ns is measured against. */
uint64_t qz_kvm_boot_ns(void);

#endif
