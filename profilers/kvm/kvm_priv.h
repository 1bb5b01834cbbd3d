/* SPDX-License-Identifier: MIT */
/* The kvm profiler's state, shared by its sample path and its reports. */
#ifndef QUAZAR_PROFILERS_KVM_PRIV_H
#define QUAZAR_PROFILERS_KVM_PRIV_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/output.h>
#include <quazar/session.h>
#include "exit_reason.h"
#include "life.h"
#include "u64map.h"
#include "vcpu_clock.h"

struct kvm_opts {
	char *proc;
	bool stats;
	/* Not an option: the agent counts its reloads here (kvm_reload). */
	unsigned reloads;
};

/* What a VM did this interval, beyond its exits (vm->priv). */
struct kvm_vm_stats {
	uint64_t halt_poll_ok, halt_poll_fail, irqs;
	int last_tid;			/* the thread seen last, known */
	struct kvm_vcpu_clock *threads;	/* its vCPU threads */
	int nr_threads, cap_threads;
};

/* Session event indexes: -1 when the event is not traced. */
enum kvm_ev {
	EV_IOCTL_ENTER,
	EV_IOCTL_EXIT,
	EV_CLOSE,
	EV_CLOSE_RANGE,
	EV_EXEC,
	EV_EXIT,
	EV_KVM_EXIT,
	EV_USER_EXIT,
	EV_WAKEUP,
	EV_INJ_VIRQ,
	NR_EV,
};

#define KVM_MAX_SESSION_EVENTS 32

struct kvm {
	struct qz_session *session;
	struct qz_output *out;
	const struct kvm_opts *opts;
	struct kvm_life *life;
	int idx[NR_EV];
	signed char ev_of[KVM_MAX_SESSION_EVENTS];	/* session index -> enum kvm_ev */
	const struct qz_tp_field *ioctl_fd, *ioctl_cmd, *ioctl_arg, *ioctl_ret;
	const struct qz_tp_field *close_fd, *cr_fd, *cr_max, *cr_flags;
	const struct qz_tp_field *user_reason, *user_errno, *waited;
	struct kvm_exit_fields exit_f;
	/* (vm serial << 40 | isa << 32 | code) -> exits this interval */
	struct u64map exits;
	int last_pid;			/* the hot path's one-entry cache */
	struct kvm_vm *last_vm;
	uint64_t interval_start;
	uint64_t unattributed;		/* kvm events of no VM we know */
	unsigned reloads_seen;
	int *pids;			/* -p/-t: the processes to walk */
	int nr_pids;
	bool scan_none;			/* -- cmd: nothing runs before it */
	bool close_on;			/* close events enabled (see gate_close) */
	bool gated;			/* gate_close ran since the events opened */
};

static inline uint64_t qz_kvm__exit_key(uint32_t serial, int isa, uint32_t code)
{
	return (uint64_t)(serial & 0xffffff) << 40 | (uint64_t)(isa & 0xff) << 32 | code;
}

/* kvm_stats.c: count a kvm: event (EV_KVM_EXIT...) for its VM. */
void qz_kvm_stats__event(struct kvm *k, int ev, const struct qz_sample *smp);
/* The lifecycle frees a VM: its stats and vCPU clocks go too. */
void qz_kvm_stats__release(struct kvm_vm *vm, void *ctx);

/* kvm_report.c */
void qz_kvm_report__step(struct kvm *k, const struct kvm_step_info *step);
void qz_kvm_report__vms(struct kvm *k, struct qz_output *out, uint64_t now);

#endif
