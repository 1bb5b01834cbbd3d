// SPDX-License-Identifier: MIT
/*
 * Runs a fuzz target without libFuzzer (gcc builds): a fixed number of
 * pseudo-random inputs from a fixed seed, so a failure reproduces.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int main(int argc, char **argv)
{
	long runs = argc > 1 ? strtol(argv[1], NULL, 10) : 20000;
	static uint8_t buf[16384];
	uint64_t x = 0x9e3779b97f4a7c15ull;

	for (long r = 0; r < runs; r++) {
		size_t size = (size_t)(x % sizeof(buf));

		for (size_t i = 0; i < size; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = (uint8_t)x;
		}
		LLVMFuzzerTestOneInput(buf, size);
	}
	printf("%ld inputs\n", runs);
	return 0;
}
