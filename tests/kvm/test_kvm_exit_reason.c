// SPDX-License-Identifier: MIT
/*
 * Exit reasons without KVM: kvm:kvm_exit records built at the offsets of
 * the kernel's own format (formats.h), decoded for VMX and SVM; every code
 * the kernel's print fmt names has a name here; the user-space reasons;
 * the vendor fallback for a format without isa; host ISA and KVM module
 * from fake cpuinfo and /sys/module trees.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <quazar/tp.h>
#include "exit_reason.h"
#include "../test.h"
#include "formats.h"

static struct qz_tp *tp;
static struct qz_tp_event *kvm_exit, *no_isa;

/* A kvm_exit raw sample: 72 bytes of fields plus the kernel's 4 of padding. */
static size_t rec_exit(unsigned char *rec, int id, uint32_t reason, uint64_t rip,
		       uint32_t isa, uint32_t vcpu)
{
	memset(rec, 0, 76);
	memcpy(rec, &(uint16_t){ (uint16_t)id }, 2);
	memcpy(rec + 4, &(int32_t){ 4242 }, 4);
	memcpy(rec + 8, &reason, 4);
	memcpy(rec + 16, &rip, 8);
	memcpy(rec + 24, &isa, 4);
	memcpy(rec + 56, &vcpu, 4);
	return 76;
}

static const char *name(int isa, uint32_t code)
{
	static char buf[KVM_REASON_NAME_LEN];

	return qz_kvm_exit__name(isa, code, buf, sizeof(buf));
}

static void decode(int isa, uint32_t reason, const char *want, uint32_t want_code)
{
	unsigned char rec[76];
	struct kvm_exit_fields f;
	struct kvm_exit_info x;

	CHECK_EQ(qz_kvm_exit_fields__init(&f, kvm_exit, KVM_ISA_UNKNOWN), 0);
	qz_kvm_exit__decode(&f, rec, rec_exit(rec, 103, reason, 0xfff0, (uint32_t)isa, 1), &x);
	CHECK_EQ(x.isa, isa);
	CHECK_EQ(x.code, want_code);
	CHECK_EQ(x.rip, 0xfff0);
	CHECK_EQ(x.vcpu, 1);
	CHECK_STR(name(x.isa, x.code), want);
}

static void test_vmx(void)
{
	decode(KVM_ISA_VMX, 12, "HLT", 12);
	decode(KVM_ISA_VMX, 30, "IO_INSTRUCTION", 30);
	decode(KVM_ISA_VMX, 48, "EPT_VIOLATION", 48);
	decode(KVM_ISA_VMX, 31, "MSR_READ", 31);
	decode(KVM_ISA_VMX, 32, "MSR_WRITE", 32);
	decode(KVM_ISA_VMX, 1, "EXTERNAL_INTERRUPT", 1);
	/* Bit 31: the VM entry failed; a name of its own. */
	decode(KVM_ISA_VMX, 0x80000021, "FAILED_VMENTRY_INVALID_STATE", 0x80000021);
	/* Bits 16-30 flag this exit (enclave mode...): the same reason. */
	decode(KVM_ISA_VMX, 0x0800001e, "IO_INSTRUCTION", 30);
	decode(KVM_ISA_VMX, 99, "VMX_99", 99);
}

static void test_svm(void)
{
	decode(KVM_ISA_SVM, 0x078, "HLT", 0x078);
	decode(KVM_ISA_SVM, 0x07b, "IOIO", 0x07b);
	decode(KVM_ISA_SVM, 0x400, "NPF", 0x400);
	decode(KVM_ISA_SVM, 0x07c, "MSR", 0x07c);
	decode(KVM_ISA_SVM, 0x060, "INTR", 0x060);
	decode(KVM_ISA_SVM, 0x04e, "EXCP_PF", 0x04e);
	decode(KVM_ISA_SVM, 0x013, "WRITE_CR3", 0x013);
	decode(KVM_ISA_SVM, 0x093, "CR3_WRITE_TRAP", 0x093);
	decode(KVM_ISA_SVM, 0x0a6, "IDLE_HLT", 0x0a6);
	decode(KVM_ISA_SVM, 0x80000010, "VMGEXIT_PSC", 0x80000010);
	decode(KVM_ISA_SVM, 0xffffffff, "ERR", 0xffffffff);
	decode(KVM_ISA_SVM, 0x4ff, "SVM_0x4ff", 0x4ff);
}

/*
 * Every code the kernel's print fmt lists, for both ISAs, has a name of
 * ours: the VMX ones the kernel's own, the SVM ones by their SVM_EXIT_*.
 */
static void test_kernel_lists(void)
{
	const char *vmx = strstr(KVM_EXIT_FMT, "__print_symbolic(REC->exit_reason & 0xffff");
	const char *svm = strstr(KVM_EXIT_FMT, "__print_symbolic(REC->exit_reason,");
	const char *end = strstr(KVM_EXIT_FMT, "\"invalid_guest_state\"");
	int n_vmx = 0, n_svm = 0;

	CHECK(vmx && svm && end);
	if (!vmx || !svm || !end)
		return;
	for (const char *p = vmx; (p = strstr(p, "{ ")) && p < svm; p++) {
		unsigned code;
		char kname[64];

		if (sscanf(p, "{ %u, \"%63[^\"]\" }", &code, kname) != 2)
			continue;
		n_vmx++;
		if (strcmp(name(KVM_ISA_VMX, code), kname)) {
			fprintf(stderr, "VMX %u: kernel %s, ours %s\n", code, kname,
				name(KVM_ISA_VMX, code));
			test_failures++;
		}
	}
	for (const char *p = svm; (p = strstr(p, "{ ")) && p < end; p++) {
		unsigned long code, add = 0;
		char *q;

		code = strtoul(p + 2, &q, 0);
		if (q == p + 2)
			continue;
		if (!strncmp(q, " + ", 3))
			add = strtoul(q + 3, NULL, 0);
		n_svm++;
		if (!strncmp(name(KVM_ISA_SVM, (uint32_t)(code + add)), "SVM_0x", 6)) {
			fprintf(stderr, "SVM 0x%lx has no name\n", code + add);
			test_failures++;
		}
	}
	CHECK(n_vmx > 60);
	CHECK(n_svm > 100);
}

static void test_user(void)
{
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(2, 0)), "IO");
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(5, 0)), "HLT");
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(6, 0)), "MMIO");
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(24, 0)), "SYSTEM_EVENT");
	/* KVM_RUN interrupted by a signal, whatever exit_reason holds. */
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(10, -4)), "EINTR");
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(0, -14)), "ERRNO_14");
	CHECK_STR(name(KVM_ISA_USER, qz_kvm_user_exit__key(999, 0)), "EXIT_999");
	CHECK_STR(qz_kvm_isa__name(KVM_ISA_VMX), "vmx");
	CHECK_STR(qz_kvm_isa__name(KVM_ISA_SVM), "svm");
	CHECK_STR(qz_kvm_isa__name(KVM_ISA_USER), "user");
	CHECK_STR(qz_kvm_isa__name(7), "unknown");
}

/* A truncated record reads what fits and nothing past it. */
static void test_short(void)
{
	unsigned char rec[76];
	struct kvm_exit_fields f;
	struct kvm_exit_info x;

	rec_exit(rec, 103, 0x78, 0x1234, KVM_ISA_SVM, 3);
	qz_kvm_exit_fields__init(&f, kvm_exit, KVM_ISA_VMX);
	qz_kvm_exit__decode(&f, rec, 20, &x);
	CHECK_EQ(x.code, 0x78);
	CHECK_EQ(x.isa, KVM_ISA_UNKNOWN);	/* isa lies past byte 20 */
	CHECK_EQ(x.rip, 0);
	CHECK_EQ(x.vcpu, 0);
	qz_kvm_exit__decode(&f, rec, 0, &x);
	CHECK_EQ(x.code, 0);
	/* An isa the kernel may add later is not taken for VMX or SVM. */
	rec_exit(rec, 103, 12, 0, 9, 0);
	qz_kvm_exit__decode(&f, rec, 76, &x);
	CHECK_EQ(x.isa, KVM_ISA_UNKNOWN);
	CHECK_STR(name(x.isa, x.code), "0xc");
}

/* No isa field: the host CPU's vendor decides. */
static void test_no_isa(void)
{
	unsigned char rec[76];
	struct kvm_exit_fields f;
	struct kvm_exit_info x;

	CHECK_EQ(qz_kvm_exit_fields__init(&f, no_isa, KVM_ISA_SVM), 0);
	CHECK(!f.isa);
	memset(rec, 0, sizeof(rec));
	memcpy(rec, &(uint16_t){ 9100 }, 2);
	memcpy(rec + 8, &(uint32_t){ 0x7b }, 4);
	qz_kvm_exit__decode(&f, rec, 72, &x);
	CHECK_EQ(x.isa, KVM_ISA_SVM);
	CHECK_STR(name(x.isa, x.code), "IOIO");
	CHECK_EQ(qz_kvm_exit_fields__init(&f, NULL, KVM_ISA_SVM), -QZ_ERR_UNKNOWN_FIELD);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CHECK(f);
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void test_host(void)
{
	char dir[] = "/tmp/qz-kvm-host-XXXXXX", path[256], mod[64];

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cpuinfo", dir);
	write_file(path, "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n");
	CHECK_EQ(qz_kvm_host_isa(path), KVM_ISA_VMX);
	write_file(path, "processor\t: 0\nvendor_id\t: AuthenticAMD\n");
	CHECK_EQ(qz_kvm_host_isa(path), KVM_ISA_SVM);
	write_file(path, "processor\t: 0\nvendor_id\t: HygonGenuine\n");
	CHECK_EQ(qz_kvm_host_isa(path), KVM_ISA_SVM);
	write_file(path, "processor\t: 0\n");
	CHECK_EQ(qz_kvm_host_isa(path), KVM_ISA_UNKNOWN);
	CHECK_EQ(qz_kvm_host_isa("/nonexistent/cpuinfo"), KVM_ISA_UNKNOWN);
	unlink(path);

	snprintf(path, sizeof(path), "%s/module", dir);
	mkdir(path, 0755);
	CHECK_STR(qz_kvm_vendor_module(path, mod, sizeof(mod)), "");
	snprintf(path, sizeof(path), "%s/module/kvm", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/module/kvm_pvm", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/module", dir);
	CHECK_STR(qz_kvm_vendor_module(path, mod, sizeof(mod)), "kvm_pvm");
	snprintf(path, sizeof(path), "%s/module/kvm_amd", dir);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/module", dir);
	CHECK_STR(qz_kvm_vendor_module(path, mod, sizeof(mod)), "kvm_amd");
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	CHECK_EQ(system(path), 0);
}

int main(void)
{
	QZ_OPTS(qz_tp_opts, o, .offline = true);

	tp = qz_tp__new(&o);
	if (!tp || qz_tp__add_format(tp, "kvm", KVM_EXIT_FMT, &kvm_exit) ||
	    qz_tp__add_format(tp, "kvm", KVM_EXIT_NO_ISA_FMT, &no_isa)) {
		fprintf(stderr, "cannot load the embedded kvm formats\n");
		return 1;
	}
	RUN(test_vmx);
	RUN(test_svm);
	RUN(test_kernel_lists);
	RUN(test_user);
	RUN(test_short);
	RUN(test_no_isa);
	RUN(test_host);
	qz_tp__free(tp);
	return test_result();
}
