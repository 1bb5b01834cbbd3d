// SPDX-License-Identifier: MIT
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "procfs.h"

#define VM_LINK "anon_inode:kvm-vm"
#define VCPU_LINK "anon_inode:kvm-vcpu:"

static int link_kind(const char *target, int *vcpu_id)
{
	if (!strcmp(target, VM_LINK))
		return KVM_LINK_VM;
	if (!strncmp(target, VCPU_LINK, strlen(VCPU_LINK))) {
		if (vcpu_id)
			*vcpu_id = atoi(target + strlen(VCPU_LINK));
		return KVM_LINK_VCPU;
	}
	return KVM_LINK_OTHER;
}

int qz_kvm_proc__fd(const char *proc, int pid, int fd, int *vcpu_id)
{
	char path[512], target[128];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/fd/%d", proc, pid, fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	return link_kind(target, vcpu_id);
}

/* A whole small file into buf (NUL-terminated); its length or -errno. */
static ssize_t read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = 0;
	return (ssize_t)got;
}

/*
 * Field 22 of proc/PID/stat, starttime in clock ticks since boot. The comm
 * in parentheses may hold spaces and ')': fields start after the last ')'.
 */
static uint64_t start_boot_ns(const char *proc, int pid)
{
	char path[512], buf[1024];
	const char *p;
	long tck = sysconf(_SC_CLK_TCK);
	unsigned long long ticks;

	snprintf(path, sizeof(path), "%s/%d/stat", proc, pid);
	if (read_file(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
		return 0;
	p++;
	/* After ')': state is field 3, so starttime is the 20th from here. */
	for (int field = 3; field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (!p)
			return 0;
	}
	if (sscanf(p, " %llu", &ticks) != 1 || tck <= 0)
		return 0;
	return (uint64_t)ticks * (1000000000ull / (uint64_t)tck);
}

void qz_kvm_proc__ident(const char *proc, int pid, const char *comm,
			struct kvm_ident *id)
{
	char path[512], cmdline[8192];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/cmdline", proc, pid);
	n = read_file(path, cmdline, sizeof(cmdline));
	qz_kvm_ident__parse(id, cmdline, n > 0 ? (size_t)n : 0, comm, pid);
}

void qz_kvm_proc__comm(const char *proc, int pid, char *buf, size_t len)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%d/comm", proc, pid);
	if (read_file(path, buf, len) <= 0)
		buf[0] = 0;
	buf[strcspn(buf, "\n")] = 0;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

int qz_kvm_proc__fds(const char *proc, int pid, struct kvm_proc_info *out)
{
	char path[512];
	struct dirent *e;
	DIR *d;

	memset(out, 0, sizeof(*out));
	out->pid = pid;
	snprintf(path, sizeof(path), "%s/%d/fd", proc, pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		int kind;

		if (*end || end == e->d_name || fd < 0 || fd > 0x7fffffff)
			continue;
		kind = qz_kvm_proc__fd(proc, pid, (int)fd, NULL);
		if (kind == KVM_LINK_VM && out->nr_vm_fds < KVM_PROC_MAX_VMS)
			out->vm_fds[out->nr_vm_fds++] = (int)fd;
		else if (kind == KVM_LINK_VCPU)
			out->vcpu_fds++;
	}
	closedir(d);
	qsort(out->vm_fds, (size_t)out->nr_vm_fds, sizeof(int), cmp_int);
	return 0;
}

int qz_kvm_proc__read(const char *proc, int pid, struct kvm_proc_info *out)
{
	int err = qz_kvm_proc__fds(proc, pid, out);

	if (err || !out->nr_vm_fds)
		return err;
	qz_kvm_proc__comm(proc, pid, out->comm, sizeof(out->comm));
	out->start_boot_ns = start_boot_ns(proc, pid);
	qz_kvm_proc__ident(proc, pid, out->comm, &out->ident);
	return 0;
}

int qz_kvm_proc__scan(const char *proc,
		      int (*fn)(const struct kvm_proc_info *info, void *ctx),
		      void *ctx)
{
	struct kvm_proc_info info;
	struct dirent **list;
	int n, found = 0, ret = 0;

	/* Sorted by pid so the records come in a stable order. */
	n = scandir(proc, &list, NULL, versionsort);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (!ret && isdigit((unsigned char)name[0]) &&
		    !qz_kvm_proc__read(proc, atoi(name), &info) && info.nr_vm_fds) {
			found++;
			ret = fn(&info, ctx);
		}
		free(list[i]);
	}
	free(list);
	return ret ? ret : found;
}

int qz_kvm_proc__tgid(const char *proc, int tid)
{
	char path[512], buf[4096], *p;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/status", proc, tid);
	n = read_file(path, buf, sizeof(buf));

	if (n < 0)
		return (int)n;
	p = strstr(buf, "\nTgid:");
	return p ? atoi(p + 6) : -ENOENT;
}

uint64_t qz_kvm_boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
