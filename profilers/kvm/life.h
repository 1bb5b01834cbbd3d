/* SPDX-License-Identifier: MIT */
/*
 * The lifecycle of KVM VMs, from the calls that make and end them:
 *
 *   create   KVM_CREATE_VM returned an fd that /proc shows is a kvm-vm
 *   vcpu     KVM_CREATE_VCPU on a known VM fd returned a kvm-vcpu fd
 *   destroy  the process's last fd to the VM closed, or the process exited
 *            or exec'd, or /proc no longer shows the VM (missed events)
 *   present  a /proc walk found a VM running (at start, reload, or when a
 *            process we never saw create one shows KVM activity)
 *
 * Entry and exit of each ioctl are matched per thread; a call that fails
 * (ENOTTY on a non-KVM fd) or returns an fd that is not KVM's is nothing.
 * A call whose fd is gone before /proc could be read (a VM closed within
 * the ~0.1 s the events take to be read) waits: KVM's own kvm:* events
 * from its process (only real VMs raise them) make it a VM, through
 * qz_kvm_life__adopt; else it is dropped, counted as unverified.
 * No kernel here: the caller feeds decoded events, so tests can too.
 */
#ifndef QUAZAR_PROFILERS_KVM_LIFE_H
#define QUAZAR_PROFILERS_KVM_LIFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <quazar/common.h>
#include "ident.h"

#define KVM_VM_MAX_FDS 8

struct kvm_vm {
	uint32_t serial;	/* unique within a kvm_life: keys its stats */
	int pid;
	int fds[KVM_VM_MAX_FDS];	/* the process's fds to it */
	int nr_fds;
	unsigned vcpus;
	uint64_t created;	/* CLOCK_MONOTONIC ns; process start for present */
	uint64_t ended;		/* 0 while alive */
	bool alive;
	bool present;		/* found by a /proc walk, not seen created */
	char comm[16];
	struct kvm_ident ident;
	struct kvm_vm *older;	/* the same process's previous VM */
	void *priv;		/* the caller's per-VM state */
};

enum kvm_step {
	KVM_STEP_CREATE,
	KVM_STEP_VCPU,
	KVM_STEP_DESTROY,
	KVM_STEP_PRESENT,
};

struct kvm_step_info {
	enum kvm_step step;
	uint64_t ts;
	struct kvm_vm *vm;
	int tid;		/* create, vcpu: the calling thread */
	int vcpu_id, vcpu_fd;	/* vcpu */
	/* destroy: "close", "exit", "exec", "gone"; present: "start", "reload", "late" */
	const char *why;
};

struct kvm_life_opts {
	const char *proc;	/* "/proc" when NULL */
	void (*emit)(const struct kvm_step_info *step, void *ctx);
	/* Called before a VM is freed, for its priv. */
	void (*release)(struct kvm_vm *vm, void *ctx);
	qz_log_fn log;		/* debug lines: why a call was not a VM */
	void *ctx;
};

struct kvm_life_stats {
	uint64_t created, destroyed, present;
	/* creates whose fd was gone before it could be checked, and that no
	 * KVM event confirmed */
	uint64_t unverified;
};

struct kvm_life;

struct kvm_life *qz_kvm_life__new(const struct kvm_life_opts *opts);
void qz_kvm_life__free(struct kvm_life *l);

/* syscalls:sys_enter_ioctl (already filtered to the two create calls). */
void qz_kvm_life__ioctl_enter(struct kvm_life *l, uint64_t ts, int pid, int tid,
			      uint64_t fd, uint64_t cmd, uint64_t arg);
/* Thread tid is in a create call: its exit needs the comm. */
bool qz_kvm_life__awaits(const struct kvm_life *l, int tid);
/* syscalls:sys_exit_ioctl; comm names a VM whose cmdline is gone. */
void qz_kvm_life__ioctl_exit(struct kvm_life *l, uint64_t ts, int pid, int tid,
			     int64_t ret, const char *comm);
void qz_kvm_life__close(struct kvm_life *l, uint64_t ts, int pid, uint64_t fd);
void qz_kvm_life__close_range(struct kvm_life *l, uint64_t ts, int pid,
			      uint64_t first, uint64_t last, uint64_t flags);
void qz_kvm_life__exec(struct kvm_life *l, uint64_t ts, int pid);
void qz_kvm_life__exit(struct kvm_life *l, uint64_t ts, int pid);

/*
 * Walk /proc (pids NULL) or the nr processes of pids, and report every VM
 * found as present (why: "start", "reload"): new ones are adopted, known
 * ones reported again, known ones /proc no longer shows destroyed
 * ("gone"). Returns the VMs reported, or -errno when /proc is unreadable.
 */
int qz_kvm_life__scan(struct kvm_life *l, uint64_t now, const char *why,
		      const int *pids, int nr);
/* The VM a process's KVM events count for: its newest, alive first. */
struct kvm_vm *qz_kvm_life__find(const struct kvm_life *l, int pid);
/*
 * A process not known to hold a VM showed KVM activity (a kvm:* event):
 * confirm its unverified creates, else look in /proc (once per reap for
 * each such pid) and adopt its VMs as present "late".
 */
struct kvm_vm *qz_kvm_life__adopt(struct kvm_life *l, uint64_t now, int pid);
/* Destroy ("gone") live VMs none of whose fds /proc still shows. */
void qz_kvm_life__check(struct kvm_life *l, uint64_t now);
/* Walk the VMs alive and those ended since the last reap. */
bool qz_kvm_life__next(const struct kvm_life *l, size_t *pos, struct kvm_vm **vm);
/* Free the VMs that ended; forget stale calls and the pids found not VMs. */
void qz_kvm_life__reap(struct kvm_life *l, uint64_t now);
size_t qz_kvm_life__alive(const struct kvm_life *l);
/* VMs process pid holds now. */
unsigned qz_kvm_life__held(const struct kvm_life *l, int pid);
const struct kvm_life_stats *qz_kvm_life__stats(const struct kvm_life *l);

#endif
