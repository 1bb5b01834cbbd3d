/* SPDX-License-Identifier: MIT */
/*
 * KVM exit reasons by name: Intel VMX basic exit reasons, AMD SVM exit
 * codes, and the reasons KVM_RUN returns to user space (kvm_run's
 * exit_reason). Decoding a kvm:kvm_exit record reads its isa field where
 * the kernel has one, else the host CPU's vendor decides.
 */
#ifndef QUAZAR_PROFILERS_KVM_EXIT_REASON_H
#define QUAZAR_PROFILERS_KVM_EXIT_REASON_H

#include <stddef.h>
#include <stdint.h>

struct qz_tp_event;
struct qz_tp_field;

/* As the kernel's KVM_ISA_VMX and KVM_ISA_SVM; USER for kvm_userspace_exit. */
enum kvm_isa {
	KVM_ISA_UNKNOWN = 0,
	KVM_ISA_VMX = 1,
	KVM_ISA_SVM = 2,
	KVM_ISA_USER = 3,
};

#define KVM_REASON_NAME_LEN 48
/* A user-space exit whose KVM_RUN failed: this bit | -errno. */
#define KVM_USER_ERRNO 0x80000000u

/* "vmx", "svm", "user" or "unknown". */
const char *qz_kvm_isa__name(int isa);
/*
 * The name of exit code of isa into buf ("HLT", "IO_INSTRUCTION", "NPF",
 * "KVM_EXIT_IO" is written "IO"); unknown codes as "VMX_77" / "SVM_0x4ff".
 * Returns buf.
 */
const char *qz_kvm_exit__name(int isa, uint32_t code, char *buf, size_t len);
/*
 * The code a kvm_exit reason is counted under: VMX keeps its basic reason
 * and the failed-VM-entry bit, SVM the whole code.
 */
uint32_t qz_kvm_exit__key(int isa, uint32_t reason);
/* The code of a kvm_userspace_exit: reason, or KVM_USER_ERRNO | -errno. */
uint32_t qz_kvm_user_exit__key(uint32_t reason, int32_t err);

/* Handles on kvm:kvm_exit's fields, resolved once. */
struct kvm_exit_fields {
	const struct qz_tp_field *reason, *isa, *rip, *vcpu;
	int host_isa;		/* used when the format has no isa field */
};

struct kvm_exit_info {
	int isa;
	uint32_t code;		/* qz_kvm_exit__key() of the reason */
	uint64_t rip;		/* guest RIP, 0 when the format has none */
	uint32_t vcpu;
};

/* 0, or -QZ_ERR_UNKNOWN_FIELD when ev has no exit_reason field. */
int qz_kvm_exit_fields__init(struct kvm_exit_fields *f,
			     const struct qz_tp_event *ev, int host_isa);
/* Decode one raw record; fields that do not fit read as 0. */
void qz_kvm_exit__decode(const struct kvm_exit_fields *f, const void *raw,
			 size_t size, struct kvm_exit_info *out);
/* The host CPU's virtualization ISA from a cpuinfo file ("/proc/cpuinfo"). */
int qz_kvm_host_isa(const char *cpuinfo);
/*
 * The KVM vendor module loaded, from a sysfs module directory
 * ("/sys/module"): "kvm_intel", "kvm_amd", another kvm_* (such as
 * kvm_pvm, which raises no kvm_exit) or "" when none. Returns buf.
 */
const char *qz_kvm_vendor_module(const char *sys_module, char *buf,
				 size_t len);

#endif
