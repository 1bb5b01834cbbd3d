/* SPDX-License-Identifier: MIT */
/*
 * profile --bpf: what the program counts (profile.bpf.c) and user space
 * reads (profilers/profile_bpf.c). A hash maps a key to its samples; the
 * key holds the CPU, so each CPU counts in entries of its own.
 */
#ifndef QUAZAR_BPF_PROFILE_KEY_H
#define QUAZAR_BPF_PROFILE_KEY_H

#define QZ_PROFILE_COMM_LEN 16

struct qz_profile_key {
	__u32 pid;		/* the process (tgid); 0 for the idle task */
	__u32 tid;
	__u32 cpu;
	__u32 pad;		/* zero: hash keys compare every byte */
	__s32 kstack;		/* ids in the stack map, -1 for none */
	__s32 ustack;
	__u64 ip;		/* the sampled instruction */
	char comm[QZ_PROFILE_COMM_LEN];
};

/* The per-CPU counters of what went wrong, an array indexed by these (the
 * second set's after the first's). */
enum {
	QZ_PROFILE_COLLISIONS,	/* a sample lost its stack: its bucket held another */
	QZ_PROFILE_HASH_FULL,	/* a new key found the hash full: sample dropped */
	QZ_PROFILE_ERRORS,	/* any other failure to count: sample dropped */
	QZ_PROFILE_NR_STATS,
};

#endif
