// SPDX-License-Identifier: MIT
/*
 * Links every exported symbol from the shared library: libquazar's, or
 * with QZ_EXPORTS_BPF libquazar-bpf's. check-exports.py compares this
 * table with the library's dynamic symbols, so an export added without a
 * line here fails the test.
 */
#include <stdio.h>
#include <string.h>
#ifdef QZ_EXPORTS_BPF
#include <quazar/bpf.h>
#define EXPORTS "exports-bpf.inc"
#else
#include <quazar/quazar.h>
#define EXPORTS "exports.inc"
#endif

#define SYM(name) { #name, (const void *)(name) }

static const struct {
	const char *name;
	const void *addr;
} symbols[] = {
#include EXPORTS
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
