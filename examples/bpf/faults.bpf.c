// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Page faults per comm, from a perf_event program on the page-faults
 * software event sampled at freq=50: the program runs about 50 times a
 * second on each CPU, not at every fault, and each time gives the faults
 * counted since its last run on that CPU to the task it interrupted.
 *
 * Build: bpftool btf dump file /sys/kernel/btf/vmlinux format c > vmlinux.h
 *        clang -g -O2 -target bpf -c faults.bpf.c -o faults.bpf.o
 * Run:   quazar bpf faults.bpf.o -e 'page-faults//freq=50/'
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#define COMM_LEN 16

/* Faults per comm: the map quazar dumps every interval. */
struct comm_key {
	char comm[COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, struct comm_key);
	__type(value, __u64);
} faults SEC(".maps");

/* The event's count at the last run on each CPU. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} last SEC(".maps");

/* A record per run, read through quazar's ring, decoded by field name. */
struct fault_record {
	__u32 pid;
	__u32 cpu;
	__u64 faults;
	char comm[COMM_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} records SEC(".maps");

/* A global of the record's type puts it in the object's BTF for quazar. */
const volatile struct fault_record fault_record_type;

__u64 runs;		/* in .bss: dumped with the maps */

SEC("perf_event")
int count_faults(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value count;
	struct fault_record rec = {};
	struct comm_key key = {};
	__u32 zero = 0;
	__u64 *prev, *sum, delta;

	/* The event's own count: exact, where sample_period is not in freq mode. */
	if (bpf_perf_prog_read_value(ctx, &count, sizeof(count)))
		return 0;
	prev = bpf_map_lookup_elem(&last, &zero);
	if (!prev)
		return 0;
	delta = count.counter - *prev;
	*prev = count.counter;
	__sync_fetch_and_add(&runs, 1);

	bpf_get_current_comm(key.comm, sizeof(key.comm));
	sum = bpf_map_lookup_elem(&faults, &key);
	if (sum)
		__sync_fetch_and_add(sum, delta);
	else
		bpf_map_update_elem(&faults, &key, &delta, BPF_NOEXIST);

	rec.pid = bpf_get_current_pid_tgid() >> 32;
	rec.cpu = bpf_get_smp_processor_id();
	rec.faults = delta;
	__builtin_memcpy(rec.comm, key.comm, COMM_LEN);
	bpf_perf_event_output(ctx, &records, BPF_F_CURRENT_CPU, &rec, sizeof(rec));
	return 0;	/* counted here: no sample goes to a ring */
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
