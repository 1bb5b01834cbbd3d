// SPDX-License-Identifier: MIT
/*
 * The VMM command-line parsers under fuzzing: any process can write any
 * bytes into its /proc/PID/cmdline. Each input is parsed as it is, and
 * again as arguments drawn from the parsers' own words (so -name, --id,
 * guest=, path= and ",," are reached) mixed with the input's bytes.
 */
#include <stdint.h>
#include <string.h>
#include "ident.h"

static const char *const words[] = {
	"qemu-system-x86_64", "firecracker", "jailer", "cloud-hypervisor", "crosvm",
	"-name", "--name", "-uuid", "--id", "--id=", "--api-socket", "--socket", "-s",
	"guest=", "path=", "fd=3", ",,", ",", "=", "/var/lib/libvirt/", "/", ".sock",
	"debug-threads=on", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char cmdline[8192];
	struct kvm_ident id;
	size_t n = 0;

	qz_kvm_ident__parse(&id, (const char *)data, size, "comm", 1);
	for (size_t i = 0; i < size && n + 300 < sizeof(cmdline); i++) {
		uint8_t b = data[i];

		if (b < 0x80) {
			const char *w = words[b % (sizeof(words) / sizeof(words[0]))];
			size_t len = strlen(w);

			memcpy(cmdline + n, w, len);
			n += len;
		} else {
			cmdline[n++] = (char)(b & 1 ? 0 : b & 0x7f);
		}
		if (b % 3 == 0)
			cmdline[n++] = 0;
	}
	qz_kvm_ident__parse(&id, cmdline, n, size & 1 ? "" : NULL, 2);
	/* Always terminated, and within the fields. */
	if (strnlen(id.name, sizeof(id.name)) == sizeof(id.name) ||
	    strnlen(id.id, sizeof(id.id)) == sizeof(id.id) ||
	    strnlen(id.vmm, sizeof(id.vmm)) == sizeof(id.vmm) || !id.name[0] || !id.id[0])
		__builtin_trap();
	return 0;
}
