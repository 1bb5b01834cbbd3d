// SPDX-License-Identifier: MIT
/*
 * Exit reason names. VMX: the basic exit reasons of the Intel SDM (vol. 3,
 * appendix C), named as Linux's asm/vmx.h. SVM: the exit codes of the AMD
 * APM (vol. 2, appendix C), named as Linux's SVM_EXIT_* without the prefix.
 * User space: KVM_EXIT_* without the prefix.
 */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <quazar/common.h>
#include <quazar/tp.h>
#include "exit_reason.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define VMX_FAILED_VMENTRY 0x80000000u

static const char *const vmx_names[] = {
	[0] = "EXCEPTION_NMI",		[1] = "EXTERNAL_INTERRUPT",
	[2] = "TRIPLE_FAULT",		[3] = "INIT_SIGNAL",
	[4] = "SIPI_SIGNAL",		[5] = "IO_SMI",
	[6] = "OTHER_SMI",		[7] = "INTERRUPT_WINDOW",
	[8] = "NMI_WINDOW",		[9] = "TASK_SWITCH",
	[10] = "CPUID",			[11] = "GETSEC",
	[12] = "HLT",			[13] = "INVD",
	[14] = "INVLPG",		[15] = "RDPMC",
	[16] = "RDTSC",			[17] = "RSM",
	[18] = "VMCALL",		[19] = "VMCLEAR",
	[20] = "VMLAUNCH",		[21] = "VMPTRLD",
	[22] = "VMPTRST",		[23] = "VMREAD",
	[24] = "VMRESUME",		[25] = "VMWRITE",
	[26] = "VMOFF",			[27] = "VMON",
	[28] = "CR_ACCESS",		[29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION",	[31] = "MSR_READ",
	[32] = "MSR_WRITE",		[33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL",		[36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG",	[39] = "MONITOR_INSTRUCTION",
	[40] = "PAUSE_INSTRUCTION",	[41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD",	[44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED",		[46] = "GDTR_IDTR",
	[47] = "LDTR_TR",		[48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG",		[50] = "INVEPT",
	[51] = "RDTSCP",		[52] = "PREEMPTION_TIMER",
	[53] = "INVVPID",		[54] = "WBINVD",
	[55] = "XSETBV",		[56] = "APIC_WRITE",
	[57] = "RDRAND",		[58] = "INVPCID",
	[59] = "VMFUNC",		[60] = "ENCLS",
	[61] = "RDSEED",		[62] = "PML_FULL",
	[63] = "XSAVES",		[64] = "XRSTORS",
	[65] = "SPP",			[67] = "UMWAIT",
	[68] = "TPAUSE",		[69] = "LOADIWKEY",
	[70] = "ENCLV",			[72] = "ENQCMD_PASID_FAIL",
	[73] = "ENQCMDS_PASID_FAIL",	[74] = "BUS_LOCK",
	[75] = "NOTIFY",		[76] = "SEAMCALL",
	[77] = "TDCALL",		[78] = "RDMSRLIST",
	[79] = "WRMSRLIST",		[84] = "MSR_READ_IMM",
	[85] = "MSR_WRITE_IMM",
};

struct code_name {
	uint32_t code;
	const char *name;
};

/* SVM codes past the CR, DR and exception ranges, in order. */
static const struct code_name svm_names[] = {
	{ 0x060, "INTR" },		{ 0x061, "NMI" },
	{ 0x062, "SMI" },		{ 0x063, "INIT" },
	{ 0x064, "VINTR" },		{ 0x065, "CR0_SEL_WRITE" },
	{ 0x066, "IDTR_READ" },		{ 0x067, "GDTR_READ" },
	{ 0x068, "LDTR_READ" },		{ 0x069, "TR_READ" },
	{ 0x06a, "IDTR_WRITE" },	{ 0x06b, "GDTR_WRITE" },
	{ 0x06c, "LDTR_WRITE" },	{ 0x06d, "TR_WRITE" },
	{ 0x06e, "RDTSC" },		{ 0x06f, "RDPMC" },
	{ 0x070, "PUSHF" },		{ 0x071, "POPF" },
	{ 0x072, "CPUID" },		{ 0x073, "RSM" },
	{ 0x074, "IRET" },		{ 0x075, "SWINT" },
	{ 0x076, "INVD" },		{ 0x077, "PAUSE" },
	{ 0x078, "HLT" },		{ 0x079, "INVLPG" },
	{ 0x07a, "INVLPGA" },		{ 0x07b, "IOIO" },
	{ 0x07c, "MSR" },		{ 0x07d, "TASK_SWITCH" },
	{ 0x07e, "FERR_FREEZE" },	{ 0x07f, "SHUTDOWN" },
	{ 0x080, "VMRUN" },		{ 0x081, "VMMCALL" },
	{ 0x082, "VMLOAD" },		{ 0x083, "VMSAVE" },
	{ 0x084, "STGI" },		{ 0x085, "CLGI" },
	{ 0x086, "SKINIT" },		{ 0x087, "RDTSCP" },
	{ 0x088, "ICEBP" },		{ 0x089, "WBINVD" },
	{ 0x08a, "MONITOR" },		{ 0x08b, "MWAIT" },
	{ 0x08c, "MWAIT_COND" },	{ 0x08d, "XSETBV" },
	{ 0x08e, "RDPRU" },		{ 0x08f, "EFER_WRITE_TRAP" },
	{ 0x0a0, "INVLPGB" },		{ 0x0a1, "INVLPGB_ILLEGAL" },
	{ 0x0a2, "INVPCID" },		{ 0x0a3, "MCOMMIT" },
	{ 0x0a4, "TLBSYNC" },		{ 0x0a5, "BUS_LOCK" },
	{ 0x0a6, "IDLE_HLT" },		{ 0x400, "NPF" },
	{ 0x401, "AVIC_INCOMPLETE_IPI" },
	{ 0x402, "AVIC_UNACCELERATED_ACCESS" },
	{ 0x403, "VMGEXIT" },
	{ 0x80000001, "VMGEXIT_MMIO_READ" },
	{ 0x80000002, "VMGEXIT_MMIO_WRITE" },
	{ 0x80000003, "VMGEXIT_NMI_COMPLETE" },
	{ 0x80000004, "VMGEXIT_AP_HLT_LOOP" },
	{ 0x80000005, "VMGEXIT_AP_JUMP_TABLE" },
	{ 0x80000010, "VMGEXIT_PSC" },
	{ 0x80000011, "VMGEXIT_GUEST_REQUEST" },
	{ 0x80000012, "VMGEXIT_EXT_GUEST_REQUEST" },
	{ 0x80000013, "VMGEXIT_AP_CREATION" },
	{ 0x8000fffd, "VMGEXIT_HV_FEATURES" },
	{ 0xffffffff, "ERR" },
};

/* Exception vectors as SVM_EXIT_EXCP_BASE + vector names them. */
static const char *const excp_names[32] = {
	[0] = "DE", [1] = "DB", [2] = "NMI", [3] = "BP", [4] = "OF",
	[5] = "BR", [6] = "UD", [7] = "NM", [8] = "DF", [10] = "TS",
	[11] = "NP", [12] = "SS", [13] = "GP", [14] = "PF", [16] = "MF",
	[17] = "AC", [18] = "MC", [19] = "XF", [20] = "VE", [21] = "CP",
	[28] = "HV", [29] = "VC", [30] = "SX",
};

static const char *const user_names[] = {
	"UNKNOWN", "EXCEPTION", "IO", "HYPERCALL", "DEBUG", "HLT", "MMIO",
	"IRQ_WINDOW_OPEN", "SHUTDOWN", "FAIL_ENTRY", "INTR", "SET_TPR",
	"TPR_ACCESS", "S390_SIEIC", "S390_RESET", "DCR", "NMI",
	"INTERNAL_ERROR", "OSI", "PAPR_HCALL", "S390_UCONTROL", "WATCHDOG",
	"S390_TSCH", "EPR", "SYSTEM_EVENT", "S390_STSI", "IOAPIC_EOI",
	"HYPERV", "ARM_NISV", "X86_RDMSR", "X86_WRMSR", "DIRTY_RING_FULL",
	"AP_RESET_HOLD", "X86_BUS_LOCK", "XEN", "RISCV_SBI", "RISCV_CSR",
	"NOTIFY", "LOONGARCH_IOCSR", "MEMORY_FAULT", "TDX",
};

const char *qz_kvm_isa__name(int isa)
{
	switch (isa) {
	case KVM_ISA_VMX:
		return "vmx";
	case KVM_ISA_SVM:
		return "svm";
	case KVM_ISA_USER:
		return "user";
	}
	return "unknown";
}

static const char *svm_name(uint32_t code, char *buf, size_t len)
{
	size_t lo = 0, hi = ARRAY_SIZE(svm_names);

	if (code < 0x010)
		snprintf(buf, len, "READ_CR%u", code);
	else if (code < 0x020)
		snprintf(buf, len, "WRITE_CR%u", code - 0x010);
	else if (code < 0x030)
		snprintf(buf, len, "READ_DR%u", code - 0x020);
	else if (code < 0x040)
		snprintf(buf, len, "WRITE_DR%u", code - 0x030);
	else if (code < 0x060 && excp_names[code - 0x040])
		snprintf(buf, len, "EXCP_%s", excp_names[code - 0x040]);
	else if (code < 0x060)
		snprintf(buf, len, "EXCP_%u", code - 0x040);
	else if (code >= 0x090 && code < 0x0a0)
		snprintf(buf, len, "CR%u_WRITE_TRAP", code - 0x090);
	else
		buf[0] = 0;
	if (buf[0])
		return buf;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (svm_names[mid].code == code) {
			snprintf(buf, len, "%s", svm_names[mid].name);
			return buf;
		}
		if (svm_names[mid].code < code)
			lo = mid + 1;
		else
			hi = mid;
	}
	snprintf(buf, len, "SVM_0x%x", code);
	return buf;
}

static const char *vmx_name(uint32_t code, char *buf, size_t len)
{
	uint32_t basic = code & 0xffff;
	const char *name = basic < ARRAY_SIZE(vmx_names) ? vmx_names[basic] : NULL;
	const char *failed = code & VMX_FAILED_VMENTRY ? "FAILED_VMENTRY_" : "";

	if (name)
		snprintf(buf, len, "%s%s", failed, name);
	else
		snprintf(buf, len, "%sVMX_%u", failed, basic);
	return buf;
}

static const char *user_name(uint32_t code, char *buf, size_t len)
{
	if (code == (KVM_USER_ERRNO | EINTR))
		snprintf(buf, len, "EINTR");
	else if (code & KVM_USER_ERRNO)
		snprintf(buf, len, "ERRNO_%u", code & ~KVM_USER_ERRNO);
	else if (code < ARRAY_SIZE(user_names))
		snprintf(buf, len, "%s", user_names[code]);
	else
		snprintf(buf, len, "EXIT_%u", code);
	return buf;
}

const char *qz_kvm_exit__name(int isa, uint32_t code, char *buf, size_t len)
{
	switch (isa) {
	case KVM_ISA_VMX:
		return vmx_name(code, buf, len);
	case KVM_ISA_SVM:
		return svm_name(code, buf, len);
	case KVM_ISA_USER:
		return user_name(code, buf, len);
	}
	snprintf(buf, len, "0x%x", code);
	return buf;
}

uint32_t qz_kvm_exit__key(int isa, uint32_t reason)
{
	/* VMX bits 16-30 are flags of this one exit, not its reason. */
	if (isa == KVM_ISA_VMX)
		return reason & (0xffffu | VMX_FAILED_VMENTRY);
	return reason;
}

uint32_t qz_kvm_user_exit__key(uint32_t reason, int32_t err)
{
	if (err < 0)
		return KVM_USER_ERRNO | ((uint32_t)-(int64_t)err & 0xffff);
	return reason;
}

int qz_kvm_exit_fields__init(struct kvm_exit_fields *f,
			     const struct qz_tp_event *ev, int host_isa)
{
	memset(f, 0, sizeof(*f));
	f->host_isa = host_isa;
	if (!ev || !(f->reason = qz_tp_event__field(ev, "exit_reason")))
		return -QZ_ERR_UNKNOWN_FIELD;
	f->isa = qz_tp_event__field(ev, "isa");
	f->rip = qz_tp_event__field(ev, "guest_rip");
	f->vcpu = qz_tp_event__field(ev, "vcpu_id");
	return 0;
}

void qz_kvm_exit__decode(const struct kvm_exit_fields *f, const void *raw,
			 size_t size, struct kvm_exit_info *out)
{
	uint32_t reason = (uint32_t)qz_tp_field__u64(f->reason, raw, size);

	out->isa = f->isa ? (int)qz_tp_field__u64(f->isa, raw, size) : f->host_isa;
	if (out->isa != KVM_ISA_VMX && out->isa != KVM_ISA_SVM)
		out->isa = KVM_ISA_UNKNOWN;
	out->code = qz_kvm_exit__key(out->isa, reason);
	out->rip = f->rip ? qz_tp_field__u64(f->rip, raw, size) : 0;
	out->vcpu = f->vcpu ? (uint32_t)qz_tp_field__u64(f->vcpu, raw, size) : 0;
}

int qz_kvm_host_isa(const char *cpuinfo)
{
	FILE *f = fopen(cpuinfo, "r");
	char line[256];
	int isa = KVM_ISA_UNKNOWN;

	if (!f)
		return isa;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "vendor_id", 9))
			continue;
		if (strstr(line, "GenuineIntel") || strstr(line, "CentaurHauls") ||
		    strstr(line, "  Shanghai  "))
			isa = KVM_ISA_VMX;
		else if (strstr(line, "AuthenticAMD") || strstr(line, "HygonGenuine"))
			isa = KVM_ISA_SVM;
		break;
	}
	fclose(f);
	return isa;
}

const char *qz_kvm_vendor_module(const char *sys_module, char *buf, size_t len)
{
	DIR *d = opendir(sys_module);
	struct dirent *e;

	buf[0] = 0;
	if (!d)
		return buf;
	while ((e = readdir(d))) {
		bool known = !strcmp(e->d_name, "kvm_intel") || !strcmp(e->d_name, "kvm_amd");

		if (strncmp(e->d_name, "kvm_", 4))
			continue;
		/* The hardware ones win over helpers such as kvm_pvm. */
		if (known || !buf[0])
			snprintf(buf, len, "%s", e->d_name);
		if (known)
			break;
	}
	closedir(d);
	return buf;
}
