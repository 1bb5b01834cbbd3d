// SPDX-License-Identifier: GPL-2.0 OR MIT
/* An object without a perf_event program: only a tracepoint one. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 switches;

SEC("tracepoint/sched/sched_switch")
int on_switch(void *ctx)
{
	__sync_fetch_and_add(&switches, 1);
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
