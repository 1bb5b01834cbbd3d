// SPDX-License-Identifier: GPL-2.0 OR MIT
/* A program the verifier rejects: a map value used without checking it. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counts SEC(".maps");

SEC("perf_event")
int count_unchecked(struct bpf_perf_event_data *ctx)
{
	__u32 key = 0;
	__u64 *v = bpf_map_lookup_elem(&counts, &key);

	*v += 1;	/* v may be NULL: the verifier refuses this */
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
