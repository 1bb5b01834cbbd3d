// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "kvm_guest.h"

#define PORT 0x10

static const unsigned char code[] = {
	0xe6, PORT,	/* out %al, $0x10 */
	0xeb, 0xfc,	/* jmp .-2 */
};

struct vcpu {
	struct guest *g;
	pthread_t thread;
	pid_t tid;
	int id, fd;
	uint64_t user_exits;	/* written by its thread only */
	bool parked;		/* paused, out of KVM_RUN */
	const char *err;
};

struct guest {
	int kvm, vm, efd;
	uint64_t kernel_exits;	/* read from the eventfd so far */
	void *mem;
	volatile bool stop, pause;
	int nr;
	struct vcpu vcpus[GUEST_MAX_VCPUS];
};

static void on_kick(int sig)
{
	(void)sig;	/* KVM_RUN returns -EINTR: the loop looks at stop */
}

static void *run(void *arg)
{
	struct vcpu *v = arg;
	struct kvm_regs regs = { .rip = 0x1000, .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *r;
	int size = ioctl(v->g->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);

	__atomic_store_n(&v->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	v->fd = ioctl(v->g->vm, KVM_CREATE_VCPU, v->id);
	r = v->fd >= 0 && size > 0 ?
		mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0) : MAP_FAILED;
	if (r == MAP_FAILED || ioctl(v->fd, KVM_GET_SREGS, &sregs)) {
		v->err = "vCPU setup";
		return NULL;
	}
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(v->fd, KVM_SET_SREGS, &sregs) || ioctl(v->fd, KVM_SET_REGS, &regs)) {
		v->err = "vCPU registers";
		return NULL;
	}
	while (!v->g->stop) {
		if (v->g->pause) {
			__atomic_store_n(&v->parked, true, __ATOMIC_RELEASE);
			usleep(1000);
			continue;
		}
		__atomic_store_n(&v->parked, false, __ATOMIC_RELEASE);
		if (ioctl(v->fd, KVM_RUN, 0)) {
			if (errno == EINTR)
				continue;
			v->err = "KVM_RUN";
			break;
		}
		if (r->exit_reason != KVM_EXIT_IO) {
			v->err = "an exit that is not the out";
			break;
		}
		__atomic_store_n(&v->user_exits, v->user_exits + 1, __ATOMIC_RELAXED);
	}
	munmap(r, (size_t)size);
	return NULL;
}

struct guest *guest_start(int nr, bool in_kernel, char *err, size_t err_len)
{
	struct guest *g = calloc(1, sizeof(*g));
	struct kvm_userspace_memory_region region = { .memory_size = 0x10000 };
	struct sigaction sa = { .sa_handler = on_kick };
	const char *what = NULL;

	if (!g || nr < 1 || nr > GUEST_MAX_VCPUS) {
		snprintf(err, err_len, "1 to %d vCPUs", GUEST_MAX_VCPUS);
		free(g);
		return NULL;
	}
	sigaction(SIGUSR1, &sa, NULL);
	g->efd = -1;
	g->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	g->vm = g->kvm < 0 ? -1 : ioctl(g->kvm, KVM_CREATE_VM, 0);
	g->mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g->kvm < 0)
		what = "/dev/kvm";
	else if (g->vm < 0)
		what = "KVM_CREATE_VM";
	else if (g->mem == MAP_FAILED)
		what = "guest memory";
	if (!what) {
		memcpy((char *)g->mem + 0x1000, code, sizeof(code));
		region.userspace_addr = (unsigned long)g->mem;
		if (ioctl(g->vm, KVM_SET_USER_MEMORY_REGION, &region))
			what = "KVM_SET_USER_MEMORY_REGION";
	}
	if (!what && in_kernel) {
		struct kvm_ioeventfd io = { .addr = PORT, .len = 1, .flags = KVM_IOEVENTFD_FLAG_PIO };

		g->efd = io.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (g->efd < 0 || ioctl(g->vm, KVM_IOEVENTFD, &io))
			what = "KVM_IOEVENTFD";
	}
	for (int i = 0; !what && i < nr; i++) {
		g->vcpus[i] = (struct vcpu){ .g = g, .id = i, .fd = -1 };
		if (pthread_create(&g->vcpus[i].thread, NULL, run, &g->vcpus[i]))
			what = "pthread_create";
		else
			g->nr++;
	}
	if (what) {
		snprintf(err, err_len, "%s: %s", what, strerror(errno));
		guest_stop(g);
		return NULL;
	}
	while (!__atomic_load_n(&g->vcpus[nr - 1].tid, __ATOMIC_ACQUIRE))
		usleep(1000);
	return g;
}

void guest_stop(struct guest *g)
{
	if (!g)
		return;
	g->stop = true;
	for (int i = 0; i < g->nr; i++) {
		pthread_kill(g->vcpus[i].thread, SIGUSR1);
		pthread_join(g->vcpus[i].thread, NULL);
		if (g->vcpus[i].err)
			fprintf(stderr, "vcpu %d: %s\n", i, g->vcpus[i].err);
		if (g->vcpus[i].fd >= 0)
			close(g->vcpus[i].fd);
	}
	if (g->efd >= 0)
		close(g->efd);
	if (g->vm >= 0)
		close(g->vm);
	if (g->kvm >= 0)
		close(g->kvm);
	if (g->mem != MAP_FAILED && g->mem)
		munmap(g->mem, 0x10000);
	free(g);
}

void guest_pause(struct guest *g, bool pause)
{
	g->pause = pause;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	for (int i = 0; pause && i < g->nr; i++) {
		/* An in-kernel loop never returns by itself: kick it out. */
		while (!__atomic_load_n(&g->vcpus[i].parked, __ATOMIC_ACQUIRE) &&
		       !g->vcpus[i].err) {
			pthread_kill(g->vcpus[i].thread, SIGUSR1);
			usleep(200);
		}
	}
}

uint64_t guest_exits(struct guest *g)
{
	uint64_t n = 0, v;

	/* The eventfd counts the in-kernel exits; reading it resets it. */
	if (g->efd >= 0 && read(g->efd, &v, sizeof(v)) == sizeof(v))
		g->kernel_exits += v;
	n = g->kernel_exits;
	for (int i = 0; i < g->nr; i++)
		n += __atomic_load_n(&g->vcpus[i].user_exits, __ATOMIC_RELAXED);
	return n;
}

uint64_t guest_cpu_ns(struct guest *g)
{
	uint64_t total = 0;

	for (int i = 0; i < g->nr; i++) {
		char path[64];
		unsigned long long ns = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/proc/self/task/%d/schedstat", g->vcpus[i].tid);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &ns) == 1)
			total += ns;
		if (f)
			fclose(f);
	}
	return total;
}

int guest_nr_vcpus(const struct guest *g)
{
	return g->nr;
}

pid_t guest_tid(const struct guest *g, int i)
{
	return g->vcpus[i].tid;
}
