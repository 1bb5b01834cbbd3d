// SPDX-License-Identifier: MIT
/*
 * VMM command lines. The VMM is known by its program's name; a program we
 * do not know is tried with every parser, so a VMM that speaks QEMU's
 * -name (the tests' tiny_vm does) still gets its name.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "ident.h"

#define MAX_ARGS 1024

/* Copy src, cut to fit: names longer than the fields are cut, not lost. */
static void set(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = 0;
}

#define SET(dst, src) set(dst, sizeof(dst), src, strlen(src))

struct args {
	const char *v[MAX_ARGS];
	int n;
};

static void split(struct args *a, const char *cmdline, size_t len)
{
	size_t i = 0;

	a->n = 0;
	while (cmdline && i < len && a->n < MAX_ARGS) {
		const char *end = memchr(cmdline + i, 0, len - i);

		if (!end)	/* an unterminated last argument is not trusted */
			break;
		a->v[a->n++] = cmdline + i;
		i = (size_t)(end - cmdline) + 1;
	}
}

/*
 * The value of option opt ("-name", "--id"): the next argument, or what
 * follows '=' in "--id=VALUE". NULL when absent; the last one wins, as
 * the VMMs' own parsers do.
 */
static const char *option(const struct args *a, const char *opt)
{
	size_t n = strlen(opt);
	const char *val = NULL;

	for (int i = 1; i < a->n; i++) {
		if (!strcmp(a->v[i], opt) && i + 1 < a->n)
			val = a->v[++i];
		else if (!strncmp(a->v[i], opt, n) && a->v[i][n] == '=')
			val = a->v[i] + n + 1;
	}
	return val;
}

/* QEMU takes both -opt and --opt. */
static const char *qemu_option(const struct args *a, const char *name)
{
	char dashed[32];
	const char *v;

	snprintf(dashed, sizeof(dashed), "-%s", name);
	v = option(a, dashed);
	if (v)
		return v;
	snprintf(dashed, sizeof(dashed), "--%s", name);
	return option(a, dashed);
}

/*
 * The guest name of a QEMU -name value: "guest=NAME,debug-threads=on" or
 * "NAME,process=..." (the implied first key is guest). ",," is a comma.
 */
static bool qemu_name(const char *val, char *out, size_t len)
{
	bool first = true;

	while (*val) {
		char item[256];
		size_t n = 0;

		while (*val && !(val[0] == ',' && val[1] != ',')) {
			if (val[0] == ',')	/* ",," */
				val++;
			if (n + 1 < sizeof(item))
				item[n++] = *val;
			val++;
		}
		item[n] = 0;
		if (*val == ',')
			val++;
		if (!strncmp(item, "guest=", 6)) {
			set(out, len, item + 6, n - 6);
			return out[0];
		}
		if (first && !strchr(item, '=')) {
			set(out, len, item, n);
			return out[0];
		}
		first = false;
	}
	return false;
}

static bool has_libvirt_path(const struct args *a)
{
	for (int i = 1; i < a->n; i++)
		if (strstr(a->v[i], "/libvirt/"))
			return true;
	return false;
}

static bool parse_qemu(struct kvm_ident *id, const struct args *a)
{
	const char *name = qemu_option(a, "name");
	const char *uuid = qemu_option(a, "uuid");

	if (!name || !qemu_name(name, id->name, sizeof(id->name)))
		return false;
	if (uuid)
		SET(id->id, uuid);
	/* libvirt names the guest and keeps its sockets under .../libvirt/. */
	SET(id->vmm, !strncmp(name, "guest=", 6) && has_libvirt_path(a) ? "libvirt" : "qemu");
	return true;
}

static bool parse_firecracker(struct kvm_ident *id, const struct args *a)
{
	const char *vmid = option(a, "--id");

	if (!vmid || !vmid[0])
		return false;
	SET(id->name, vmid);
	SET(id->id, vmid);
	SET(id->vmm, "firecracker");
	return true;
}

/* A control socket names the VM: its file name without the extension. */
static bool from_socket(struct kvm_ident *id, const char *path, const char *vmm)
{
	const char *base, *dot;
	size_t n;

	if (!path || !path[0])
		return false;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
	if (!n)
		return false;
	set(id->name, sizeof(id->name), base, n);
	SET(id->id, path);
	SET(id->vmm, vmm);
	return true;
}

static bool parse_cloud_hypervisor(struct kvm_ident *id, const struct args *a)
{
	const char *v = option(a, "--api-socket");
	char path[KVM_ID_LEN];

	if (!v)
		return false;
	/* "path=/run/ch.sock" or the bare path; "fd=N" names nothing. */
	if (!strncmp(v, "path=", 5)) {
		set(path, sizeof(path), v + 5, strcspn(v + 5, ","));
		return from_socket(id, path, "cloud-hypervisor");
	}
	if (strchr(v, '='))
		return false;
	return from_socket(id, v, "cloud-hypervisor");
}

static bool parse_crosvm(struct kvm_ident *id, const struct args *a)
{
	const char *v = option(a, "--socket");

	return from_socket(id, v ? v : option(a, "-s"), "crosvm");
}

void qz_kvm_ident__parse(struct kvm_ident *id, const char *cmdline, size_t len,
			 const char *comm, int pid)
{
	static struct {
		const char *prog;	/* program name prefix */
		bool (*parse)(struct kvm_ident *, const struct args *);
	} vmms[] = {
		{ "qemu", parse_qemu },
		{ "firecracker", parse_firecracker },
		{ "jailer", parse_firecracker },
		{ "cloud-hypervisor", parse_cloud_hypervisor },
		{ "crosvm", parse_crosvm },
	};
	struct args a;
	const char *base;
	bool done = false;

	memset(id, 0, sizeof(*id));
	split(&a, cmdline, len);
	base = a.n ? strrchr(a.v[0], '/') : NULL;
	base = base ? base + 1 : a.n ? a.v[0] : "";
	for (size_t i = 0; i < sizeof(vmms) / sizeof(vmms[0]) && !done; i++)
		if (!strncmp(base, vmms[i].prog, strlen(vmms[i].prog)))
			done = vmms[i].parse(id, &a);
	/* Unknown program: whichever convention it follows. */
	for (size_t i = 0; i < sizeof(vmms) / sizeof(vmms[0]) && !done && a.n; i++) {
		memset(id, 0, sizeof(*id));
		done = vmms[i].parse(id, &a);
	}
	if (!done)
		memset(id, 0, sizeof(*id));
	if (!id->name[0])
		SET(id->name, comm && comm[0] ? comm : "?");
	if (!id->id[0])
		snprintf(id->id, sizeof(id->id), "%d", pid);
}
