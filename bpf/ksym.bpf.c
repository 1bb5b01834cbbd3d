// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Kernel symbols named by the kernel: user space writes an address into
 * `addr`, runs this program (BPF_PROG_TEST_RUN) and reads the kernel's
 * "%pS" of it from `text`: "name+0xOFF/0xSIZE", then " [module]". One
 * address costs one syscall, where naming any through /proc/kallsyms
 * costs reading all of it first.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u64 addr;
char text[640];	/* KSYM_NAME_LEN (512), the offsets and a module */

SEC("syscall")
int qz_ksym(void *ctx)
{
	__u64 args[1] = { addr };

	bpf_snprintf(text, sizeof(text), "%pS", args, sizeof(args));
	return 0;
}

char LICENSE[] SEC("license") = "Dual MIT/GPL";
