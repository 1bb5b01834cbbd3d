// SPDX-License-Identifier: MIT
/*
 * dlopen_burn LIB MS: wait a moment (its own mappings are known by then),
 * dlopen LIB, burn MS of CPU time in its lib_burn_loop(), dlclose it and
 * exit: the library is mapped only while it runs, so its frames resolve
 * only from the MMAP2 record, never from a later /proc/PID/maps.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec wait = { 0, 200000000 };
	unsigned long (*burn)(double);
	void *lib;

	if (argc < 3) {
		fprintf(stderr, "usage: dlopen_burn LIB MS\n");
		return 2;
	}
	nanosleep(&wait, NULL);
	lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!lib) {
		fprintf(stderr, "dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	burn = (unsigned long (*)(double))dlsym(lib, "lib_burn_loop");
	if (!burn) {
		fprintf(stderr, "dlsym lib_burn_loop: %s\n", dlerror());
		return 1;
	}
	burn(atof(argv[2]));
	dlclose(lib);
	return 0;
}
