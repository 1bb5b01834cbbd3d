// SPDX-License-Identifier: MIT
/*
 * usdt_prog N: USDT probes written by hand, as sys/sdt.h writes them (a
 * nop, and a .note.stapsdt note naming it, its arguments' sizes and
 * operands), fired N times each:
 *   qzt:tick     (int i in a register, long counter in memory (%rip), 7)
 *   qzt:stack    (long i*3 in a stack slot)
 *   qzt:guarded  (long i), only while its semaphore is raised, as
 *                code under PROBE_ENABLED() does
 */
#include <stdlib.h>

#define QZ_SDT(provider, name, sem, args, ...)                                  \
	__asm__ __volatile__("990: nop\n"                                       \
			     ".pushsection .note.stapsdt,\"?\",\"note\"\n"      \
			     ".balign 4\n"                                      \
			     ".4byte 992f-991f, 994f-993f, 3\n"                 \
			     "991: .asciz \"stapsdt\"\n"                        \
			     "992: .balign 4\n"                                 \
			     "993: .8byte 990b\n"                               \
			     ".8byte _.stapsdt.base\n"                          \
			     ".8byte " sem "\n"                                 \
			     ".asciz \"" #provider "\"\n"                       \
			     ".asciz \"" #name "\"\n"                           \
			     ".asciz \"" args "\"\n"                            \
			     "994: .balign 4\n"                                 \
			     ".popsection\n"                                    \
			     ".ifndef _.stapsdt.base\n"                         \
			     ".pushsection .stapsdt.base,\"aG\",\"progbits\",.stapsdt.base,comdat\n" \
			     ".weak _.stapsdt.base\n"                           \
			     ".hidden _.stapsdt.base\n"                         \
			     "_.stapsdt.base: .space 1\n"                       \
			     ".size _.stapsdt.base, 1\n"                        \
			     ".popsection\n"                                    \
			     ".endif\n"                                         \
			     : : __VA_ARGS__)

long qz_usdt_counter;
__attribute__((section(".probes"))) volatile unsigned short qzt_guarded_semaphore;

__attribute__((noinline)) static void fire(int i)
{
	volatile long local = (long)i * 3;

	qz_usdt_counter = (long)i * 10;
	QZ_SDT(qzt, tick, "0", "-4@%[a] 8@%[b] -4@%[c]", [a] "r"(i), [b] "m"(qz_usdt_counter),
	       [c] "n"(7));
	QZ_SDT(qzt, stack, "0", "-8@%[d]", [d] "m"(local));
	if (qzt_guarded_semaphore)
		QZ_SDT(qzt, guarded, "qzt_guarded_semaphore", "8@%[e]", [e] "r"((long)i));
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 10;

	for (int i = 0; i < n; i++)
		fire(i);
	return 0;
}
