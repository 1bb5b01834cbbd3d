// SPDX-License-Identifier: MIT
/*
 * User symbols of this very process: a function of the test binary, and a
 * library loaded after the mappings were first read, which resolves once
 * the symbolizer reads them again.
 */
#include <dlfcn.h>
#include <stdint.h>
#include <time.h>
#include <quazar/stack.h>
#include "../test.h"

__attribute__((noinline)) int test_symbolizer_marker(int x)
{
	return x * 3 + 1;
}

static void test_own_function(void)
{
	struct qz_symbolizer *sym = qz_symbolizer__new();
	uint64_t addr = (uint64_t)(uintptr_t)&test_symbolizer_marker + 4;
	struct qz_symbol s = { 0 };

	qz_symbolizer__prepare(sym, getpid());
	CHECK_EQ(qz_symbolizer__user(sym, getpid(), addr, &s), 0);
	CHECK_STR(s.name, "test_symbolizer_marker");
	CHECK_EQ(s.offset, 4);
	CHECK_STR(s.module, "test-symbolizer");
	qz_symbolizer__free(sym);
}

static void test_library_loaded_later(void)
{
	struct qz_symbolizer *sym = qz_symbolizer__new();
	struct timespec wait = { 1, 100000000 };
	struct qz_symbol s = { 0 };
	void *lib, *fn;

	qz_symbolizer__prepare(sym, getpid());
	lib = dlopen("libacl.so.1", RTLD_NOW);
	if (!lib) {
		fprintf(stderr, "skipped part: no libacl.so.1 to load (%s)\n", dlerror());
		qz_symbolizer__free(sym);
		return;
	}
	fn = dlsym(lib, "acl_init");
	CHECK(fn != NULL);
	/* Mappings are read again at most once a second. */
	nanosleep(&wait, NULL);
	CHECK_EQ(qz_symbolizer__user(sym, getpid(), (uint64_t)(uintptr_t)fn, &s), 0);
	CHECK_STR(s.name, "acl_init");
	CHECK(s.module && !strncmp(s.module, "libacl.so", 9));
	dlclose(lib);
	qz_symbolizer__free(sym);
}

int main(void)
{
	RUN(test_own_function);
	RUN(test_library_loaded_later);
	return test_result();
}
