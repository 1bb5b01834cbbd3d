// SPDX-License-Identifier: MIT
/*
 * Attrs without privilege: the name table, PMU formats and terms over a
 * fake sysfs, tracepoint ids over a fake tracefs, uprobe attrs, ELF symbol
 * offsets, breakpoints, and specs.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <linux/hw_breakpoint.h>
#include <quazar/attr.h>
#include <quazar/select.h>
#include "../test.h"

static char root[256];

static void write_file(const char *rel, const char *text)
{
	char path[512], dir[512], *slash;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	snprintf(dir, sizeof(dir), "%s", path);
	for (slash = strchr(dir + strlen(root) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		mkdir(dir, 0755);
		*slash = '/';
	}
	FILE *f = fopen(path, "w");
	if (!f) {
		perror(path);
		exit(1);
	}
	fputs(text, f);
	fclose(f);
}

static void make_fake_sysfs(void)
{
	snprintf(root, sizeof(root), "/tmp/qz-fake-sysfs-XXXXXX");
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		exit(1);
	}
	write_file("bus/event_source/devices/fake/type", "42\n");
	write_file("bus/event_source/devices/fake/format/event", "config:0-7\n");
	write_file("bus/event_source/devices/fake/format/umask", "config:8-15\n");
	write_file("bus/event_source/devices/fake/format/split", "config:32-33,40-41\n");
	write_file("bus/event_source/devices/fake/format/ldlat", "config1:0-15\n");
	write_file("bus/event_source/devices/fake/format/flag", "config2:63\n");
	write_file("bus/event_source/devices/fake/events/loads", "event=0xcd,umask=0x1\n");
	write_file("bus/event_source/devices/broken/type", "7\n");
	write_file("bus/event_source/devices/broken/format/x", "confog:0-3\n");
	write_file("bus/event_source/devices/uprobe/type", "9\n");
	write_file("bus/event_source/devices/uprobe/format/retprobe", "config:0\n");
	write_file("tracing/events/sched/sched_switch/id", "316\n");
}

static void cleanup(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd))
		fprintf(stderr, "cleanup of %s failed\n", root);
}

static char logged[1024];

static void log_fn(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged, sizeof(logged), "%s", msg);
}

static void test_names(void)
{
	struct perf_event_attr a = { 0 };
	size_t nr;
	const struct qz_event_name *names = qz_event_names(&nr);

	CHECK(nr >= 20);
	CHECK_EQ(qz_attr__named(&a, "cycles"), 0);
	CHECK_EQ(a.type, PERF_TYPE_HARDWARE);
	CHECK_EQ(a.config, PERF_COUNT_HW_CPU_CYCLES);
	CHECK_EQ(qz_attr__named(&a, "cache-misses"), 0);
	CHECK_EQ(a.config, PERF_COUNT_HW_CACHE_MISSES);
	CHECK_EQ(qz_attr__named(&a, "branch-misses"), 0);
	CHECK_EQ(a.config, PERF_COUNT_HW_BRANCH_MISSES);
	CHECK_EQ(qz_attr__named(&a, "faults"), 0);
	CHECK_EQ(a.type, PERF_TYPE_SOFTWARE);
	CHECK_EQ(a.config, PERF_COUNT_SW_PAGE_FAULTS);
	CHECK_EQ(qz_attr__named(&a, "cs"), 0);
	CHECK_EQ(a.config, PERF_COUNT_SW_CONTEXT_SWITCHES);
	CHECK_EQ(qz_attr__named(&a, "major-faults"), 0);
	CHECK_EQ(a.config, PERF_COUNT_SW_PAGE_FAULTS_MAJ);
	CHECK_EQ(qz_attr__named(&a, "bpf-output"), 0);
	CHECK_EQ(a.config, PERF_COUNT_SW_BPF_OUTPUT);
	CHECK_EQ(qz_attr__named(&a, "task-clock"), 0);
	CHECK_EQ(a.config, PERF_COUNT_SW_TASK_CLOCK);
	CHECK_EQ(qz_attr__named(&a, "cycle"), -QZ_ERR_UNKNOWN_EVENT);
	/* Every entry resolves to itself. */
	for (size_t i = 0; i < nr; i++) {
		CHECK_EQ(qz_attr__named(&a, names[i].name), 0);
		CHECK_EQ(a.config, names[i].config);
		CHECK_EQ(a.type, names[i].type);
	}
}

static void test_pmu_formats(void)
{
	QZ_OPTS(qz_attr_opts, o, .sysfs_root = root);
	struct qz_pmu *pmu = qz_pmu__new("fake", &o);
	const char *name;
	int field, found = 0;
	uint64_t mask;

	CHECK(pmu);
	if (!pmu)
		return;
	CHECK_EQ(qz_pmu__type(pmu), 42);
	CHECK_STR(qz_pmu__name(pmu), "fake");
	CHECK_EQ(qz_pmu__nr_formats(pmu), 5);
	for (int i = 0; i < qz_pmu__nr_formats(pmu); i++) {
		CHECK_EQ(qz_pmu__format(pmu, i, &name, &field, &mask), 0);
		if (!strcmp(name, "split")) {
			CHECK_EQ(field, 0);
			CHECK_EQ(mask, 0x30300000000ull);
			found++;
		} else if (!strcmp(name, "ldlat")) {
			CHECK_EQ(field, 1);
			CHECK_EQ(mask, 0xffff);
			found++;
		} else if (!strcmp(name, "flag")) {
			CHECK_EQ(field, 2);
			CHECK_EQ(mask, 1ull << 63);
			found++;
		}
	}
	CHECK_EQ(found, 3);
	CHECK_EQ(qz_pmu__format(pmu, 5, &name, &field, &mask), -ENOENT);
	qz_pmu__free(pmu);
}

static void test_pmu_terms(void)
{
	char err[512] = "";
	QZ_OPTS(qz_attr_opts, o, .sysfs_root = root, .errbuf = err,
		.errlen = sizeof(err), .log = log_fn);
	struct qz_pmu *pmu = qz_pmu__new("fake", &o);
	struct perf_event_attr a = { 0 };

	if (!pmu) {
		CHECK(pmu);
		return;
	}
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "event=0x3c,umask=2,split=0xb,ldlat=300,flag", &o), 0);
	CHECK_EQ(a.type, 42);
	/* split 0b1011: low two bits to 32-33, next two to 40-41 */
	CHECK_EQ(a.config, 0x3c | (2 << 8) | (3ull << 32) | (2ull << 40));
	CHECK_EQ(a.config1, 300);
	CHECK_EQ(a.config2, 1ull << 63);

	memset(&a, 0, sizeof(a));
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "config=0x1234,config1=5,config2=6,period=1000", &o), 0);
	CHECK_EQ(a.config, 0x1234);
	CHECK_EQ(a.config1, 5);
	CHECK_EQ(a.config2, 6);
	CHECK_EQ(a.sample_period, 1000);
	CHECK_EQ(a.freq, 0);
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "freq=99", &o), 0);
	CHECK_EQ(a.freq, 1);
	CHECK_EQ(a.sample_freq, 99);

	/* The breakpoint PMU's fields. */
	memset(&a, 0, sizeof(a));
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "bp_addr=0x404028,bp_len=8,bp_type=2", &o), 0);
	CHECK_EQ(a.bp_addr, 0x404028);
	CHECK_EQ(a.bp_len, 8);
	CHECK_EQ(a.bp_type, 2);
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "bp_type=0x100000000", &o), -QZ_ERR_PMU_TERM);

	/* An alias from events/. */
	memset(&a, 0, sizeof(a));
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "loads", &o), 0);
	CHECK_EQ(a.config, 0x1cd);

	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "event=1,bogus=3", &o), -QZ_ERR_PMU_TERM);
	CHECK(strstr(err, "unknown term \"bogus\""));
	CHECK(strstr(err, "umask"));
	CHECK(strstr(err, "ldlat"));
	CHECK(strstr(err, "period"));
	CHECK_STR(logged, err);
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "event=0x100", &o), -QZ_ERR_PMU_TERM);
	CHECK(strstr(err, "does not fit"));
	CHECK_EQ(qz_pmu__apply_terms(pmu, &a, "event=zz", &o), -QZ_ERR_PMU_TERM);
	CHECK(strstr(err, "needs a number"));
	qz_pmu__free(pmu);

	errno = 0;
	CHECK(!qz_pmu__new("nosuch", &o));
	CHECK_EQ(errno, QZ_ERR_UNKNOWN_EVENT);
	CHECK(strstr(err, "unknown PMU \"nosuch\""));
	CHECK(!qz_pmu__new("broken", &o));
	CHECK(strstr(err, "bad format x"));
	CHECK(!qz_pmu__new("../x", &o));
}

static void test_spec(void)
{
	char err[512] = "", tracefs[300];
	QZ_OPTS(qz_attr_opts, o, .sysfs_root = root, .tracefs_dir = tracefs,
		.errbuf = err, .errlen = sizeof(err));
	struct qz_event_spec spec = { .kind = QZ_SPEC_TRACEPOINT, .sys = "sched",
				      .name = "sched_switch", .stack = true,
				      .max_stack = 12, .exclude_user = true };
	struct perf_event_attr a;

	snprintf(tracefs, sizeof(tracefs), "%s/tracing", root);
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), 0);
	CHECK_EQ(a.type, PERF_TYPE_TRACEPOINT);
	CHECK_EQ(a.config, 316);
	CHECK_EQ(a.sample_period, 1);
	CHECK(a.sample_type & PERF_SAMPLE_RAW);
	CHECK(a.sample_type & PERF_SAMPLE_CALLCHAIN);
	CHECK_EQ(a.sample_max_stack, 12);
	CHECK_EQ(a.exclude_user, 1);
	CHECK_EQ(a.exclude_kernel, 0);

	spec.name = "sched_nosuch";
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), -QZ_ERR_UNKNOWN_EVENT);
	CHECK(strstr(err, "unknown tracepoint sched:sched_nosuch"));
	spec.name = "../x";
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), -QZ_ERR_UNKNOWN_EVENT);

	spec = (struct qz_event_spec){ .kind = QZ_SPEC_SOFTWARE,
				       .name = "page-faults", .period = 10 };
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), 0);
	CHECK_EQ(a.config, PERF_COUNT_SW_PAGE_FAULTS);
	CHECK_EQ(a.sample_period, 10);
	CHECK(!(a.sample_type & PERF_SAMPLE_CALLCHAIN));
	spec.name = "nope";
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), -QZ_ERR_UNKNOWN_EVENT);
	CHECK(strstr(err, "unknown event \"nope\""));

	spec = (struct qz_event_spec){ .kind = QZ_SPEC_PMU, .sys = "fake",
				       .pmu_terms = "event=3,period=77" };
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), 0);
	CHECK_EQ(a.type, 42);
	CHECK_EQ(a.config, 3);
	CHECK_EQ(a.sample_period, 77);
	spec.pmu_terms = "evnt=3";
	CHECK_EQ(qz_attr__from_spec(&a, &spec, &o), -QZ_ERR_PMU_TERM);
	CHECK(strstr(err, "unknown term \"evnt\""));
}

/* The function whose bytes the ELF lookup must find in the file. */
__attribute__((noinline, used)) int qz_test_marker(int x)
{
	return x * 3 + 1;
}

static void test_elf_and_uprobe(void)
{
	char exe[512], err[512] = "";
	QZ_OPTS(qz_attr_opts, o, .sysfs_root = root, .errbuf = err,
		.errlen = sizeof(err));
	struct perf_event_attr a = { 0 };
	uint64_t off = 0;
	unsigned char file_bytes[16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	int fd;

	CHECK(n > 0);
	exe[n > 0 ? n : 0] = '\0';
	CHECK_EQ(qz_elf__symbol_offset(exe, "qz_test_marker", &off), 0);
	fd = open(exe, O_RDONLY);
	CHECK_EQ(pread(fd, file_bytes, sizeof(file_bytes), (off_t)off), 16);
	close(fd);
	CHECK(!memcmp(file_bytes, (const void *)qz_test_marker, 16));
	CHECK_EQ(qz_elf__symbol_offset(exe, "no_such_symbol_here", &off), -ENOENT);
	CHECK_EQ(qz_elf__symbol_offset("/nonexistent", "x", &off), -ENOENT);
	CHECK_EQ(qz_elf__symbol_offset("/proc/self/status", "x", &off), -ENOEXEC);

	CHECK_EQ(qz_attr__uprobe(&a, exe, "qz_test_marker", 4, true, &o), 0);
	CHECK_EQ(a.type, 9);
	CHECK_EQ(a.config, 1);	/* retprobe at config:0 */
	CHECK_EQ(a.config1, (uint64_t)(uintptr_t)exe);
	CHECK_EQ(qz_elf__symbol_offset(exe, "qz_test_marker", &off), 0);
	CHECK_EQ(a.config2, off + 4);
	CHECK_EQ(qz_attr__uprobe(&a, exe, "qz_test_marker", 0, false, &o), 0);
	CHECK_EQ(a.config, 0);
	CHECK_EQ(qz_attr__uprobe(&a, exe, "nope_nope", 0, false, &o),
		 -QZ_ERR_UNKNOWN_EVENT);
	CHECK(strstr(err, "nope_nope"));
	CHECK(strstr(err, "no such symbol"));
}

static void test_breakpoint(void)
{
	struct perf_event_attr a = { 0 };

	CHECK_EQ(qz_attr__breakpoint(&a, 0x1000, 4, HW_BREAKPOINT_W), 0);
	CHECK_EQ(a.type, PERF_TYPE_BREAKPOINT);
	CHECK_EQ(a.bp_addr, 0x1000);
	CHECK_EQ(a.bp_len, 4);
	CHECK_EQ(a.bp_type, HW_BREAKPOINT_W);
	CHECK_EQ(qz_attr__breakpoint(&a, 0x1000, 3, HW_BREAKPOINT_W), -EINVAL);
	CHECK_EQ(qz_attr__breakpoint(&a, 0x1000, 0, HW_BREAKPOINT_X), 0);
	CHECK_EQ(a.bp_len, sizeof(long));
	CHECK_EQ(qz_attr__breakpoint(&a, 0x1000, 4, 0), -EINVAL);

	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x2000/8:w"), 0);
	CHECK_EQ(a.bp_addr, 0x2000);
	CHECK_EQ(a.bp_len, 8);
	CHECK_EQ(a.bp_type, HW_BREAKPOINT_W);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:4096:rw/2"), 0);
	CHECK_EQ(a.bp_addr, 4096);
	CHECK_EQ(a.bp_len, 2);
	CHECK_EQ(a.bp_type, HW_BREAKPOINT_RW);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x10"), 0);
	CHECK_EQ(a.bp_type, HW_BREAKPOINT_RW);
	CHECK_EQ(a.bp_len, 4);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x10:x"), 0);
	CHECK_EQ(a.bp_type, HW_BREAKPOINT_X);
	CHECK_EQ(a.bp_len, sizeof(long));
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:"), -EINVAL);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x10:q"), -EINVAL);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x10/3"), -EINVAL);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "mem:0x10:rx"), -EINVAL);
	CHECK_EQ(qz_attr__breakpoint_str(&a, "xmem:0x10"), -EINVAL);
}

int main(void)
{
	make_fake_sysfs();
	RUN(test_names);
	RUN(test_pmu_formats);
	RUN(test_pmu_terms);
	RUN(test_spec);
	RUN(test_elf_and_uprobe);
	RUN(test_breakpoint);
	cleanup();
	return test_result();
}
