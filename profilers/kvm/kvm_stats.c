// SPDX-License-Identifier: MIT
/*
 * The kvm profiler's hot path: each kvm: event counted for its VM. The VM
 * comes from a one-entry cache of the last pid, then the lifecycle's pid
 * map; an exit adds one to its (vm, reason) row of the table; the thread
 * that raised it is a vCPU thread whose CPU time is the VM's guest time.
 */
#include <stdlib.h>
#include <quazar/tp.h>
#include "kvm_priv.h"

/* The VM a process's kvm: event counts for; NULL for none we know. */
static struct kvm_vm *vm_of(struct kvm *k, int pid, uint64_t ts)
{
	struct kvm_vm *vm;

	if (pid == k->last_pid)
		return k->last_vm;
	vm = qz_kvm_life__find(k->life, pid);
	if (!vm || !vm->alive)
		vm = qz_kvm_life__adopt(k->life, ts, pid);
	k->last_pid = pid;
	k->last_vm = vm;
	return vm;
}

static struct kvm_vm_stats *stats_of(struct kvm_vm *vm)
{
	if (!vm->priv)
		vm->priv = calloc(1, sizeof(struct kvm_vm_stats));
	return vm->priv;
}

/* A thread that runs a vCPU: its CPU time is the VM's guest time. */
static void note_thread(struct kvm_vm_stats *st, int tid)
{
	struct kvm_vcpu_clock *t;

	if (st->last_tid == tid)
		return;
	st->last_tid = tid;
	for (int i = 0; i < st->nr_threads; i++)
		if (st->threads[i].tid == tid)
			return;
	if (st->nr_threads == st->cap_threads) {
		int cap = st->cap_threads ? st->cap_threads * 2 : 4;

		t = realloc(st->threads, (size_t)cap * sizeof(*t));
		if (!t)
			return;
		st->threads = t;
		st->cap_threads = cap;
	}
	qz_kvm_clock__open(&st->threads[st->nr_threads++], tid);
}

static void count(struct kvm *k, struct kvm_vm *vm, int isa, uint32_t code)
{
	uint64_t *c = qz_u64map__put(&k->exits, qz_kvm__exit_key(vm->serial, isa, code), NULL);

	if (c)
		++*c;
}

void qz_kvm_stats__event(struct kvm *k, int ev, const struct qz_sample *smp)
{
	struct kvm_vm *vm = vm_of(k, (int)smp->pid, smp->time);
	struct kvm_vm_stats *st;
	struct kvm_exit_info x;

	if (!vm) {
		k->unattributed++;
		return;
	}
	st = stats_of(vm);
	if (!st)
		return;
	switch (ev) {
	case EV_KVM_EXIT:
		qz_kvm_exit__decode(&k->exit_f, smp->raw, smp->raw_size, &x);
		count(k, vm, x.isa, x.code);
		break;
	case EV_USER_EXIT:
		count(k, vm, KVM_ISA_USER,
		      qz_kvm_user_exit__key((uint32_t)qz_tp_field__u64(k->user_reason, smp->raw,
								      smp->raw_size),
					    (int32_t)qz_tp_field__s64(k->user_errno, smp->raw,
								      smp->raw_size)));
		break;
	case EV_WAKEUP:
		/* Woken while polling, without sleeping: the poll paid off. */
		if (qz_tp_field__u64(k->waited, smp->raw, smp->raw_size))
			st->halt_poll_fail++;
		else
			st->halt_poll_ok++;
		break;
	case EV_INJ_VIRQ:
		st->irqs++;
		return;		/* injected from any thread: not a vCPU's mark */
	}
	note_thread(st, (int)smp->tid);
}

void qz_kvm_stats__release(struct kvm_vm *vm, void *ctx)
{
	struct kvm_vm_stats *st = vm->priv;

	(void)ctx;
	for (int i = 0; st && i < st->nr_threads; i++)
		qz_kvm_clock__close(&st->threads[i]);
	if (st)
		free(st->threads);
	free(st);
	vm->priv = NULL;
}

