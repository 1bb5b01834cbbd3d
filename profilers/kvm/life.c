// SPDX-License-Identifier: MIT
/*
 * The VM table and how a VM ends: its process's last fd to it closed
 * (close, close_range), exec (KVM's fds are close-on-exec) or exit. A
 * dup() of the fd keeps the VM: /proc shows the copy when the original
 * goes. The create calls are in life_calls.c, the /proc walks in
 * life_scan.c.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "procfs.h"
#include "life_internal.h"

#define MAX_VMS 65536
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

void qz__kvm_life_log(struct kvm_life *l, enum qz_log_level level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	if (!l->opts.log)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	l->opts.log(level, buf, l->opts.ctx);
}

struct kvm_life *qz_kvm_life__new(const struct kvm_life_opts *opts)
{
	struct kvm_life *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->opts = *opts;
	l->proc = strdup(opts->proc ? opts->proc : "/proc");
	if (!l->proc || qz_u64map__init(&l->procs, sizeof(struct kvm_vm *)) ||
	    qz_u64map__init(&l->pending, sizeof(struct pending)) ||
	    qz_u64map__init(&l->strangers, 0)) {
		qz_kvm_life__free(l);
		errno = ENOMEM;
		return NULL;
	}
	return l;
}

bool qz_kvm_life__awaits(const struct kvm_life *l, int tid)
{
	return l->pending.nr && qz_u64map__get(&l->pending, (uint64_t)tid);
}

void qz_kvm_life__free(struct kvm_life *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->nr_vms; i++) {
		if (l->opts.release)
			l->opts.release(l->vms[i], l->opts.ctx);
		free(l->vms[i]);
	}
	free(l->vms);
	qz_u64map__free(&l->procs);
	qz_u64map__free(&l->pending);
	qz_u64map__free(&l->strangers);
	free(l->proc);
	free(l);
}

struct kvm_vm *qz__kvm_life_head(const struct kvm_life *l, int pid)
{
	struct kvm_vm **p = qz_u64map__get(&l->procs, (uint64_t)pid);

	return p ? *p : NULL;
}

void qz__kvm_life_emit(struct kvm_life *l, enum kvm_step step, uint64_t ts,
		       struct kvm_vm *vm, const char *why)
{
	struct kvm_step_info s = { .step = step, .ts = ts, .vm = vm, .why = why,
				   .tid = -1, .vcpu_id = -1, .vcpu_fd = -1 };

	if (l->opts.emit)
		l->opts.emit(&s, l->opts.ctx);
}

struct kvm_vm *qz__kvm_life_vm_new(struct kvm_life *l, int pid, const char *comm)
{
	struct kvm_vm *vm, **slot;

	if (l->nr_vms >= MAX_VMS) {
		if (!l->full_logged)
			qz__kvm_life_log(l, QZ_LOG_WARN, "tracking %d VMs already: pid %d's is left out",
			    MAX_VMS, pid);
		l->full_logged = true;
		return NULL;
	}
	if (l->nr_vms == l->cap_vms) {
		size_t cap = l->cap_vms ? l->cap_vms * 2 : 16;
		struct kvm_vm **v = realloc(l->vms, cap * sizeof(*v));

		if (!v)
			return NULL;
		l->vms = v;
		l->cap_vms = cap;
	}
	vm = calloc(1, sizeof(*vm));
	slot = vm ? qz_u64map__put(&l->procs, (uint64_t)pid, NULL) : NULL;
	if (!slot) {
		free(vm);
		return NULL;
	}
	vm->serial = ++l->next_serial;
	vm->pid = pid;
	vm->alive = true;
	vm->older = *slot;
	snprintf(vm->comm, sizeof(vm->comm), "%s", comm ? comm : "");
	*slot = vm;
	l->vms[l->nr_vms++] = vm;
	l->alive++;
	qz_u64map__del(&l->strangers, (uint64_t)pid);
	return vm;
}

struct kvm_vm *qz__kvm_life_vm_of_fd(const struct kvm_life *l, int pid, int fd)
{
	for (struct kvm_vm *vm = qz__kvm_life_head(l, pid); vm; vm = vm->older) {
		if (!vm->alive)
			continue;
		for (int i = 0; i < vm->nr_fds; i++)
			if (vm->fds[i] == fd)
				return vm;
	}
	return NULL;
}

static void destroy(struct kvm_life *l, struct kvm_vm *vm, uint64_t ts,
		    const char *why)
{
	if (!vm->alive)
		return;
	vm->alive = false;
	vm->ended = ts > vm->created ? ts : vm->created;
	vm->nr_fds = 0;
	l->alive--;
	l->stats.destroyed++;
	qz__kvm_life_emit(l, KVM_STEP_DESTROY, vm->ended, vm, why);
}

/*
 * vm no longer has fd (-1: none named). With no fd left it ends, unless
 * the process holds a kvm-vm fd no VM of ours has: a dup() of this one,
 * found now that the original is gone.
 */
void qz__kvm_life_lose_fd(struct kvm_life *l, struct kvm_vm *vm, int fd, uint64_t ts,
			   const char *why)
{
	struct kvm_proc_info info;

	for (int i = 0; i < vm->nr_fds; i++) {
		if (vm->fds[i] == fd) {
			vm->fds[i] = vm->fds[--vm->nr_fds];
			break;
		}
	}
	if (vm->nr_fds)
		return;
	if (!qz_kvm_proc__fds(l->proc, vm->pid, &info)) {
		for (int i = 0; i < info.nr_vm_fds; i++) {
			if (info.vm_fds[i] == fd || qz__kvm_life_vm_of_fd(l, vm->pid, info.vm_fds[i]))
				continue;
			vm->fds[vm->nr_fds++] = info.vm_fds[i];
			qz__kvm_life_log(l, QZ_LOG_DEBUG, "pid %d: VM fd %d %s; its copy fd %d keeps the VM",
			    vm->pid, fd, why, info.vm_fds[i]);
			return;
		}
	}
	destroy(l, vm, ts, why);
}

void qz_kvm_life__close(struct kvm_life *l, uint64_t ts, int pid, uint64_t fd)
{
	struct kvm_vm *vm;

	if (!l->procs.nr || fd > INT_MAX)
		return;
	vm = qz__kvm_life_vm_of_fd(l, pid, (int)fd);
	if (vm)
		qz__kvm_life_lose_fd(l, vm, (int)fd, ts, "close");
}

void qz_kvm_life__close_range(struct kvm_life *l, uint64_t ts, int pid,
			      uint64_t first, uint64_t last, uint64_t flags)
{
	struct {
		struct kvm_vm *vm;
		int fd;
	} hit[64];
	int n = 0;

	/* CLOSE_RANGE_CLOEXEC only marks the fds: nothing closes yet. */
	if (!l->procs.nr || (flags & CLOSE_RANGE_CLOEXEC))
		return;
	for (struct kvm_vm *vm = qz__kvm_life_head(l, pid); vm; vm = vm->older)
		for (int i = 0; vm->alive && i < vm->nr_fds && n < 64; i++)
			if ((uint64_t)vm->fds[i] >= first && (uint64_t)vm->fds[i] <= last)
				hit[n++] = (typeof(hit[0])){ vm, vm->fds[i] };
	for (int i = 0; i < n; i++)
		if (hit[i].vm->alive)
			qz__kvm_life_lose_fd(l, hit[i].vm, hit[i].fd, ts, "close");
}

/* Keep the fds of vm that /proc still shows as VMs; end it if none. */
void qz__kvm_life_recheck(struct kvm_life *l, struct kvm_vm *vm, uint64_t ts,
			   const char *why)
{
	int kept = 0;

	for (int i = 0; i < vm->nr_fds; i++)
		if (qz_kvm_proc__fd(l->proc, vm->pid, vm->fds[i], NULL) == KVM_LINK_VM)
			vm->fds[kept++] = vm->fds[i];
	vm->nr_fds = kept;
	if (!kept)
		qz__kvm_life_lose_fd(l, vm, -1, ts, why);
}

/* exec closes the VM fds (KVM makes them close-on-exec); a dup may stay. */
void qz_kvm_life__exec(struct kvm_life *l, uint64_t ts, int pid)
{
	for (struct kvm_vm *vm = qz__kvm_life_head(l, pid); vm; vm = vm->older)
		if (vm->alive)
			qz__kvm_life_recheck(l, vm, ts, "exec");
}

void qz_kvm_life__exit(struct kvm_life *l, uint64_t ts, int pid)
{
	/* It ran no vCPU we heard of: nothing proves those were VMs. */
	qz__kvm_life_drop(l, pid, ts);
	for (struct kvm_vm *vm = qz__kvm_life_head(l, pid); vm; vm = vm->older)
		destroy(l, vm, ts, "exit");
	qz_u64map__del(&l->strangers, (uint64_t)pid);
}

size_t qz_kvm_life__alive(const struct kvm_life *l)
{
	return l->alive;
}

const struct kvm_life_stats *qz_kvm_life__stats(const struct kvm_life *l)
{
	return &l->stats;
}

unsigned qz_kvm_life__held(const struct kvm_life *l, int pid)
{
	unsigned n = 0;

	for (struct kvm_vm *vm = qz__kvm_life_head(l, pid); vm; vm = vm->older)
		n += vm->alive;
	return n;
}
