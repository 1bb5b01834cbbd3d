// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * profile --bpf: on each cpu-clock sample, count (pid, tid, CPU, comm,
 * ip, kernel stack, user stack) in a hash; nothing per sample goes to
 * user space. Two sets of maps: the programs fill the one `active` names
 * while user space reads and clears the other, then flips it, at each
 * interval. perf-prof's filters (filter.bpf.h) apply first.
 *
 * Built twice: QZ_PROFILE_LEAN leaves out the filters and the news of new
 * processes and reads the UAPI's types, not vmlinux.h's: with no CO-RE
 * relocations, loading it spares libbpf the parsing of the kernel's BTF.
 * quazar loads it when neither filters nor news are asked for.
 */
#ifdef QZ_PROFILE_LEAN
/* The UAPI's types: vmlinux.h's would make each field access a CO-RE one. */
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/bpf_perf_event.h>
#else
#include "vmlinux.h"
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "profile_key.h"

#define EEXIST 17
#define E2BIG 7
#define MAX_DEPTH 127	/* PERF_MAX_STACK_DEPTH; user space may shrink it */

const volatile bool want_stacks;	/* -g */
const volatile bool kernel_stacks;	/* not --no-kernel-callchain */
const volatile bool user_stacks;	/* not --no-user-callchain */

__u32 active;	/* the set the programs fill: 0 or 1, flipped by user space */

/*
 * Not a per-CPU hash: that preallocates per-CPU memory for each entry
 * (~15 ms of CPU at start); the CPU is in the key instead.
 */
struct counts {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct qz_profile_key);
	__type(value, __u64);
};

struct stacks {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 8192);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
};

struct counts counts0 SEC(".maps"), counts1 SEC(".maps");
struct stacks stacks0 SEC(".maps"), stacks1 SEC(".maps");

/* Each set's counters of what went wrong, read and zeroed with its maps. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * QZ_PROFILE_NR_STATS);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void stat_inc(bool second, __u32 which)
{
	__u32 idx = (second ? QZ_PROFILE_NR_STATS : 0) + which;
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		(*v)++;
}

/* A stack id; -1 for none (a user-mode sample's kernel stack, a kernel
 * thread's user stack), -2 when its bucket held another stack. */
static __always_inline __s32 stack_id(void *ctx, void *map, __u64 flags)
{
	long id = bpf_get_stackid(ctx, map, flags);

	if (id >= 0)
		return (__s32)id;
	return id == -EEXIST ? -2 : -1;
}

static __always_inline void count(bool second, const struct qz_profile_key *key)
{
	void *map = second ? (void *)&counts1 : (void *)&counts0;
	__u64 one = 1, *v = bpf_map_lookup_elem(map, key);
	long err;

	if (v) {
		__sync_fetch_and_add(v, 1);
		return;
	}
	err = bpf_map_update_elem(map, key, &one, BPF_NOEXIST);
	if (err == -EEXIST) {
		v = bpf_map_lookup_elem(map, key);
		if (v)
			__sync_fetch_and_add(v, 1);
	} else if (err) {
		stat_inc(second, err == -E2BIG ? QZ_PROFILE_HASH_FULL : QZ_PROFILE_ERRORS);
	}
}

#ifdef QZ_PROFILE_LEAN
static __always_inline bool keep(struct bpf_perf_event_data *ctx)
{
	return true;
}

static __always_inline void tell_new(void *ctx, __u32 tgid)
{
}
#else
#include "filter.bpf.h"

const volatile bool tell_news;		/* pprof reads new processes' /proc */

static __always_inline bool keep(struct bpf_perf_event_data *ctx)
{
	return qz_filter_keep(qz_regs_irqs_off((const struct pt_regs *)&ctx->regs));
}

/*
 * A process's first sample (or first since it exec'd) is told to user
 * space at once, so what reads /proc (pprof's mappings) does it while the
 * process lives: its samples reach user space at the interval, maybe
 * after it exited.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);		/* tgid */
	__type(value, __u64);		/* its mm when last told */
} seen SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} news SEC(".maps");

static __always_inline void tell_new(void *ctx, __u32 tgid)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	__u64 mm, *last;

	if (!tell_news)
		return;
	mm = (__u64)BPF_CORE_READ(task, mm);
	if (!mm)
		return;	/* a kernel thread: no user mappings */
	last = bpf_map_lookup_elem(&seen, &tgid);
	if (last && *last == mm)
		return;
	bpf_map_update_elem(&seen, &tgid, &mm, BPF_ANY);
	bpf_perf_event_output(ctx, &news, BPF_F_CURRENT_CPU, &tgid, sizeof(tgid));
}
#endif

SEC("perf_event")
int qz_profile(struct bpf_perf_event_data *ctx)
{
	struct qz_profile_key key = { .kstack = -1, .ustack = -1 };
	bool second = active & 1;
	__u64 id;

	if (!keep(ctx))
		return 0;
	id = bpf_get_current_pid_tgid();
	key.pid = (__u32)(id >> 32);
	key.tid = (__u32)id;
	key.cpu = bpf_get_smp_processor_id();
	/* The idle task counts toward its CPU's idle time: no stacks. */
	if (key.tid) {
		key.ip = PT_REGS_IP((struct pt_regs *)&ctx->regs);
		bpf_get_current_comm(key.comm, sizeof(key.comm));
		tell_new(ctx, key.pid);
		if (want_stacks && kernel_stacks)
			key.kstack = stack_id(ctx, second ? (void *)&stacks1 : (void *)&stacks0, 0);
		if (want_stacks && user_stacks)
			key.ustack = stack_id(ctx, second ? (void *)&stacks1 : (void *)&stacks0,
					      BPF_F_USER_STACK);
		/* A stack cut short would mislead: the sample keeps no stack. */
		if (key.kstack == -2 || key.ustack == -2) {
			stat_inc(second, QZ_PROFILE_COLLISIONS);
			key.kstack = key.ustack = -1;
		}
	}
	count(second, &key);
	return 0;	/* counted here: the sample goes to no ring */
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
