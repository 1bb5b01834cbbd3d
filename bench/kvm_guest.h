/* SPDX-License-Identifier: MIT */
/*
 * bench/kvm's guest: vCPU threads of this process each running, in real
 * mode, `out %al,$0x10; jmp .-2` forever. With an ioeventfd on the port
 * each out is an exit KVM handles in the kernel; without, each is an exit
 * to user space (KVM_EXIT_IO), re-entered at once.
 */
#ifndef QUAZAR_BENCH_KVM_GUEST_H
#define QUAZAR_BENCH_KVM_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define GUEST_MAX_VCPUS 8

struct guest;

/* A VM with nr vCPUs running; in_kernel: the ioeventfd. NULL on error. */
struct guest *guest_start(int nr, bool in_kernel, char *err, size_t err_len);
void guest_stop(struct guest *g);
/* Park the vCPUs out of KVM_RUN (exits counted so far are final), or resume. */
void guest_pause(struct guest *g, bool pause);
/* Exits so far: the ioeventfd's count plus the user-space ones. */
uint64_t guest_exits(struct guest *g);
/* The vCPU threads' CPU time so far, ns (their schedstat). */
uint64_t guest_cpu_ns(struct guest *g);
int guest_nr_vcpus(const struct guest *g);
pid_t guest_tid(const struct guest *g, int i);

#endif
