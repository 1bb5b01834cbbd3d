// SPDX-License-Identifier: MIT
/*
 * Discovery and identity without KVM: a fake /proc tree with a QEMU, a
 * libvirt QEMU, Firecracker, Cloud Hypervisor, crosvm, an unknown VMM and
 * processes holding no VM; and the command-line parsers one by one.
 */
#include <errno.h>
#include <time.h>
#include "procfs.h"
#include "../test.h"
#include "fakeproc.h"

static struct fakeproc fp;

static void ident(const char *const *argv, const char *vmm, const char *name,
		  const char *id)
{
	char buf[2048];
	size_t n = 0;
	struct kvm_ident got;

	for (int i = 0; argv[i]; i++) {
		size_t len = strlen(argv[i]) + 1;

		memcpy(buf + n, argv[i], len);
		n += len;
	}
	qz_kvm_ident__parse(&got, buf, n, "comm", 4321);
	CHECK_STR(got.vmm, vmm);
	CHECK_STR(got.name, name);
	CHECK_STR(got.id, id);
}

#define ARGV(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void test_ident(void)
{
	/* QEMU: -name guest=NAME, -name NAME, --name, ",," escapes a comma. */
	ident(ARGV("/usr/bin/qemu-system-x86_64", "-enable-kvm", "-name",
		   "guest=web-1,debug-threads=on", "-uuid", "5a9c3e1e-2b4c-4f7e-9d3a-0c1b2a3d4e5f"),
	      "qemu", "web-1", "5a9c3e1e-2b4c-4f7e-9d3a-0c1b2a3d4e5f");
	ident(ARGV("qemu-kvm", "-m", "1G", "-name", "db,process=qemu-db"), "qemu", "db", "4321");
	ident(ARGV("qemu-system-aarch64", "--name", "guest=a,,b"), "qemu", "a,b", "4321");
	ident(ARGV("qemu-system-x86_64", "-name", "debug-threads=on,guest=late"), "qemu",
	      "late", "4321");
	/* The last -name wins, as in QEMU. */
	ident(ARGV("qemu-system-x86_64", "-name", "one", "-name", "two"), "qemu", "two", "4321");
	/* libvirt: guest= and its files under .../libvirt/. */
	ident(ARGV("/usr/bin/qemu-system-x86_64", "-name", "guest=prod-db,debug-threads=on",
		   "-S", "-object",
		   "{\"qom-type\":\"secret\",\"id\":\"masterKey0\",\"format\":\"raw\",\"file\":\"/var/lib/libvirt/qemu/domain-3-prod-db/master-key.aes\"}",
		   "-uuid", "c7a5fdbd-cdaf-9455-926a-d65c16db1809"),
	      "libvirt", "prod-db", "c7a5fdbd-cdaf-9455-926a-d65c16db1809");
	/* Firecracker, and its jailer. */
	ident(ARGV("firecracker", "--id", "fc-7", "--api-sock", "/run/fc-7.sock"),
	      "firecracker", "fc-7", "fc-7");
	ident(ARGV("/usr/bin/firecracker", "--id=fc-8"), "firecracker", "fc-8", "fc-8");
	ident(ARGV("jailer", "--id", "551e7604", "--exec-file", "/usr/bin/firecracker"),
	      "firecracker", "551e7604", "551e7604");
	/* Cloud Hypervisor: the bare path or path=. */
	ident(ARGV("cloud-hypervisor", "--api-socket", "/run/ch/db-2.sock", "--cpus", "boot=2"),
	      "cloud-hypervisor", "db-2", "/run/ch/db-2.sock");
	ident(ARGV("/usr/bin/cloud-hypervisor", "--api-socket", "path=/run/ch/web.sock,fd=3"),
	      "cloud-hypervisor", "web", "/run/ch/web.sock");
	ident(ARGV("cloud-hypervisor", "--api-socket", "fd=3"), "", "comm", "4321");
	/* crosvm: the control socket. */
	ident(ARGV("crosvm", "run", "--socket", "/run/crosvm/android.sock", "bzImage"),
	      "crosvm", "android", "/run/crosvm/android.sock");
	ident(ARGV("/usr/bin/crosvm", "--log-level=info", "run", "-s", "/tmp/vm3"), "crosvm",
	      "vm3", "/tmp/vm3");
	/* A VMM we do not know, speaking QEMU's -name (the tests' tiny_vm). */
	ident(ARGV("./tiny_vm", "--vcpus", "2", "-name", "guest=tiny-test,debug-threads=on"),
	      "qemu", "tiny-test", "4321");
	/* Nothing to go on: comm and pid. */
	ident(ARGV("/opt/vmm"), "", "comm", "4321");
	ident(ARGV("qemu-system-x86_64", "-name"), "", "comm", "4321");
	ident(ARGV("qemu-system-x86_64", "-name", ""), "", "comm", "4321");
	qz_kvm_ident__parse(&(struct kvm_ident){ 0 }, NULL, 0, NULL, 1);
	/* An unterminated last argument is not read. */
	{
		struct kvm_ident got;

		qz_kvm_ident__parse(&got, "qemu\0-name\0trunc", 16, "q", 9);
		CHECK_STR(got.name, "q");
	}
	/* A name longer than the field is cut, not overflowed. */
	{
		char longname[400];
		struct kvm_ident got;
		char buf[512];

		memset(longname, 'x', sizeof(longname));
		memcpy(longname, "guest=", 6);
		longname[sizeof(longname) - 1] = 0;
		memcpy(buf, "qemu\0-name\0", 11);
		memcpy(buf + 11, longname, sizeof(longname));
		qz_kvm_ident__parse(&got, buf, 11 + sizeof(longname), "q", 9);
		CHECK_EQ(strlen(got.name), KVM_NAME_LEN - 1);
	}
}

static unsigned long long ticks_ago(double seconds)
{
	struct timespec ts;
	long tck = sysconf(_SC_CLK_TCK);

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (unsigned long long)((ts.tv_sec + ts.tv_nsec / 1e9 - seconds) * (double)tck);
}

static void build_tree(void)
{
	/* A QEMU with one VM, 2 vCPUs, up 100 s, and a comm with ") ". */
	fp_proc(&fp, 100, "qemu) x", ARGV("qemu-system-x86_64", "-name", "guest=web-1",
					 "-uuid", "5a9c3e1e"), ticks_ago(100));
	fp_fd(&fp, 100, 0, "/dev/null");
	fp_fd(&fp, 100, 3, "/dev/kvm");
	fp_fd(&fp, 100, 11, "anon_inode:kvm-vm");
	fp_fd(&fp, 100, 12, "anon_inode:kvm-vcpu:0");
	fp_fd(&fp, 100, 13, "anon_inode:kvm-vcpu:1");
	fp_fd(&fp, 100, 14, "anon_inode:[eventfd]");
	/* Firecracker, 1 vCPU. */
	fp_proc(&fp, 200, "firecracker", ARGV("firecracker", "--id", "fc-7"), ticks_ago(5));
	fp_fd(&fp, 200, 9, "anon_inode:kvm-vm");
	fp_fd(&fp, 200, 10, "anon_inode:kvm-vcpu:0");
	/* No VM: /dev/kvm open is not a VM. */
	fp_proc(&fp, 300, "bash", ARGV("bash"), ticks_ago(50));
	fp_fd(&fp, 300, 3, "/dev/kvm");
	/* Two VMs in one process (a test harness), fds out of order. */
	fp_proc(&fp, 1000, "selftest", ARGV("/opt/vmm"), ticks_ago(1));
	fp_fd(&fp, 1000, 20, "anon_inode:kvm-vm");
	fp_fd(&fp, 1000, 7, "anon_inode:kvm-vm");
	/* Not a pid: ignored. */
	mkdir(strcat(strcpy((char[128]){ 0 }, fp.root), "/self"), 0755);
}

static void test_fd(void)
{
	int id = -1;

	CHECK_EQ(qz_kvm_proc__fd(fp.root, 100, 11, NULL), KVM_LINK_VM);
	CHECK_EQ(qz_kvm_proc__fd(fp.root, 100, 13, &id), KVM_LINK_VCPU);
	CHECK_EQ(id, 1);
	CHECK_EQ(qz_kvm_proc__fd(fp.root, 100, 3, NULL), KVM_LINK_OTHER);
	CHECK_EQ(qz_kvm_proc__fd(fp.root, 100, 14, NULL), KVM_LINK_OTHER);
	CHECK_EQ(qz_kvm_proc__fd(fp.root, 100, 99, NULL), -ENOENT);
	CHECK_EQ(qz_kvm_proc__fd(fp.root, 99999, 1, NULL), -ENOENT);
}

static void test_read(void)
{
	struct kvm_proc_info info;
	uint64_t age;

	CHECK_EQ(qz_kvm_proc__read(fp.root, 100, &info), 0);
	CHECK_EQ(info.nr_vm_fds, 1);
	CHECK_EQ(info.vm_fds[0], 11);
	CHECK_EQ(info.vcpu_fds, 2);
	CHECK_STR(info.comm, "qemu) x");
	CHECK_STR(info.ident.name, "web-1");
	CHECK_STR(info.ident.id, "5a9c3e1e");
	age = qz_kvm_boot_ns() - info.start_boot_ns;
	CHECK(age > 99000000000ull && age < 102000000000ull);

	CHECK_EQ(qz_kvm_proc__read(fp.root, 1000, &info), 0);
	CHECK_EQ(info.nr_vm_fds, 2);
	CHECK_EQ(info.vm_fds[0], 7);
	CHECK_EQ(info.vm_fds[1], 20);
	CHECK_STR(info.ident.name, "selftest");
	CHECK_STR(info.ident.id, "1000");

	CHECK_EQ(qz_kvm_proc__read(fp.root, 300, &info), 0);
	CHECK_EQ(info.nr_vm_fds, 0);
	CHECK_EQ(qz_kvm_proc__read(fp.root, 4242, &info), -ENOENT);
	CHECK_EQ(qz_kvm_proc__tgid(fp.root, 200), 200);
	CHECK(qz_kvm_proc__tgid(fp.root, 4242) < 0);
}

struct seen {
	int pids[8];
	int n;
};

static int on_vm(const struct kvm_proc_info *info, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 8)
		s->pids[s->n++] = info->pid;
	return 0;
}

static int stop_at_first(const struct kvm_proc_info *info, void *ctx)
{
	(void)info;
	(void)ctx;
	return 42;
}

static void test_scan(void)
{
	struct seen s = { 0 };

	/* VM holders only, in pid order (1000 after 200, not before). */
	CHECK_EQ(qz_kvm_proc__scan(fp.root, on_vm, &s), 3);
	CHECK_EQ(s.n, 3);
	CHECK_EQ(s.pids[0], 100);
	CHECK_EQ(s.pids[1], 200);
	CHECK_EQ(s.pids[2], 1000);
	CHECK_EQ(qz_kvm_proc__scan(fp.root, stop_at_first, NULL), 42);
	CHECK_EQ(qz_kvm_proc__scan("/nonexistent-proc", on_vm, &s), -ENOENT);
}

int main(void)
{
	if (fp_init(&fp)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_ident);
	build_tree();
	RUN(test_fd);
	RUN(test_read);
	RUN(test_scan);
	fp_free(&fp);
	return test_result();
}
