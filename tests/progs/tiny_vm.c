// SPDX-License-Identifier: MIT
/*
 * tiny_vm: a real KVM guest with a known number of exits, the VMM side of
 * the vm tests and of bench/kvm's sibling.
 *
 *	tiny_vm [--vcpus N] [--outs N] [--hlts N] [--life MS] [--close-vm]
 *		[--fake] [-name guest=NAME,...] [-uuid UUID]
 *
 * Each vCPU thread makes its own vCPU (as QEMU does) and runs, in real
 * mode, `out %al,$0x10` OUTS times then `hlt` HLTS times: with no in-kernel
 * irqchip every one is an exit to user space. The fds stay open; the VM
 * lives MS ms, then the process exits, or with --close-vm closes its vCPU
 * and VM fds first and stays alive MS ms more. -name and -uuid are read by
 * nobody but quazar, from /proc/PID/cmdline, as for QEMU. --fake calls
 * KVM_CREATE_VM and KVM_CREATE_VCPU on /dev/null (ENOTTY) and makes no VM.
 * Prints "ready: pid PID: ..." once the guest ran, with the exits it counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define MAX_VCPUS 16
#define PORT_OUT 0x10
#define PORT_DONE 0x11

/* Patched with the loop counts at offsets 1 and 13. */
static unsigned char guest_code[] = {
	0xb9, 0, 0,		/*  0: mov $OUTS, %cx */
	0xe3, 0x07,		/*  3: jcxz 12 */
	0xb0, 0x2a,		/*  5: mov $42, %al */
	0xe6, PORT_OUT,		/*  7: out %al, $0x10 */
	0x49,			/*  9: dec %cx */
	0x75, 0xf9,		/* 10: jnz 5 */
	0xb9, 0, 0,		/* 12: mov $HLTS, %cx */
	0xe3, 0x04,		/* 15: jcxz 21 */
	0xf4,			/* 17: hlt */
	0x49,			/* 18: dec %cx */
	0x75, 0xfc,		/* 19: jnz 17 */
	0xe6, PORT_DONE,	/* 21: out %al, $0x11 (only when HLTS is 0) */
	0xeb, 0xfe,		/* 23: jmp . */
};

struct vcpu {
	int id, fd;
	long outs, hlts;
	const char *err;
};

static int kvm_fd, vm_fd;
static long want_outs = 100, want_hlts = 10;
/* vCPU threads outlive their guest's run, as a VMM's do. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int finished;
static bool stop;

static void *park(void)
{
	pthread_mutex_lock(&lock);
	finished++;
	pthread_cond_broadcast(&cond);
	while (!stop)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	return NULL;
}

static void *run_vcpu(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	int size = ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	v->fd = ioctl(vm_fd, KVM_CREATE_VCPU, v->id);
	if (v->fd < 0 || size <= 0) {
		v->err = "KVM_CREATE_VCPU";
		return park();
	}
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED || ioctl(v->fd, KVM_GET_SREGS, &sregs)) {
		v->err = "vcpu setup";
		return park();
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) || ioctl(v->fd, KVM_SET_REGS, &regs)) {
		v->err = "KVM_SET_REGS";
		return park();
	}
	for (;;) {
		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			v->err = "KVM_RUN";
			break;
		}
		if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT_OUT &&
		    *((unsigned char *)run + run->io.data_offset) == 42) {
			v->outs++;
		} else if (run->exit_reason == KVM_EXIT_HLT) {
			if (++v->hlts == want_hlts)
				break;
		} else if (run->exit_reason == KVM_EXIT_IO && run->io.port == PORT_DONE) {
			break;
		} else {
			v->err = "unexpected exit";
			break;
		}
	}
	munmap(run, (size_t)size);
	return park();
}

static void stop_vcpus(pthread_t *threads, int nr)
{
	pthread_mutex_lock(&lock);
	stop = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nr; i++)
		pthread_join(threads[i], NULL);
}

static int fail(const char *what)
{
	fprintf(stderr, "tiny_vm: %s: %s\n", what, strerror(errno));
	return 1;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* KVM's create calls on a file that is not KVM's: ENOTTY, no VM. */
static int fake(int ms)
{
	int fd = open("/dev/null", O_RDWR);
	int vm = ioctl(fd, KVM_CREATE_VM, 0);
	int vm_errno = errno;
	int vcpu = ioctl(fd, KVM_CREATE_VCPU, 0);

	if (fd < 0 || vm >= 0 || vcpu >= 0 || vm_errno != ENOTTY || errno != ENOTTY)
		return fail("a fake create did not fail with ENOTTY");
	printf("ready: pid %d: fake creates failed with ENOTTY\n", (int)getpid());
	fflush(stdout);
	usleep((useconds_t)ms * 1000);
	return 0;
}

int main(int argc, char **argv)
{
	struct vcpu vcpus[MAX_VCPUS] = { 0 };
	pthread_t threads[MAX_VCPUS];
	int nr = 2, ms = 200;
	long outs = 0, hlts = 0;
	bool close_vm = false;
	struct kvm_userspace_memory_region region;
	void *mem;

	for (int i = 1; i < argc; i++) {
		const char *next = i + 1 < argc ? argv[i + 1] : "";

		if (!strcmp(argv[i], "--vcpus"))
			nr = atoi(next), i++;
		else if (!strcmp(argv[i], "--outs"))
			want_outs = atol(next), i++;
		else if (!strcmp(argv[i], "--hlts"))
			want_hlts = atol(next), i++;
		else if (!strcmp(argv[i], "--life"))
			ms = atoi(next), i++;
		else if (!strcmp(argv[i], "--close-vm"))
			close_vm = true;
		else if (!strcmp(argv[i], "--fake"))
			return fake(ms);
		else if (!strcmp(argv[i], "-name") || !strcmp(argv[i], "-uuid"))
			i++;	/* for quazar to read */
		else {
			fprintf(stderr, "tiny_vm: unknown argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (nr < 1 || nr > MAX_VCPUS || want_outs < 0 || want_outs > 0xffff ||
	    want_hlts < 0 || want_hlts > 0xffff) {
		fprintf(stderr, "tiny_vm: --vcpus 1..%d, --outs and --hlts 0..65535\n", MAX_VCPUS);
		return 2;
	}
	guest_code[1] = (unsigned char)want_outs;
	guest_code[2] = (unsigned char)(want_outs >> 8);
	guest_code[13] = (unsigned char)want_hlts;
	guest_code[14] = (unsigned char)(want_hlts >> 8);

	kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm_fd < 0)
		return fail("/dev/kvm");
	vm_fd = ioctl(kvm_fd, KVM_CREATE_VM, 0);
	if (vm_fd < 0)
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
	if (ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region))
		return fail("KVM_SET_USER_MEMORY_REGION");
	for (int i = 0; i < nr; i++) {
		vcpus[i].id = i;
		if (pthread_create(&threads[i], NULL, run_vcpu, &vcpus[i]))
			return fail("pthread_create");
	}
	pthread_mutex_lock(&lock);
	while (finished < nr)
		pthread_cond_wait(&cond, &lock);
	pthread_mutex_unlock(&lock);
	for (int i = 0; i < nr; i++) {
		if (vcpus[i].err) {
			fprintf(stderr, "tiny_vm: vcpu %d: %s\n", i, vcpus[i].err);
			return 1;
		}
		outs += vcpus[i].outs;
		hlts += vcpus[i].hlts;
	}
	printf("ready: pid %d: %ld outs and %ld hlts on %d vcpus\n", (int)getpid(), outs,
	       hlts, nr);
	fflush(stdout);
	if (outs != want_outs * nr || hlts != want_hlts * nr) {
		fprintf(stderr, "tiny_vm: wanted %ld outs and %ld hlts per vcpu\n",
			want_outs, want_hlts);
		return 1;
	}
	if (close_vm) {
		usleep((useconds_t)ms * 1000);
		stop_vcpus(threads, nr);
		for (int i = 0; i < nr; i++)
			close(vcpus[i].fd);
		close(vm_fd);
		printf("closed the VM at %llu\n", (unsigned long long)mono_ns());
		fflush(stdout);
	}
	usleep((useconds_t)ms * 1000);
	if (!close_vm)
		stop_vcpus(threads, nr);
	return 0;
}
