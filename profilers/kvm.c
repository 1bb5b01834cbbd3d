// SPDX-License-Identifier: MIT
/*
 * kvm: the lifecycle of KVM virtual machines on this host. A VM is born
 * with the KVM_CREATE_VM ioctl, grows vCPUs with KVM_CREATE_VCPU, and ends
 * when the process that holds it exits. Each step is one record, as it
 * happens; every interval lists the VMs alive.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/kvm.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"

#define MAX_VMS 4096

/* The kernel filters these: only KVM's create calls reach us. */
#define IOCTL_EVENT "syscalls:sys_enter_ioctl/cmd==0xae01||cmd==0xae41/"
#define EXIT_EVENT "sched:sched_process_exit/group_dead==1/"

struct vm {
	uint32_t pid;
	char comm[16];
	uint64_t created;	/* ns, CLOCK_MONOTONIC */
	unsigned vms;		/* VMs this process created */
	unsigned vcpus;
};

struct kvm {
	struct qz_session *session;
	struct qz_output *out;
	const struct qz_tp_field *cmd;
	int ioctl_idx, exit_idx;
	struct vm vms[MAX_VMS];
	size_t nr_vms;
	uint64_t created, destroyed;
};

static int kvm_init(struct qz_session *s, void **ctx)
{
	struct kvm *k = calloc(1, sizeof(*k));

	if (!k)
		return -ENOMEM;
	k->session = s;
	k->out = qz_session__output(s);
	k->ioctl_idx = qz_session__add_events(s, IOCTL_EVENT, 0);
	k->exit_idx = k->ioctl_idx < 0 ? k->ioctl_idx : qz_session__add_events(s, EXIT_EVENT, 0);
	if (k->exit_idx < 0) {
		int err = k->exit_idx;

		free(k);
		return err;
	}
	k->cmd = qz_tp_event__field(qz_session__tp_event(s, k->ioctl_idx), "cmd");
	if (!k->cmd) {
		free(k);
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	*ctx = k;
	return 0;
}

static struct vm *find_vm(struct kvm *k, uint32_t pid)
{
	for (size_t i = 0; i < k->nr_vms; i++)
		if (k->vms[i].pid == pid)
			return &k->vms[i];
	return NULL;
}

static void emit(struct kvm *k, const char *what, const struct vm *vm, uint64_t ts)
{
	if (qz_output__json(k->out)) {
		struct qz_json *j = qz_output__begin(k->out, "vm", ts);

		qz_json__key_str(j, "event", what);
		qz_json__key_u64(j, "pid", vm->pid);
		qz_json__key_str(j, "comm", vm->comm);
		qz_json__key_u64(j, "vms", vm->vms);
		qz_json__key_u64(j, "vcpus", vm->vcpus);
		qz_json__key_u64(j, "age_ns", ts - vm->created);
		qz_output__end(k->out);
		return;
	}
	fprintf(qz_output__file(k->out),
		"%" PRIu64 ".%06" PRIu64 " %-7s pid %u (%s) vms=%u vcpus=%u age=%.3f s\n",
		ts / 1000000000, ts % 1000000000 / 1000, what, vm->pid, vm->comm,
		vm->vms, vm->vcpus, (ts - vm->created) / 1e9);
}

static void kvm_sample(void *ctx, const struct qz_event *ev)
{
	struct kvm *k = ctx;
	const struct qz_sample *smp = ev->sample;
	struct vm *vm = find_vm(k, smp->pid);

	if (ev->index == k->exit_idx) {
		if (!vm)
			return;
		emit(k, "destroy", vm, smp->time);
		k->destroyed += vm->vms;
		*vm = k->vms[--k->nr_vms];
		return;
	}
	if (qz_tp_field__u64(k->cmd, smp->raw, smp->raw_size) == KVM_CREATE_VM) {
		if (!vm && k->nr_vms < MAX_VMS) {
			vm = &k->vms[k->nr_vms++];
			*vm = (struct vm){ .pid = smp->pid, .created = smp->time };
			snprintf(vm->comm, sizeof(vm->comm), "%s", qz_event__comm(ev));
		}
		if (!vm)
			return;
		vm->vms++;
		k->created++;
		emit(k, "create", vm, smp->time);
	} else if (vm) {
		vm->vcpus++;
		emit(k, "vcpu", vm, smp->time);
	}
}

static void kvm_interval(void *ctx, struct qz_output *out, bool final)
{
	struct kvm *k = ctx;
	struct timespec ts;
	uint64_t now;

	(void)final;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (!qz_output__json(out)) {
		fprintf(qz_output__file(out), "%zu VMs alive; %" PRIu64 " created, %" PRIu64 " destroyed\n",
			k->nr_vms, k->created, k->destroyed);
		return;
	}
	struct qz_json *j = qz_output__begin(out, "vms", now);

	qz_json__key_u64(j, "alive", k->nr_vms);
	qz_json__key_u64(j, "created", k->created);
	qz_json__key_u64(j, "destroyed", k->destroyed);
	qz_json__key(j, "vms");
	qz_json__begin_array(j);
	for (size_t i = 0; i < k->nr_vms; i++) {
		qz_json__begin_object(j);
		qz_json__key_u64(j, "pid", k->vms[i].pid);
		qz_json__key_str(j, "comm", k->vms[i].comm);
		qz_json__key_u64(j, "vms", k->vms[i].vms);
		qz_json__key_u64(j, "vcpus", k->vms[i].vcpus);
		qz_json__key_u64(j, "age_ns", now - k->vms[i].created);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_output__end(out);
}

static void kvm_deinit(void *ctx)
{
	free(ctx);
}

const struct qz_profiler qz_profiler_kvm = {
	.name = "kvm",
	.help = "VM lifecycle: KVM VMs created, their vCPUs, and their end",
	.usage = "Built-in events: KVM_CREATE_VM and KVM_CREATE_VCPU ioctls, and the exit\n"
		 "of the process that holds a VM.\n"
		 "examples:\n"
		 "  quazar kvm -i 10000\n"
		 "  quazar kvm --json -- qemu-system-x86_64 -enable-kvm ...",
	.nest = true,
	.ops = {
		.init = kvm_init,
		.sample = kvm_sample,
		.interval = kvm_interval,
		.deinit = kvm_deinit,
	},
};
