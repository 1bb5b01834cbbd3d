// SPDX-License-Identifier: MIT
/*
 * tiny_vm [VCPUS] [MS]: a real KVM guest. Each vCPU runs, in real mode,
 * "out 42 to port 0x10; hlt"; the host checks both exits, keeps the VM
 * alive MS milliseconds, then tears it down. Exit 0 when the guest said 42.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

static const unsigned char guest_code[] = {
	0xb0, 0x2a,		/* mov $42, %al */
	0xe6, 0x10,		/* out %al, $0x10 */
	0xf4,			/* hlt */
};

static int fail(const char *what)
{
	perror(what);
	return 1;
}

static int run_vcpu(int vm, int kvm, int id, void *mem)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_run *run;
	int vcpu = ioctl(vm, KVM_CREATE_VCPU, id);
	int size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	bool said = false;

	if (vcpu < 0 || size <= 0)
		return fail("KVM_CREATE_VCPU");
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs))
		return fail("vcpu setup");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) || ioctl(vcpu, KVM_SET_REGS, &regs))
		return fail("KVM_SET_REGS");
	(void)mem;
	for (;;) {
		if (ioctl(vcpu, KVM_RUN, 0))
			return fail("KVM_RUN");
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == 0x10 &&
		    run->io.direction == KVM_EXIT_IO_OUT)
			said = *((unsigned char *)run + run->io.data_offset) == 42;
		else if (run->exit_reason == KVM_EXIT_HLT)
			break;
		else {
			fprintf(stderr, "unexpected exit %u\n", run->exit_reason);
			return 1;
		}
	}
	munmap(run, (size_t)size);
	close(vcpu);
	return said ? 0 : 1;
}

int main(int argc, char **argv)
{
	int vcpus = argc > 1 ? atoi(argv[1]) : 1;
	int ms = argc > 2 ? atoi(argv[2]) : 50;
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm;
	struct kvm_userspace_memory_region region;
	void *mem;

	if (kvm < 0)
		return fail("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		return fail("mmap");
	memcpy((char *)mem + 0x1000, guest_code, sizeof(guest_code));
	region = (struct kvm_userspace_memory_region){
		.guest_phys_addr = 0, .memory_size = 0x10000,
		.userspace_addr = (unsigned long)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	for (int i = 0; i < vcpus; i++)
		if (run_vcpu(vm, kvm, i, mem))
			return 1;
	usleep((useconds_t)ms * 1000);
	close(vm);
	close(kvm);
	printf("guest said 42 on %d vcpus\n", vcpus);
	return 0;
}
