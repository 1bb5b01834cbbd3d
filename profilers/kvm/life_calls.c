// SPDX-License-Identifier: MIT
/*
 * The create calls: KVM_CREATE_VM and KVM_CREATE_VCPU, entry and exit
 * paired per thread, the fd they returned read back from /proc; and those
 * whose fd was gone already, held until KVM's own events prove them.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <linux/kvm.h>
#include "life_internal.h"
#include "procfs.h"

void qz_kvm_life__ioctl_enter(struct kvm_life *l, uint64_t ts, int pid, int tid,
			      uint64_t fd, uint64_t cmd, uint64_t arg)
{
	struct pending *p;

	(void)pid;
	/* Only the two creates (the kernel filters; user space may not). */
	if (cmd != KVM_CREATE_VM && cmd != KVM_CREATE_VCPU)
		return;
	p = qz_u64map__put(&l->pending, (uint64_t)tid, NULL);
	if (p)
		*p = (struct pending){ .ts = ts, .cmd = cmd, .fd = fd, .arg = arg };
}

static void defer(struct kvm_life *l, const struct unverified *u)
{
	if (l->nr_unverified == MAX_UNVERIFIED) {
		l->stats.unverified++;
		return;
	}
	l->unverified[l->nr_unverified++] = *u;
}

static struct kvm_vm *make_vm(struct kvm_life *l, uint64_t ts, int pid, int tid, int fd,
			      const char *comm)
{
	struct kvm_step_info s;
	struct kvm_vm *vm;

	/* A VM we thought held this fd lost it unseen (dup2 over it). */
	vm = qz__kvm_life_vm_of_fd(l, pid, fd);
	if (vm)
		qz__kvm_life_lose_fd(l, vm, fd, ts, "close");
	vm = qz__kvm_life_vm_new(l, pid, comm);
	if (!vm)
		return NULL;
	if (!vm->comm[0])
		qz_kvm_proc__comm(l->proc, pid, vm->comm, sizeof(vm->comm));
	vm->fds[vm->nr_fds++] = fd;
	vm->created = ts;
	qz_kvm_proc__ident(l->proc, pid, vm->comm, &vm->ident);
	l->stats.created++;
	s = (struct kvm_step_info){ .step = KVM_STEP_CREATE, .ts = ts, .vm = vm,
				    .tid = tid, .vcpu_id = -1, .vcpu_fd = -1 };
	if (l->opts.emit)
		l->opts.emit(&s, l->opts.ctx);
	return vm;
}

static void add_vcpu(struct kvm_life *l, struct kvm_vm *vm, uint64_t ts, int tid, int id,
		     int fd)
{
	struct kvm_step_info s = { .step = KVM_STEP_VCPU, .ts = ts, .vm = vm,
				   .tid = tid, .vcpu_id = id, .vcpu_fd = fd };

	vm->vcpus++;
	if (l->opts.emit)
		l->opts.emit(&s, l->opts.ctx);
}

static void on_create(struct kvm_life *l, uint64_t ts, int pid, int tid, int fd,
		      const char *comm)
{
	int kind = qz_kvm_proc__fd(l->proc, pid, fd, NULL);

	if (kind < 0) {
		/* Closed (or exited) before we looked: wait for KVM's events. */
		struct unverified u = { .ts = ts, .pid = pid, .tid = tid, .fd = fd };

		snprintf(u.comm, sizeof(u.comm), "%s", comm ? comm : "");
		defer(l, &u);
		return;
	}
	if (kind != KVM_LINK_VM) {
		qz__kvm_life_log(l, QZ_LOG_DEBUG, "pid %d: KVM_CREATE_VM returned fd %d, not a kvm-vm: not a VM",
				 pid, fd);
		return;
	}
	make_vm(l, ts, pid, tid, fd, comm);
}

/*
 * A vCPU is verified by its kvm-vcpu fd, or, that fd gone already, by the
 * VM fd it was made on: KVM_CREATE_VCPU succeeds on a VM fd only.
 */
static void on_vcpu(struct kvm_life *l, uint64_t ts, int pid, int tid, int vm_fd,
		    int fd, int arg_id)
{
	int id = arg_id, kind = qz_kvm_proc__fd(l->proc, pid, fd, &id);
	struct kvm_vm *vm = qz__kvm_life_vm_of_fd(l, pid, vm_fd);

	/* A real vCPU on a VM fd we could not check: that VM is real. */
	if (!vm && kind == KVM_LINK_VCPU && qz__kvm_life_confirm(l, pid, vm_fd))
		vm = qz__kvm_life_vm_of_fd(l, pid, vm_fd);
	if (kind < 0 && !vm) {
		struct unverified u = { .ts = ts, .pid = pid, .tid = tid, .fd = fd,
					.vm_fd = vm_fd, .vcpu_id = arg_id, .vcpu = true };

		defer(l, &u);
		return;
	}
	if (kind >= 0 && kind != KVM_LINK_VCPU) {
		qz__kvm_life_log(l, QZ_LOG_DEBUG, "pid %d: KVM_CREATE_VCPU returned fd %d, not a kvm-vcpu: not a vCPU",
				 pid, fd);
		return;
	}
	if (!vm) {
		/* A VM made while we started: /proc knows it. */
		qz_kvm_life__adopt(l, ts, pid);
		return;
	}
	add_vcpu(l, vm, ts, tid, id, fd);
}

int qz__kvm_life_confirm(struct kvm_life *l, int pid, int fd)
{
	int made = 0, kept = 0;

	for (int i = 0; i < l->nr_unverified; i++) {
		struct unverified *u = &l->unverified[i];
		struct kvm_vm *vm;

		if (u->pid != pid || (fd >= 0 && !u->vcpu && u->fd != fd) ||
		    (fd >= 0 && u->vcpu && u->vm_fd != fd)) {
			l->unverified[kept++] = *u;
			continue;
		}
		if (!u->vcpu) {
			made += make_vm(l, u->ts, pid, u->tid, u->fd, u->comm) != NULL;
		} else if ((vm = qz__kvm_life_vm_of_fd(l, pid, u->vm_fd))) {
			add_vcpu(l, vm, u->ts, u->tid, u->vcpu_id, u->fd);
		}
	}
	l->nr_unverified = kept;
	return made;
}

void qz__kvm_life_drop(struct kvm_life *l, int pid, uint64_t now)
{
	int kept = 0;

	for (int i = 0; i < l->nr_unverified; i++) {
		struct unverified *u = &l->unverified[i];
		bool drop = pid >= 0 ? u->pid == pid : u->ts + PENDING_MAX_NS < now;

		if (!drop) {
			l->unverified[kept++] = *u;
			continue;
		}
		l->stats.unverified += !u->vcpu;
		qz__kvm_life_log(l, QZ_LOG_DEBUG,
				 "pid %d: KVM_CREATE_%s returned fd %d, gone before it could be checked, and no KVM event followed: not counted",
				 u->pid, u->vcpu ? "VCPU" : "VM", u->fd);
	}
	l->nr_unverified = kept;
}

void qz_kvm_life__ioctl_exit(struct kvm_life *l, uint64_t ts, int pid, int tid,
			     int64_t ret, const char *comm)
{
	struct pending *pp, p;

	if (!l->pending.nr || !(pp = qz_u64map__get(&l->pending, (uint64_t)tid)))
		return;
	p = *pp;
	qz_u64map__del(&l->pending, (uint64_t)tid);
	if (ts < p.ts || ts - p.ts > PENDING_MAX_NS)
		return;		/* its exit was lost: a stale entry */
	if (ret < 0 || ret > INT_MAX) {
		qz__kvm_life_log(l, QZ_LOG_DEBUG, "pid %d: ioctl 0x%llx on fd %llu failed (%s): nothing made",
		    pid, (unsigned long long)p.cmd, (unsigned long long)p.fd,
		    ret < 0 && ret > -4096 ? strerror((int)-ret) : "bad return");
		return;
	}
	if (p.cmd == KVM_CREATE_VM)
		on_create(l, ts, pid, tid, (int)ret, comm);
	else if (p.fd <= INT_MAX)
		on_vcpu(l, ts, pid, tid, (int)p.fd, (int)ret, p.arg <= INT_MAX ? (int)p.arg : -1);
}
