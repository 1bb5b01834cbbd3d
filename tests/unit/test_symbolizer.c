// SPDX-License-Identifier: MIT
/*
 * The symbolizer on this very process and on processes made of records
 * built by hand: a mapping from MMAP2 resolves for a pid that never
 * existed (a process long gone), exec and fork change and copy mappings
 * by generation, exits are reaped at the second reap, the bounds evict
 * and count; kernel modules, JIT maps and separate debuginfo name what
 * they hold.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <quazar/stack.h>
#include "../test.h"

#define GONE 0x3ffff000	/* above pid_max: no process has it */

__attribute__((noinline)) int test_symbolizer_marker(int x)
{
	return x * 3 + 1;
}

static void *main_return;	/* inside __libc_start_call_main */

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
	/* Without records, mappings are read again at most once a second. */
	nanosleep(&wait, NULL);
	CHECK_EQ(qz_symbolizer__user(sym, getpid(), (uint64_t)(uintptr_t)fn, &s), 0);
	CHECK_STR(s.name, "acl_init");
	CHECK(s.module && !strncmp(s.module, "libacl.so", 9));
	dlclose(lib);
	qz_symbolizer__free(sym);
}

/* Records as the kernel writes them; trailer: TID, TIME. */
static const struct qz_sample_format fmt = {
	.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME,
	.sample_id_all = true,
};

struct rec {
	uint64_t w[640];
	size_t len;
};

static void begin(struct rec *r, uint32_t type, uint16_t misc)
{
	struct perf_event_header h = { .type = type, .misc = misc };

	memset(r, 0, sizeof(*r));
	memcpy(r->w, &h, sizeof(h));
	r->len = 8;
}

static void add(struct rec *r, const void *p, size_t n)
{
	memcpy((uint8_t *)r->w + r->len, p, n);
	r->len += (n + 7) & ~(size_t)7;
}

static void add64(struct rec *r, uint64_t v)
{
	add(r, &v, 8);
}

static void add32x2(struct rec *r, uint32_t a, uint32_t b)
{
	uint32_t v[2] = { a, b };

	add(r, v, 8);
}

static const struct perf_event_header *end(struct rec *r, uint32_t pid)
{
	struct perf_event_header h;

	add32x2(r, pid, pid);
	add64(r, 1000);
	memcpy(&h, r->w, sizeof(h));
	h.size = (uint16_t)r->len;
	memcpy(r->w, &h, sizeof(h));
	return (const void *)r->w;
}

static const struct perf_event_header *mmap2(struct rec *r, uint32_t pid, uint64_t addr,
					     uint64_t len, uint64_t pgoff, const struct stat *st,
					     const char *path)
{
	begin(r, PERF_RECORD_MMAP2, 0);
	add32x2(r, pid, pid);
	add64(r, addr);
	add64(r, len);
	add64(r, pgoff);
	add32x2(r, major(st->st_dev), minor(st->st_dev));
	add64(r, st->st_ino);
	add64(r, 0);
	add32x2(r, 5, 2);	/* PROT_READ|PROT_EXEC, MAP_PRIVATE */
	add(r, path, strlen(path) + 1);
	return end(r, pid);
}

static const struct perf_event_header *task(struct rec *r, uint32_t type, uint32_t pid,
					    uint32_t ppid)
{
	begin(r, type, 0);
	add32x2(r, pid, ppid);
	add32x2(r, pid, ppid);
	add64(r, 1000);
	return end(r, pid);
}

static const struct perf_event_header *exec_comm(struct rec *r, uint32_t pid, const char *comm)
{
	char buf[16] = { 0 };

	begin(r, PERF_RECORD_COMM, PERF_RECORD_MISC_COMM_EXEC);
	add32x2(r, pid, pid);
	snprintf(buf, sizeof(buf), "%s", comm);
	add(r, buf, strlen(buf) + 1);
	return end(r, pid);
}

/* The executable mapping of this test binary that holds addr. */
static bool own_mapping(uint64_t addr, uint64_t *start, uint64_t *end_, uint64_t *pgoff,
			char *path, size_t len)
{
	char line[4096];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e, off;
		char perms[8];
		int n = 0;

		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &s, &e, perms, &off, &n) < 4 ||
		    addr < s || addr >= e)
			continue;
		*start = s;
		*end_ = e;
		*pgoff = off;
		line[strcspn(line, "\n")] = 0;
		snprintf(path, len, "%s", line + n);
		found = true;
	}
	if (f)
		fclose(f);
	return found;
}

static int resolve(struct qz_symbolizer *sym, pid_t pid, uint64_t gen, uint64_t addr,
		   struct qz_symbol_info *info)
{
	info->sz = sizeof(*info);
	return qz_symbolizer__resolve(sym, pid, gen, true, addr, info);
}

/*
 * A process known only from its records (it exited long ago): MMAP2 maps
 * this binary into it, exec replaces it, fork copies it.
 */
static void test_records(void)
{
	QZ_OPTS(qz_symbolizer_opts, o, .jit_dir = "/nonexistent");
	struct qz_symbolizer *sym = qz_symbolizer__new_opts(&o);
	uint64_t addr = (uint64_t)(uintptr_t)&test_symbolizer_marker + 4;
	uint64_t start = 0, end_ = 0, pgoff = 0;
	QZ_OPTS(qz_symbolizer_stats, st);
	struct qz_symbol_info info;
	char path[4096];
	struct stat sb;
	struct rec r;
	uint64_t gen0, gen1, gen2;

	CHECK(sym);
	if (!own_mapping(addr, &start, &end_, &pgoff, path, sizeof(path)) || stat(path, &sb)) {
		CHECK(!"this binary's own executable mapping");
		qz_symbolizer__free(sym);
		return;
	}
	CHECK_EQ(qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE, 1), &fmt), 0);
	CHECK_EQ(qz_symbolizer__record(sym, exec_comm(&r, GONE, "tester"), &fmt), 0);
	CHECK_EQ(qz_symbolizer__record(sym, mmap2(&r, GONE, start, end_ - start, pgoff, &sb,
						  path), &fmt), 0);
	gen0 = qz_symbolizer__gen(sym, GONE);
	CHECK_EQ(resolve(sym, GONE, gen0, addr, &info), 0);
	CHECK_STR(info.name, "test_symbolizer_marker");
	CHECK_EQ(info.offset, 4);
	CHECK_STR(info.module, "test-symbolizer");
	CHECK_STR(info.path, path);
	CHECK(info.build_id && strlen(info.build_id) == 40);

	/* A child inherits the mappings. */
	CHECK_EQ(qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE + 1, GONE), &fmt), 0);
	CHECK_EQ(resolve(sym, GONE + 1, qz_symbolizer__gen(sym, GONE + 1), addr, &info), 0);
	CHECK_STR(info.name, "test_symbolizer_marker");

	/* exec: a new generation without them; the old one still resolves. */
	CHECK_EQ(qz_symbolizer__record(sym, exec_comm(&r, GONE, "other"), &fmt), 0);
	gen1 = qz_symbolizer__gen(sym, GONE);
	CHECK(gen1 != gen0);
	CHECK_EQ(resolve(sym, GONE, gen1, addr, &info), -ENOENT);
	CHECK(!info.name);
	CHECK_EQ(resolve(sym, GONE, gen0, addr, &info), 0);
	CHECK_STR(info.name, "test_symbolizer_marker");

	/* An overlapping mapping replaces part of it: a generation too. */
	CHECK_EQ(qz_symbolizer__record(sym, mmap2(&r, GONE + 1, start, end_ - start, pgoff, &sb,
						  path), &fmt), 0);
	gen2 = qz_symbolizer__gen(sym, GONE + 1);
	CHECK(gen2 != gen0 && gen2 != gen1);	/* never another process's */
	CHECK_EQ(qz_symbolizer__record(sym, mmap2(&r, GONE + 1, start, end_ - start, pgoff, &sb,
						  path), &fmt), 0);
	CHECK_EQ(qz_symbolizer__gen(sym, GONE + 1), gen2);	/* the same: no change */
	CHECK_EQ(qz_symbolizer__record(sym, mmap2(&r, GONE + 1, start, 4096, 0, &sb, path),
				       &fmt), 0);
	CHECK(qz_symbolizer__gen(sym, GONE + 1) > gen2);
	gen2 = qz_symbolizer__gen(sym, GONE + 1);
	if (addr >= start + 4096) {
		CHECK_EQ(resolve(sym, GONE + 1, gen2, addr, &info), 0);	/* the right piece */
		CHECK_STR(info.name, "test_symbolizer_marker");
	}

	/* Exits are reaped at the second reap after them, not the first. */
	CHECK_EQ(qz_symbolizer__record(sym, task(&r, PERF_RECORD_EXIT, GONE + 1, GONE), &fmt), 0);
	qz_symbolizer__reap(sym);
	CHECK_EQ(resolve(sym, GONE + 1, gen2, addr, &info), 0);
	qz_symbolizer__reap(sym);
	CHECK_EQ(qz_symbolizer__stats(sym, &st), 0);
	CHECK_EQ(st.procs, 1);	/* GONE: pid 1, the parent, was never seen */
	CHECK_EQ(resolve(sym, GONE + 1, gen2, addr, &info), -ENOENT);
	/* After a reap, generations before the last are gone too. */
	CHECK_EQ(resolve(sym, GONE, gen0, addr, &info), -ENOENT);
	CHECK_EQ(qz_symbolizer__stats(sym, &st), 0);
	CHECK(st.resolved >= 5);
	CHECK(st.unknown >= 3);
	CHECK_EQ(st.bad_records, 0);
	st.sz = 8;
	CHECK_EQ(qz_symbolizer__stats(sym, &st), -EINVAL);
	info.sz = 8;
	CHECK_EQ(qz_symbolizer__resolve(sym, GONE, 0, true, addr, &info), -EINVAL);
	qz_symbolizer__free(sym);
}

/* Past max_procs the oldest go, and the live ones dropped are counted. */
static void test_bounds(void)
{
	QZ_OPTS(qz_symbolizer_opts, o, .max_procs = 4);
	struct qz_symbolizer *sym = qz_symbolizer__new_opts(&o);
	QZ_OPTS(qz_symbolizer_stats, st);
	struct stat none = { 0 };
	uint64_t gen;
	struct rec r;

	for (uint32_t i = 0; i < 10; i++)
		qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE + 10 + i, 1), &fmt);
	qz_symbolizer__stats(sym, &st);
	CHECK_EQ(st.procs, 4);
	CHECK_EQ(st.procs_evicted, 6);	/* the oldest 6 of 10 */
	/* Exited ones go before live ones, and are not counted. */
	qz_symbolizer__record(sym, task(&r, PERF_RECORD_EXIT, GONE + 17, 1), &fmt);
	qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE + 30, 1), &fmt);
	qz_symbolizer__stats(sym, &st);
	CHECK_EQ(st.procs, 4);
	CHECK_EQ(st.procs_evicted, 6);
	/* A sampled process is the last to go: one replaced mapping marks it. */
	qz_symbolizer__record(sym, mmap2(&r, GONE + 16, 0x10000, 0x1000, 0, &none, "/x"), &fmt);
	gen = qz_symbolizer__gen(sym, GONE + 16);
	qz_symbolizer__record(sym, mmap2(&r, GONE + 16, 0x10000, 0x1000, 1, &none, "/x"), &fmt);
	CHECK(qz_symbolizer__gen(sym, GONE + 16) > gen);
	gen = qz_symbolizer__gen(sym, GONE + 16);
	qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE + 31, 1), &fmt);
	qz_symbolizer__record(sym, task(&r, PERF_RECORD_FORK, GONE + 32, 1), &fmt);
	qz_symbolizer__stats(sym, &st);
	CHECK_EQ(st.procs_evicted, 8);	/* GONE+18 and +19 */
	CHECK_EQ(qz_symbolizer__gen(sym, GONE + 16), gen);
	qz_symbolizer__free(sym);
}

static void test_kernel_modules(void)
{
	char path[] = "/tmp/qz-kallsyms-XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	QZ_OPTS(qz_symbolizer_opts, o, .kallsyms = path);
	struct qz_symbolizer *sym;
	QZ_OPTS(qz_symbol_info, info);

	CHECK(f);
	if (!f)
		return;
	fputs("ffffffff81000000 T _stext\n"
	      "ffffffff81000100 t do_syscall_64\n"
	      "ffffffff81000200 D some_data\n"
	      "ffffffffc0a01000 t ext4_fill_super\t[ext4]\n"
	      "ffffffffc0a02000 T ext4_iget\t[ext4]\n"
	      "ffffffffc0b00000 t xfs_foo\t[xfs]\n", f);
	fclose(f);
	sym = qz_symbolizer__new_opts(&o);
	CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, 0xffffffff81000150ull, &info), 0);
	CHECK_STR(info.name, "do_syscall_64");
	CHECK_EQ(info.offset, 0x50);
	CHECK_STR(info.module, "[kernel]");
	CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, 0xffffffffc0a02010ull, &info), 0);
	CHECK_STR(info.name, "ext4_iget");
	CHECK_STR(info.module, "[ext4]");
	CHECK(!info.build_id);
	CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, 0xffffffffc0b00008ull, &info), 0);
	CHECK_STR(info.module, "[xfs]");
	CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, 0xffffffff80000000ull, &info),
		 -ENOENT);
	qz_symbolizer__free(sym);
	unlink(path);
}

/* A lookup function that answers as the kernel's %pS does, from kallsyms. */
struct pS {
	struct qz_symbolizer *kallsyms;
	int calls;
};

static int print_pS(void *ctx, uint64_t addr, char *buf, size_t len)
{
	struct pS *p = ctx;
	QZ_OPTS(qz_symbol_info, info);

	p->calls++;
	if (qz_symbolizer__resolve(p->kallsyms, -1, 0, false, addr, &info)) {
		snprintf(buf, len, "0x%llx", (unsigned long long)addr);
		return 0;
	}
	/* kallsyms has no sizes: the function is said to end just after addr. */
	if (strcmp(info.module, "[kernel]"))
		snprintf(buf, len, "%s+0x%llx/0x%llx %s", info.name,
			 (unsigned long long)info.offset, (unsigned long long)info.offset + 1,
			 info.module);
	else
		snprintf(buf, len, "%s+0x%llx/0x%llx", info.name, (unsigned long long)info.offset,
			 (unsigned long long)info.offset + 1);
	return 0;
}

/* Kernel addresses named by a caller's function give what kallsyms gives, asking once each. */
static void test_kernel_lookup(void)
{
	static const uint64_t addrs[] = {
		0xffffffff81000150ull, 0xffffffffc0a02010ull, 0xffffffffc0b00008ull,
		0xffffffff80000000ull, 0xffffffff81000100ull,
	};
	struct pS p = { .kallsyms = qz_symbolizer__new() };
	struct qz_symbolizer *sym = qz_symbolizer__new();
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long text = 0;
	char line[512];

	CHECK(p.kallsyms && sym && f);
	if (!p.kallsyms || !sym || !f)
		return;
	/* Real addresses too: this kernel's first text symbol and beyond. */
	while (!text && fgets(line, sizeof(line), f)) {
		char type;

		if (sscanf(line, "%llx %c", &text, &type) != 2 || (type != 'T' && type != 't'))
			text = 0;
	}
	fclose(f);
	CHECK_EQ(qz_symbolizer__set_kernel_lookup(sym, print_pS, &p), 0);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]) + 2; i++) {
			uint64_t addr = i < sizeof(addrs) / sizeof(addrs[0]) ? addrs[i] :
					text + (i - sizeof(addrs) / sizeof(addrs[0])) * 0x1000;
			QZ_OPTS(qz_symbol_info, want);
			QZ_OPTS(qz_symbol_info, got);
			int want_err = qz_symbolizer__resolve(p.kallsyms, -1, 0, false, addr, &want);

			CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, addr, &got), want_err);
			if (want_err || !text)
				continue;
			CHECK_STR(got.name, want.name);
			CHECK_EQ(got.offset, want.offset);
			CHECK_STR(got.module, want.module);
		}
	}
	CHECK_EQ(p.calls, (int)(sizeof(addrs) / sizeof(addrs[0])) + 2);
	/* An address inside a function already told of: named without asking. */
	if (text) {
		QZ_OPTS(qz_symbol_info, want);
		QZ_OPTS(qz_symbol_info, got);

		uint64_t back;

		CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, text + 0x1008, &want), 0);
		back = want.offset < 4 ? want.offset : 4;	/* still in the function */
		CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, text + 0x1008 - back, &got), 0);
		CHECK_STR(got.name, want.name);
		CHECK_EQ(got.offset + back, want.offset);
		CHECK_EQ(p.calls, (int)(sizeof(addrs) / sizeof(addrs[0])) + 3);
	}
	CHECK_EQ(qz_symbolizer__set_kernel_lookup(sym, print_pS, &p), -EBUSY);
	/* Taken back: kallsyms names them, the function is asked no more. */
	CHECK_EQ(qz_symbolizer__set_kernel_lookup(sym, NULL, NULL), 0);
	if (text) {
		QZ_OPTS(qz_symbol_info, want);
		QZ_OPTS(qz_symbol_info, got);

		CHECK_EQ(qz_symbolizer__resolve(p.kallsyms, -1, 0, false, text, &want), 0);
		CHECK_EQ(qz_symbolizer__resolve(sym, -1, 0, false, text, &got), 0);
		CHECK_STR(got.name, want.name);
	}
	CHECK_EQ(p.calls, (int)(sizeof(addrs) / sizeof(addrs[0])) + 3);
	qz_symbolizer__free(sym);
	qz_symbolizer__free(p.kallsyms);
}

/* Code in anonymous memory, named by its JIT in perf-PID.map. */
static void test_jit_map(void)
{
	char dir[] = "/tmp/qz-jit-XXXXXX", path[256];
	QZ_OPTS(qz_symbolizer_opts, o, .jit_dir = dir);
	QZ_OPTS(qz_symbol_info, info);
	struct qz_symbolizer *sym;
	FILE *f;

	CHECK(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/perf-%d.map", dir, GONE + 2);
	f = fopen(path, "w");
	CHECK(f);
	if (!f)
		return;
	fputs("7f0000001000 100 jitted_loop\n"
	      "junk line\n"
	      "7f0000002000 40 LazyCompile:~add /app.js:3\n", f);
	fclose(f);
	sym = qz_symbolizer__new_opts(&o);
	CHECK_EQ(qz_symbolizer__resolve(sym, GONE + 2, 0, true, 0x7f0000001010ull, &info), 0);
	CHECK_STR(info.name, "jitted_loop");
	CHECK_EQ(info.offset, 0x10);
	CHECK(info.module && !strncmp(info.module, "perf-", 5));
	CHECK_EQ(qz_symbolizer__resolve(sym, GONE + 2, 0, true, 0x7f0000002020ull, &info), 0);
	CHECK_STR(info.name, "LazyCompile:~add /app.js:3");
	CHECK_EQ(qz_symbolizer__resolve(sym, GONE + 2, 0, true, 0x7f0000003000ull, &info),
		 -ENOENT);
	qz_symbolizer__free(sym);
	unlink(path);
	rmdir(dir);
}

/*
 * glibc's __libc_start_call_main is a local symbol: only .symtab has it,
 * and Debian strips it to /usr/lib/debug/.build-id (libc6-dbg).
 */
static void test_debuginfo(void)
{
	struct qz_symbolizer *sym = qz_symbolizer__new();
	QZ_OPTS(qz_symbol_info, info);
	char debug[256];
	int err;

	qz_symbolizer__seed(sym, getpid());
	err = resolve(sym, getpid(), 0, (uint64_t)(uintptr_t)main_return, &info);
	snprintf(debug, sizeof(debug), "/usr/lib/debug/.build-id/%.2s/%s.debug",
		 info.build_id ? info.build_id : "xx", info.build_id ? info.build_id + 2 : "");
	if (!info.build_id || access(debug, R_OK)) {
		fprintf(stderr, "skipped part: no separate debuginfo for %s (libc6-dbg)\n",
			info.module ? info.module : "libc");
	} else {
		CHECK_EQ(err, 0);
		CHECK_STR(info.name, "__libc_start_call_main");
	}
	qz_symbolizer__free(sym);
}

int main(void)
{
	main_return = __builtin_return_address(0);
	RUN(test_own_function);
	RUN(test_library_loaded_later);
	RUN(test_records);
	RUN(test_bounds);
	RUN(test_kernel_modules);
	RUN(test_kernel_lookup);
	RUN(test_jit_map);
	RUN(test_debuginfo);
	return test_result();
}
