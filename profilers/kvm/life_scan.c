// SPDX-License-Identifier: MIT
/*
 * The lifecycle's /proc side: walks that report VMs present (at start, at
 * reload, or late for a process that shows KVM activity unannounced),
 * checks that settle what events missed, and the reaping of ended VMs.
 */
#include <stdlib.h>
#include "life_internal.h"
#include "procfs.h"

void qz_kvm_life__check(struct kvm_life *l, uint64_t now)
{
	for (size_t i = 0; i < l->nr_vms; i++)
		if (l->vms[i]->alive)
			qz__kvm_life_recheck(l, l->vms[i], now, "gone");
}

/* Report a process's VMs as /proc shows them, adopting the new ones. */
static int report_process(struct kvm_life *l, const struct kvm_proc_info *info,
			  uint64_t now, const char *why)
{
	struct kvm_vm *seen[KVM_PROC_MAX_VMS];
	uint64_t boot = qz_kvm_boot_ns(), age = 0;
	bool had = qz_kvm_life__find(l, info->pid) &&
		   qz_kvm_life__find(l, info->pid)->alive;
	int n = 0;

	if (info->start_boot_ns && info->start_boot_ns < boot)
		age = boot - info->start_boot_ns;
	for (int i = 0; i < info->nr_vm_fds; i++) {
		struct kvm_vm *vm = qz__kvm_life_vm_of_fd(l, info->pid, info->vm_fds[i]);
		bool dup = false;

		if (!vm) {
			vm = qz__kvm_life_vm_new(l, info->pid, info->comm);
			if (!vm)
				continue;
			vm->fds[vm->nr_fds++] = info->vm_fds[i];
			vm->present = true;
			vm->created = now > age ? now - age : 0;
			vm->ident = info->ident;
			/* /proc cannot tell whose a vCPU fd is: the first VM's. */
			vm->vcpus = !had && !n ? (unsigned)info->vcpu_fds : 0;
			l->stats.present++;
		}
		for (int j = 0; j < n; j++)
			dup |= seen[j] == vm;
		if (!dup)
			seen[n++] = vm;
	}
	for (int j = 0; j < n; j++)
		qz__kvm_life_emit(l, KVM_STEP_PRESENT, now, seen[j], why);
	return n;
}

struct scan_ctx {
	struct kvm_life *l;
	uint64_t now;
	const char *why;
	int reported;
};

static int scan_one(const struct kvm_proc_info *info, void *ctx)
{
	struct scan_ctx *c = ctx;

	c->reported += report_process(c->l, info, c->now, c->why);
	return 0;
}

int qz_kvm_life__scan(struct kvm_life *l, uint64_t now, const char *why,
		      const int *pids, int nr)
{
	struct scan_ctx c = { .l = l, .now = now, .why = why };
	struct kvm_proc_info info;
	int err;

	/* First what ended unseen, so the walk reports only the living. */
	qz_kvm_life__check(l, now);
	if (!pids) {
		err = qz_kvm_proc__scan(l->proc, scan_one, &c);
		return err < 0 ? err : c.reported;
	}
	for (int i = 0; i < nr; i++)
		if (!qz_kvm_proc__read(l->proc, pids[i], &info) && info.nr_vm_fds)
			scan_one(&info, &c);
	return c.reported;
}

struct kvm_vm *qz_kvm_life__find(const struct kvm_life *l, int pid)
{
	struct kvm_vm *first = qz__kvm_life_head(l, pid);

	for (struct kvm_vm *vm = first; vm; vm = vm->older)
		if (vm->alive)
			return vm;
	return first;
}

struct kvm_vm *qz_kvm_life__adopt(struct kvm_life *l, uint64_t now, int pid)
{
	struct kvm_proc_info info;
	struct kvm_vm *vm = qz_kvm_life__find(l, pid);

	if (vm && vm->alive)
		return vm;
	/* KVM's events prove the creates we could not check. */
	if (l->nr_unverified && qz__kvm_life_confirm(l, pid, -1))
		return qz_kvm_life__find(l, pid);
	if (qz_u64map__get(&l->strangers, (uint64_t)pid))
		return vm;
	if (qz_kvm_proc__read(l->proc, pid, &info) || !info.nr_vm_fds) {
		qz_u64map__put(&l->strangers, (uint64_t)pid, NULL);
		return vm;
	}
	report_process(l, &info, now, "late");
	return qz_kvm_life__find(l, pid);
}

bool qz_kvm_life__next(const struct kvm_life *l, size_t *pos, struct kvm_vm **vm)
{
	if (*pos >= l->nr_vms)
		return false;
	*vm = l->vms[(*pos)++];
	return true;
}

static void unlink_vm(struct kvm_life *l, struct kvm_vm *vm)
{
	struct kvm_vm **slot = qz_u64map__get(&l->procs, (uint64_t)vm->pid);

	if (!slot)
		return;
	if (*slot == vm) {
		if (vm->older)
			*slot = vm->older;
		else
			qz_u64map__del(&l->procs, (uint64_t)vm->pid);
		return;
	}
	for (struct kvm_vm *p = *slot; p; p = p->older) {
		if (p->older == vm) {
			p->older = vm->older;
			return;
		}
	}
}

void qz_kvm_life__reap(struct kvm_life *l, uint64_t now)
{
	size_t kept = 0, pos = 0;
	uint64_t tid, stale[64];
	void *val;
	int n = 0;

	for (size_t i = 0; i < l->nr_vms; i++) {
		struct kvm_vm *vm = l->vms[i];

		if (vm->alive) {
			l->vms[kept++] = vm;
			continue;
		}
		unlink_vm(l, vm);
		if (l->opts.release)
			l->opts.release(vm, l->opts.ctx);
		free(vm);
	}
	l->nr_vms = kept;
	/* Calls whose exit never came (lost events, a killed thread). */
	while (qz_u64map__next(&l->pending, &pos, &tid, &val) && n < 64)
		if (((struct pending *)val)->ts + PENDING_MAX_NS < now)
			stale[n++] = tid;
	for (int i = 0; i < n; i++)
		qz_u64map__del(&l->pending, stale[i]);
	qz_u64map__clear(&l->strangers);
	qz__kvm_life_drop(l, -1, now);
}

