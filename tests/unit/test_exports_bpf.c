// SPDX-License-Identifier: MIT
/*
 * Links every symbol libquazar-bpf exports, from its shared library;
 * check-exports.py compares the list with the library's dynamic symbols.
 */
#include <stdio.h>
#include <string.h>
#include <quazar/bpf.h>

#define SYM(name) { #name, (const void *)(name) }

static const struct {
	const char *name;
	const void *addr;
} symbols[] = {
#include "exports-bpf.inc"
};

int main(int argc, char **argv)
{
	int missing = 0;

	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++) {
		if (!symbols[i].addr) {
			fprintf(stderr, "%s did not link\n", symbols[i].name);
			missing++;
		}
		if (argc > 1 && !strcmp(argv[1], "--list"))
			printf("%s\n", symbols[i].name);
	}
	return missing ? 1 : 0;
}
