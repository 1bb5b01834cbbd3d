/* SPDX-License-Identifier: MIT */
/* The lifecycle's state, shared by life.c (events) and life_scan.c (/proc). */
#ifndef QUAZAR_PROFILERS_KVM_LIFE_INTERNAL_H
#define QUAZAR_PROFILERS_KVM_LIFE_INTERNAL_H

#include "life.h"
#include "u64map.h"

#define PENDING_MAX_NS (10ull * 1000000000ull)	/* a create takes ms */

/* An ioctl entered, waiting for its exit on the same thread. */
struct pending {
	uint64_t ts, cmd, fd, arg;
};

/*
 * A create whose fd was gone when read back: a VM only if KVM's own
 * events (kvm:*, only real VMs raise them) follow from its process.
 */
struct unverified {
	uint64_t ts;
	int pid, tid, fd;
	int vm_fd, vcpu_id;	/* a vCPU's: on this VM fd */
	bool vcpu;
	char comm[16];
};

#define MAX_UNVERIFIED 256

struct kvm_life {
	struct kvm_life_opts opts;
	char *proc;
	struct u64map procs;		/* pid -> struct kvm_vm * (newest) */
	struct u64map pending;		/* tid -> struct pending */
	struct u64map strangers;	/* pids looked at: no VM there */
	struct kvm_vm **vms;		/* alive, and ended since the last reap */
	size_t nr_vms, cap_vms, alive;
	uint32_t next_serial;
	bool full_logged;
	struct kvm_life_stats stats;
	struct unverified unverified[MAX_UNVERIFIED];	/* in event order */
	int nr_unverified;
};

struct kvm_vm *qz__kvm_life_head(const struct kvm_life *l, int pid);
void qz__kvm_life_emit(struct kvm_life *l, enum kvm_step step, uint64_t ts,
		       struct kvm_vm *vm, const char *why);
struct kvm_vm *qz__kvm_life_vm_new(struct kvm_life *l, int pid, const char *comm);
/* The live VM of pid holding fd, or NULL. */
struct kvm_vm *qz__kvm_life_vm_of_fd(const struct kvm_life *l, int pid, int fd);
/* vm lost fd (-1: none named): it ends with its last, a dup aside. */
void qz__kvm_life_lose_fd(struct kvm_life *l, struct kvm_vm *vm, int fd, uint64_t ts,
			   const char *why);
/* Keep the fds of vm /proc still shows as VMs; end it if none. */
void qz__kvm_life_recheck(struct kvm_life *l, struct kvm_vm *vm, uint64_t ts,
			   const char *why);
/*
 * Confirm pid's unverified creates (of VM fd fd; -1: all): make and report
 * them. Returns the VMs made.
 */
int qz__kvm_life_confirm(struct kvm_life *l, int pid, int fd);
/* Drop pid's unverified creates (pid -1: those older than now - 10 s). */
void qz__kvm_life_drop(struct kvm_life *l, int pid, uint64_t now);
void qz__kvm_life_log(struct kvm_life *l, enum qz_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
