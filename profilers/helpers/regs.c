// SPDX-License-Identifier: MIT
/* A sample's x86-64 registers as text or JSON (regs.h). */
#include <inttypes.h>
#include <string.h>
#include <asm/perf_regs.h>
#include "regs.h"

static const struct {
	const char *name;
	int reg;
} order[] = {
	{ "rip", PERF_REG_X86_IP }, { "rsp", PERF_REG_X86_SP }, { "rflags", PERF_REG_X86_FLAGS },
	{ "rax", PERF_REG_X86_AX }, { "rbx", PERF_REG_X86_BX }, { "rcx", PERF_REG_X86_CX },
	{ "rdx", PERF_REG_X86_DX }, { "rsi", PERF_REG_X86_SI }, { "rdi", PERF_REG_X86_DI },
	{ "rbp", PERF_REG_X86_BP }, { "r8", PERF_REG_X86_R8 }, { "r9", PERF_REG_X86_R9 },
	{ "r10", PERF_REG_X86_R10 }, { "r11", PERF_REG_X86_R11 }, { "r12", PERF_REG_X86_R12 },
	{ "r13", PERF_REG_X86_R13 }, { "r14", PERF_REG_X86_R14 }, { "r15", PERF_REG_X86_R15 },
	{ "cs", PERF_REG_X86_CS }, { "ss", PERF_REG_X86_SS },
};

int qz_regs__by_name(const char *name)
{
	static const struct {
		const char *name;
		int reg;
	} alias[] = {
		{ "$retval", PERF_REG_X86_AX }, { "$arg1", PERF_REG_X86_DI },
		{ "$arg2", PERF_REG_X86_SI }, { "$arg3", PERF_REG_X86_DX },
		{ "$arg4", PERF_REG_X86_CX }, { "$arg5", PERF_REG_X86_R8 },
		{ "$arg6", PERF_REG_X86_R9 },
	};

	for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
		if (!strcmp(name, alias[i].name))
			return alias[i].reg;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (!strcmp(name, order[i].name))
			return order[i].reg;
	return -1;
}

uint64_t qz_regs__mask(void)
{
	uint64_t mask = 0;

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		mask |= 1ull << order[i].reg;
	return mask;
}

uint64_t qz_regs__get(const struct qz_sample *smp, uint64_t mask, int reg)
{
	uint32_t i;

	if (!smp->regs_user.abi || reg < 0 || reg >= 64 || !(mask & (1ull << reg)))
		return 0;
	i = (uint32_t)__builtin_popcountll(mask & ((1ull << reg) - 1));
	return i < smp->regs_user.nr ? smp->regs_user.regs[i] : 0;
}

void qz_regs__text(const struct qz_sample *smp, uint64_t mask, FILE *f)
{
	if (!smp->regs_user.abi)
		return;
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		const char *sep = i % 3 == 2 || i + 1 == sizeof(order) / sizeof(order[0]) ?
					  "\n" : " ";

		if (i % 3 == 0)
			fputs("     ", f);
		fprintf(f, " %3s: %016" PRIx64 "%s", order[i].name,
			qz_regs__get(smp, mask, order[i].reg), sep);
	}
}

void qz_regs__json(const struct qz_sample *smp, uint64_t mask, struct qz_json *j)
{
	if (!smp->regs_user.abi)
		return;
	qz_json__key(j, "regs");
	qz_json__begin_object(j);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		qz_json__key_u64(j, order[i].name, qz_regs__get(smp, mask, order[i].reg));
	qz_json__end_object(j);
}
