// SPDX-License-Identifier: GPL-2.0 OR MIT
/* A uprobe program: counts the calls it sees and keeps every event. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 calls;

SEC("uprobe")
int count_calls(struct pt_regs *regs)
{
	__sync_fetch_and_add(&calls, 1);
	return 1;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
