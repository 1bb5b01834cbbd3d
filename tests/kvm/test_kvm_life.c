// SPDX-License-Identifier: MIT
/*
 * The VM lifecycle without KVM: decoded events fed by hand, with a fake
 * /proc tree playing the kernel's fd table. Real calls make create, vcpu
 * and destroy once each; ENOTTY fakes and fds that are not KVM's make
 * nothing; entry and exit pair per thread; the last close, exit and exec
 * end a VM, a dup keeps it; /proc walks report present and settle what
 * events missed.
 */
#include <errno.h>
#include <linux/kvm.h>
#include "life.h"
#include "procfs.h"
#include "../test.h"
#include "fakeproc.h"

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define MS 1000000ull

struct step {
	enum kvm_step step;
	uint64_t ts;
	int pid, tid, vcpu_id, vcpus;
	char why[16], name[KVM_NAME_LEN];
};

static struct fakeproc fp;
static struct step steps[64];
static int nr_steps, released;

static void on_step(const struct kvm_step_info *s, void *ctx)
{
	(void)ctx;
	if (nr_steps == 64)
		return;
	steps[nr_steps++] = (struct step){
		.step = s->step, .ts = s->ts, .pid = s->vm->pid, .tid = s->tid,
		.vcpu_id = s->vcpu_id, .vcpus = (int)s->vm->vcpus,
	};
	snprintf(steps[nr_steps - 1].why, 16, "%s", s->why ? s->why : "");
	snprintf(steps[nr_steps - 1].name, KVM_NAME_LEN, "%s", s->vm->ident.name);
}

static void on_release(struct kvm_vm *vm, void *ctx)
{
	(void)vm;
	(void)ctx;
	released++;
}

static struct kvm_life *life(void)
{
	struct kvm_life_opts o = { .proc = fp.root, .emit = on_step, .release = on_release };

	nr_steps = 0;
	released = 0;
	return qz_kvm_life__new(&o);
}

/* A VMM process 500 started 10 s ago, /dev/kvm at fd 3, /dev/null at 4. */
static void vmm(int pid, const char *name)
{
	char guest[64];

	snprintf(guest, sizeof(guest), "guest=%s,debug-threads=on", name);
	fp_exit(&fp, pid);
	fp_proc(&fp, pid, "qemu-system-x86", ARGV("qemu-system-x86_64", "-name", guest),
		(unsigned long long)sysconf(_SC_CLK_TCK));
	fp_fd(&fp, pid, 3, "/dev/kvm");
	fp_fd(&fp, pid, 4, "/dev/null");
}

/* The ioctl pair of one thread, the kernel having made fd ret. */
static void call(struct kvm_life *l, uint64_t ts, int pid, int tid, int fd,
		 unsigned long cmd, long arg, long ret)
{
	qz_kvm_life__ioctl_enter(l, ts, pid, tid, (uint64_t)fd, cmd, (uint64_t)arg);
	qz_kvm_life__ioctl_exit(l, ts + 1000, pid, tid, ret, NULL);
}

static void check_step(int i, enum kvm_step step, int pid, const char *why)
{
	CHECK(i < nr_steps);
	if (i >= nr_steps)
		return;
	CHECK_EQ(steps[i].step, step);
	CHECK_EQ(steps[i].pid, pid);
	if (why)
		CHECK_STR(steps[i].why, why);
}

static void test_create_vcpu_destroy(void)
{
	struct kvm_life *l = life();
	const struct kvm_life_stats *st = qz_kvm_life__stats(l);

	vmm(500, "web-1");
	fp_fd(&fp, 500, 11, "anon_inode:kvm-vm");
	call(l, 1 * MS, 500, 500, 3, KVM_CREATE_VM, 0, 11);
	fp_fd(&fp, 500, 12, "anon_inode:kvm-vcpu:0");
	call(l, 2 * MS, 500, 501, 11, KVM_CREATE_VCPU, 0, 12);
	fp_fd(&fp, 500, 13, "anon_inode:kvm-vcpu:1");
	call(l, 3 * MS, 500, 502, 11, KVM_CREATE_VCPU, 1, 13);
	CHECK_EQ(nr_steps, 3);
	check_step(0, KVM_STEP_CREATE, 500, NULL);
	CHECK_STR(steps[0].name, "web-1");
	CHECK_EQ(steps[0].tid, 500);
	CHECK_EQ(steps[0].ts, 1 * MS + 1000);
	check_step(1, KVM_STEP_VCPU, 500, NULL);
	CHECK_EQ(steps[1].vcpu_id, 0);
	CHECK_EQ(steps[1].tid, 501);
	check_step(2, KVM_STEP_VCPU, 500, NULL);
	CHECK_EQ(steps[2].vcpu_id, 1);
	CHECK_EQ(steps[2].vcpus, 2);
	CHECK_EQ(qz_kvm_life__alive(l), 1);
	CHECK_EQ(qz_kvm_life__held(l, 500), 1);
	/* Closing a vCPU fd or another fd ends nothing. */
	qz_kvm_life__close(l, 4 * MS, 500, 12);
	qz_kvm_life__close(l, 4 * MS, 500, 4);
	qz_kvm_life__close(l, 4 * MS, 777, 11);	/* another process's fd 11 */
	CHECK_EQ(nr_steps, 3);
	/* The process exits: destroy, once. */
	qz_kvm_life__exit(l, 9 * MS, 500);
	qz_kvm_life__exit(l, 9 * MS, 500);
	qz_kvm_life__close(l, 9 * MS, 500, 11);
	CHECK_EQ(nr_steps, 4);
	check_step(3, KVM_STEP_DESTROY, 500, "exit");
	CHECK_EQ(steps[3].ts, 9 * MS);
	CHECK_EQ(st->created, 1);
	CHECK_EQ(st->destroyed, 1);
	CHECK_EQ(qz_kvm_life__alive(l), 0);
	/* Until the report reaps it, its events still count for it. */
	CHECK(qz_kvm_life__find(l, 500) != NULL);
	qz_kvm_life__reap(l, 10 * MS);
	CHECK(qz_kvm_life__find(l, 500) == NULL);
	CHECK_EQ(released, 1);
	qz_kvm_life__free(l);
	fp_exit(&fp, 500);
}

/* ioctl(fd_of_/dev/null, KVM_CREATE_VM) fails with ENOTTY: nothing. */
static void test_fakes(void)
{
	struct kvm_life *l = life();
	const struct kvm_life_stats *st = qz_kvm_life__stats(l);

	vmm(600, "fake");
	call(l, 1 * MS, 600, 600, 4, KVM_CREATE_VM, 0, -ENOTTY);
	call(l, 2 * MS, 600, 600, 4, KVM_CREATE_VCPU, 0, -ENOTTY);
	/* A call that "returns" an fd that is not KVM's (another driver). */
	fp_fd(&fp, 600, 5, "/dev/null");
	call(l, 3 * MS, 600, 600, 4, KVM_CREATE_VM, 0, 5);
	/* An fd already gone when the event is read, and no KVM event
	 * before the process exits: unverified. */
	call(l, 4 * MS, 600, 600, 3, KVM_CREATE_VM, 0, 9);
	/* A vCPU call returning a VM fd is no vCPU. */
	fp_fd(&fp, 600, 6, "anon_inode:kvm-vm");
	call(l, 5 * MS, 600, 600, 6, KVM_CREATE_VCPU, 0, 6);
	/* Other ioctls are not creates (user-space filter fallback). */
	call(l, 6 * MS, 600, 600, 3, KVM_GET_API_VERSION, 0, 6);
	/* An exit with no entry on this thread. */
	qz_kvm_life__ioctl_exit(l, 7 * MS, 600, 601, 6, NULL);
	qz_kvm_life__exit(l, 8 * MS, 600);
	CHECK_EQ(nr_steps, 0);
	CHECK_EQ(st->created, 0);
	CHECK_EQ(st->destroyed, 0);
	CHECK_EQ(st->unverified, 1);
	qz_kvm_life__free(l);
	fp_exit(&fp, 600);
}

/* Entry and exit pair per thread: another thread's return is not ours. */
static void test_threads(void)
{
	struct kvm_life *l = life();

	vmm(700, "threads");
	fp_fd(&fp, 700, 11, "anon_inode:kvm-vm");
	qz_kvm_life__ioctl_enter(l, 1 * MS, 700, 701, 3, KVM_CREATE_VM, 0);
	/* Thread 702 returns 11 from some other ioctl: not the create. */
	qz_kvm_life__ioctl_exit(l, 2 * MS, 700, 702, 11, NULL);
	CHECK_EQ(nr_steps, 0);
	qz_kvm_life__ioctl_exit(l, 3 * MS, 700, 701, 11, NULL);
	CHECK_EQ(nr_steps, 1);
	/* A second exit of 701 has no entry left. */
	qz_kvm_life__ioctl_exit(l, 4 * MS, 700, 701, 11, NULL);
	CHECK_EQ(nr_steps, 1);
	/* An entry whose exit was lost long ago pairs with nothing. */
	fp_fd(&fp, 700, 12, "anon_inode:kvm-vcpu:0");
	qz_kvm_life__ioctl_enter(l, 5 * MS, 700, 703, 11, KVM_CREATE_VCPU, 0);
	qz_kvm_life__ioctl_exit(l, 5 * MS + 11000 * MS, 700, 703, 12, NULL);
	CHECK_EQ(nr_steps, 1);
	qz_kvm_life__free(l);
	fp_exit(&fp, 700);
}

/* A VMM that closes its VM and runs on: destroy at the close. */
static void test_close_and_dup(void)
{
	struct kvm_life *l = life();

	vmm(800, "closer");
	fp_fd(&fp, 800, 11, "anon_inode:kvm-vm");
	call(l, 1 * MS, 800, 800, 3, KVM_CREATE_VM, 0, 11);
	/* dup(11) = 20; closing 11 leaves the VM alive through 20. */
	fp_fd(&fp, 800, 20, "anon_inode:kvm-vm");
	fp_close(&fp, 800, 11);
	qz_kvm_life__close(l, 2 * MS, 800, 11);
	CHECK_EQ(nr_steps, 1);
	fp_close(&fp, 800, 20);
	qz_kvm_life__close(l, 3 * MS, 800, 20);
	CHECK_EQ(nr_steps, 2);
	check_step(1, KVM_STEP_DESTROY, 800, "close");
	CHECK_EQ(steps[1].ts, 3 * MS);
	/* It runs on and makes another VM at the same fd number. */
	fp_fd(&fp, 800, 11, "anon_inode:kvm-vm");
	call(l, 4 * MS, 800, 800, 3, KVM_CREATE_VM, 0, 11);
	CHECK_EQ(nr_steps, 3);
	check_step(2, KVM_STEP_CREATE, 800, NULL);
	CHECK_EQ(qz_kvm_life__held(l, 800), 1);
	/* close_range with CLOSE_RANGE_CLOEXEC closes nothing yet. */
	qz_kvm_life__close_range(l, 5 * MS, 800, 3, ~0u, 1u << 2);
	CHECK_EQ(nr_steps, 3);
	fp_close(&fp, 800, 11);
	qz_kvm_life__close_range(l, 6 * MS, 800, 3, ~0u, 0);
	CHECK_EQ(nr_steps, 4);
	check_step(3, KVM_STEP_DESTROY, 800, "close");
	qz_kvm_life__exit(l, 7 * MS, 800);
	CHECK_EQ(nr_steps, 4);
	qz_kvm_life__free(l);
	fp_exit(&fp, 800);
}

/* A new VM on an fd we thought another VM's: dup2 over it, unseen. */
static void test_fd_reused(void)
{
	struct kvm_life *l = life();

	vmm(850, "reuse");
	fp_fd(&fp, 850, 11, "anon_inode:kvm-vm");
	call(l, 1 * MS, 850, 850, 3, KVM_CREATE_VM, 0, 11);
	call(l, 2 * MS, 850, 850, 3, KVM_CREATE_VM, 0, 11);
	CHECK_EQ(nr_steps, 3);
	check_step(0, KVM_STEP_CREATE, 850, NULL);
	check_step(1, KVM_STEP_DESTROY, 850, "close");
	check_step(2, KVM_STEP_CREATE, 850, NULL);
	CHECK_EQ(qz_kvm_life__held(l, 850), 1);
	qz_kvm_life__free(l);
	fp_exit(&fp, 850);
}

/* exec closes the VM fds (close-on-exec); /proc settles missed events. */
static void test_exec_and_check(void)
{
	struct kvm_life *l = life();

	vmm(900, "execer");
	fp_fd(&fp, 900, 11, "anon_inode:kvm-vm");
	call(l, 1 * MS, 900, 900, 3, KVM_CREATE_VM, 0, 11);
	fp_close(&fp, 900, 11);
	qz_kvm_life__exec(l, 2 * MS, 900);
	CHECK_EQ(nr_steps, 2);
	check_step(1, KVM_STEP_DESTROY, 900, "exec");

	vmm(950, "lost-close");
	fp_fd(&fp, 950, 11, "anon_inode:kvm-vm");
	call(l, 3 * MS, 950, 950, 3, KVM_CREATE_VM, 0, 11);
	qz_kvm_life__check(l, 4 * MS);
	CHECK_EQ(nr_steps, 3);
	fp_close(&fp, 950, 11);		/* its close was lost */
	qz_kvm_life__check(l, 5 * MS);
	CHECK_EQ(nr_steps, 4);
	check_step(3, KVM_STEP_DESTROY, 950, "gone");
	qz_kvm_life__free(l);
	fp_exit(&fp, 900);
	fp_exit(&fp, 950);
}

/* VMs running before quazar: present at start, again at reload. */
static void test_present(void)
{
	struct kvm_life *l = life();
	const struct kvm_life_stats *st = qz_kvm_life__stats(l);
	uint64_t now = qz_kvm_boot_ns() + 1000000 * MS;
	size_t pos = 0;
	struct kvm_vm *vm;
	int n = 0;

	vmm(1100, "old-vm");
	fp_fd(&fp, 1100, 11, "anon_inode:kvm-vm");
	fp_fd(&fp, 1100, 12, "anon_inode:kvm-vcpu:0");
	fp_fd(&fp, 1100, 13, "anon_inode:kvm-vcpu:1");
	fp_proc(&fp, 1200, "sh", ARGV("sh"), 0);
	CHECK_EQ(qz_kvm_life__scan(l, now, "start", NULL, 0), 1);
	CHECK_EQ(nr_steps, 1);
	check_step(0, KVM_STEP_PRESENT, 1100, "start");
	CHECK_EQ(steps[0].vcpus, 2);
	CHECK_STR(steps[0].name, "old-vm");
	CHECK_EQ(st->present, 1);
	CHECK_EQ(st->created, 0);
	while (qz_kvm_life__next(l, &pos, &vm)) {
		uint64_t age = now - vm->created, want = qz_kvm_boot_ns() - 1000 * MS;

		n++;
		/* Started 1 s after boot: its age is the time since. */
		CHECK(age > want - 2000 * MS && age < want + 2000 * MS);
		CHECK(vm->present);
	}
	CHECK_EQ(n, 1);
	/* Its events are counted as usual: a vCPU more, then a reload. */
	fp_fd(&fp, 1100, 14, "anon_inode:kvm-vcpu:2");
	call(l, now + 1, 1100, 1101, 11, KVM_CREATE_VCPU, 2, 14);
	CHECK_EQ(nr_steps, 2);
	CHECK_EQ(qz_kvm_life__scan(l, now + 2, "reload", NULL, 0), 1);
	CHECK_EQ(nr_steps, 3);
	check_step(2, KVM_STEP_PRESENT, 1100, "reload");
	CHECK_EQ(steps[2].vcpus, 3);
	CHECK_EQ(st->present, 1);
	/* Gone while we did not look: the reload's walk destroys it first. */
	fp_exit(&fp, 1100);
	CHECK_EQ(qz_kvm_life__scan(l, now + 3, "reload", NULL, 0), 0);
	CHECK_EQ(nr_steps, 4);
	check_step(3, KVM_STEP_DESTROY, 1100, "gone");
	/* -p: only the processes named. */
	vmm(1300, "named");
	fp_fd(&fp, 1300, 11, "anon_inode:kvm-vm");
	vmm(1400, "other");
	fp_fd(&fp, 1400, 11, "anon_inode:kvm-vm");
	CHECK_EQ(qz_kvm_life__scan(l, now + 4, "start", (int[]){ 1300, 4242 }, 2), 1);
	CHECK_EQ(nr_steps, 5);
	check_step(4, KVM_STEP_PRESENT, 1300, "start");
	CHECK_EQ(qz_kvm_life__scan(l, now, "start", NULL, 0), 2);
	qz_kvm_life__free(l);
	fp_exit(&fp, 1200);
	fp_exit(&fp, 1300);
	fp_exit(&fp, 1400);
}

/* KVM activity of a process we never saw create a VM: adopt it late. */
static void test_adopt(void)
{
	struct kvm_life *l = life();
	struct kvm_vm *vm;

	vmm(1500, "late");
	fp_fd(&fp, 1500, 11, "anon_inode:kvm-vm");
	vm = qz_kvm_life__adopt(l, 1 * MS, 1500);
	CHECK(vm && vm->alive && vm->present);
	CHECK_EQ(nr_steps, 1);
	check_step(0, KVM_STEP_PRESENT, 1500, "late");
	/* Known now: adopting again reports nothing more. */
	CHECK(qz_kvm_life__adopt(l, 2 * MS, 1500) == vm);
	CHECK_EQ(nr_steps, 1);
	/* A vCPU create on a VM fd we do not know adopts that process too. */
	vmm(1600, "late-vcpu");
	fp_fd(&fp, 1600, 11, "anon_inode:kvm-vm");
	fp_fd(&fp, 1600, 12, "anon_inode:kvm-vcpu:0");
	call(l, 3 * MS, 1600, 1601, 11, KVM_CREATE_VCPU, 0, 12);
	CHECK_EQ(nr_steps, 2);
	check_step(1, KVM_STEP_PRESENT, 1600, "late");
	CHECK_EQ(steps[1].vcpus, 1);
	/* A process with no VM is looked at once per reap. */
	fp_proc(&fp, 1700, "sh", ARGV("sh"), 0);
	CHECK(qz_kvm_life__adopt(l, 4 * MS, 1700) == NULL);
	fp_fd(&fp, 1700, 11, "anon_inode:kvm-vm");
	CHECK(qz_kvm_life__adopt(l, 5 * MS, 1700) == NULL);
	qz_kvm_life__reap(l, 6 * MS);
	CHECK(qz_kvm_life__adopt(l, 7 * MS, 1700) != NULL);
	CHECK_EQ(nr_steps, 3);
	qz_kvm_life__free(l);
	CHECK_EQ(released, 3);
	fp_exit(&fp, 1500);
	fp_exit(&fp, 1600);
	fp_exit(&fp, 1700);
}

/* A VM closed before its fd could be read: KVM's events prove it. */
static void test_unverified(void)
{
	struct kvm_life *l = life();
	const struct kvm_life_stats *st = qz_kvm_life__stats(l);

	vmm(1800, "short");
	call(l, 1 * MS, 1800, 1800, 3, KVM_CREATE_VM, 0, 11);
	call(l, 2 * MS, 1800, 1801, 11, KVM_CREATE_VCPU, 0, 12);
	call(l, 2 * MS, 1800, 1802, 11, KVM_CREATE_VCPU, 1, 13);
	CHECK_EQ(nr_steps, 0);
	/* Its first kvm:* event: made and reported with their own times. */
	CHECK(qz_kvm_life__adopt(l, 3 * MS, 1800) != NULL);
	CHECK_EQ(nr_steps, 3);
	check_step(0, KVM_STEP_CREATE, 1800, NULL);
	CHECK_EQ(steps[0].ts, 1 * MS + 1000);
	CHECK_STR(steps[0].name, "short");
	check_step(1, KVM_STEP_VCPU, 1800, NULL);
	CHECK_EQ(steps[1].vcpu_id, 0);
	CHECK_EQ(steps[2].vcpu_id, 1);
	qz_kvm_life__exit(l, 4 * MS, 1800);
	check_step(3, KVM_STEP_DESTROY, 1800, "exit");
	CHECK_EQ(st->created, 1);
	CHECK_EQ(st->unverified, 0);

	/* A vCPU fd that can be read proves the VM fd it was made on. */
	vmm(1900, "vcpu-proves");
	call(l, 5 * MS, 1900, 1900, 3, KVM_CREATE_VM, 0, 11);
	fp_fd(&fp, 1900, 12, "anon_inode:kvm-vcpu:0");
	call(l, 6 * MS, 1900, 1901, 11, KVM_CREATE_VCPU, 0, 12);
	CHECK_EQ(nr_steps, 6);
	check_step(4, KVM_STEP_CREATE, 1900, NULL);
	check_step(5, KVM_STEP_VCPU, 1900, NULL);

	/* No KVM event before the exit, or for 10 s: dropped, unverified. */
	vmm(2000, "never-ran");
	call(l, 7 * MS, 2000, 2000, 3, KVM_CREATE_VM, 0, 11);
	qz_kvm_life__exit(l, 8 * MS, 2000);
	vmm(2100, "silent");
	call(l, 9 * MS, 2100, 2100, 3, KVM_CREATE_VM, 0, 11);
	qz_kvm_life__reap(l, 9 * MS + 11000 * MS);
	CHECK(qz_kvm_life__adopt(l, 9 * MS + 11001 * MS, 2100) == NULL);
	CHECK_EQ(nr_steps, 6);
	CHECK_EQ(st->unverified, 2);
	qz_kvm_life__free(l);
	fp_exit(&fp, 1800);
	fp_exit(&fp, 1900);
	fp_exit(&fp, 2000);
	fp_exit(&fp, 2100);
}

int main(void)
{
	if (fp_init(&fp)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_create_vcpu_destroy);
	RUN(test_fakes);
	RUN(test_threads);
	RUN(test_close_and_dup);
	RUN(test_fd_reused);
	RUN(test_exec_and_check);
	RUN(test_present);
	RUN(test_adopt);
	RUN(test_unverified);
	fp_free(&fp);
	return test_result();
}
