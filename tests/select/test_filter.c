// SPDX-License-Identifier: MIT
/*
 * User-space filters over hand-built records of this kernel's formats:
 * field-to-field compares, strings and globs, precedence, arithmetic,
 * compile errors with columns, and the kernel-or-user-space decision.
 */
#include <stdint.h>
#include <quazar/filter.h>
#include <quazar/tp.h>
#include "../test.h"
#include "../tp/records.h"

static struct qz_tp *tp;

static int match(const char *sys, const char *name, const char *text,
		 const void *rec, size_t size)
{
	struct qz_tp_event *ev = qz_tp__event(tp, sys, name);
	struct qz_parse_error err;
	struct qz_filter *f;
	int ret;

	if (!ev)
		return -2;
	f = qz_filter__compile(text, ev, &err);
	if (!f) {
		fprintf(stderr, "  \"%s\" did not compile: %d: %s\n", text, err.column,
			err.message);
		return -1;
	}
	ret = qz_filter__match(f, rec, size);
	qz_filter__free(f);
	return ret;
}

static const struct {
	const char *text;
	int want;
} switch_cases[] = {
	{ "prev_pid==100", 1 },
	{ "prev_pid!=100", 0 },
	{ "", 1 },
	{ "  ", 1 },
	/* field against field */
	{ "next_pid<next_prio", 1 },
	{ "next_pid<next_prio&&next_pid>0", 1 },
	{ "next_pid>next_prio", 0 },
	{ "common_pid==prev_pid", 1 },
	{ "prev_prio - next_prio == 20", 1 },
	/* strings and globs */
	{ "prev_comm==\"bash\"", 1 },
	{ "prev_comm == 'bash'", 1 },
	{ "prev_comm == bash", 1 },
	{ "bash == prev_comm", 1 },
	{ "prev_comm == \"bas\"", 0 },
	{ "prev_comm != \"bash\"", 0 },
	{ "next_comm ~ \"kworker*\"", 1 },
	{ "next_comm ~ \"kw?rker/[0-9]:*\"", 1 },
	{ "next_comm ~ \"kw?rker/[!0-9]:*\"", 0 },
	{ "\"*/0:1\" ~ next_comm", 1 },
	{ "prev_comm ~ \"z*\"", 0 },
	{ "prev_comm == next_comm", 0 },
	{ "prev_comm != next_comm", 1 },
	/* precedence: && binds tighter than ||, comparisons tighter than & */
	{ "prev_pid == 100 || next_pid == 5 && next_prio == 99", 1 },
	{ "(prev_pid == 100 || next_pid == 5) && next_prio == 99", 0 },
	{ "prev_pid == 1 || next_pid == 5 && next_prio == 100", 1 },
	{ "!(prev_pid == 100)", 0 },
	{ "!prev_pid", 0 },
	{ "prev_pid * 2 + 1 == 201", 1 },
	{ "prev_pid + 1 * 2 == 102", 1 },
	{ "1 << 4 == 16", 1 },
	{ "prev_pid % 7 == 2", 1 },
	{ "prev_pid / 0 == 0", 1 },
	{ "prev_pid % 0 == 0", 1 },
	{ "prev_state & 1", 1 },
	{ "(prev_state & 2) == 2", 0 },
	{ "prev_state & 2 == 2", 1 }, /* C: prev_state & (2 == 2) = 1 & 1 */
	{ "prev_state | 6 == 7", 1 }, /* C: prev_state | (6 == 7) = 1 */
	{ "(prev_state | 6) == 7", 1 },
	{ "(prev_state ^ 3) == 2", 1 },
	{ "~0 == -1", 1 },
	{ "-1 < prev_pid", 1 },
	{ "prev_pid > -5", 1 },
	{ "0x64 == prev_pid", 1 },
	{ "prev_pid >= 100 && prev_pid <= 100", 1 },
	{ "prev_pid > 100", 0 },
	{ "prev_pid >> 2 == 25", 1 },
	{ "-prev_pid == -100", 1 },
	{ "((((prev_pid))))==100", 1 },
	/* ?: binds loosest and groups right to left */
	{ "prev_pid == 100 ? 1 : 0", 1 },
	{ "prev_pid == 101 ? 1 : 0", 0 },
	{ "prev_pid ? next_pid == 5 : 0", 1 },
	{ "0 ? 0 : prev_pid == 1 ? 0 : 1", 1 },
	{ "(prev_pid > 1 ? 4 : 8) == 4", 1 },
};

static void test_sched_switch(void)
{
	uint8_t rec[128];
	size_t n = rec_sched_switch(rec, "bash", 100, 120, 1, "kworker/0:1", 5, 100);

	for (size_t i = 0; i < ARRAY_SIZE(switch_cases); i++) {
		int got = match("sched", "sched_switch", switch_cases[i].text, rec, n);
		if (got != switch_cases[i].want) {
			fprintf(stderr, "  \"%s\": got %d want %d\n", switch_cases[i].text,
				got, switch_cases[i].want);
			test_failures++;
		}
	}
	/* Negative pid: signed fields sign-extend. */
	n = rec_sched_switch(rec, "x", -1, 120, 0, "y", 0, 0);
	CHECK_EQ(match("sched", "sched_switch", "prev_pid < 0", rec, n), 1);
	CHECK_EQ(match("sched", "sched_switch", "prev_pid == -1", rec, n), 1);
	CHECK_EQ(match("sched", "sched_switch", "next_comm[0] == 121", rec, n), 1);
	CHECK_EQ(match("sched", "sched_switch", "next_comm[1] == 0", rec, n), 1);
	/* A comm that fills all 16 bytes has no NUL: still compared in bounds. */
	n = rec_sched_switch(rec, "0123456789abcdef", 1, 1, 0, "y", 0, 0);
	CHECK_EQ(match("sched", "sched_switch", "prev_comm == \"0123456789abcdef\"", rec, n), 1);
	CHECK_EQ(match("sched", "sched_switch", "prev_comm ~ \"*def\"", rec, n), 1);
}

static void test_other_formats(void)
{
	uint8_t rec[256];
	uint64_t args[6] = { 1, 42, 3, 4, 5, 6 };
	uint8_t addr[6] = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 };
	size_t n;

	/* Unsigned 64-bit fields compare unsigned. */
	n = rec_kmalloc(rec, 9, 0xffffffff81234567ull, 0xffff888012345678ull, 100, 128,
			0xcc0, 0);
	CHECK_EQ(match("kmem", "kmalloc", "call_site > 0x7fffffffffffffff", rec, n), 1);
	CHECK_EQ(match("kmem", "kmalloc", "call_site > 0", rec, n), 1);
	CHECK_EQ(match("kmem", "kmalloc", "ptr == 0xffff888012345678", rec, n), 1);
	CHECK_EQ(match("kmem", "kmalloc", "bytes_alloc - bytes_req >= 28", rec, n), 1);
	CHECK_EQ(match("kmem", "kmalloc", "bytes_alloc - bytes_req > 28", rec, n), 0);
	CHECK_EQ(match("kmem", "kmalloc", "bytes_alloc>1024", rec, n), 0);
	CHECK_EQ(match("kmem", "kmalloc", "(gfp_flags & 0x400) && node == 0", rec, n), 1);

	/* The example: id==110&&common_pid>id */
	n = rec_sys_enter(rec, 200, 110, args);
	CHECK_EQ(match("raw_syscalls", "sys_enter", "id==110&&common_pid>id", rec, n), 1);
	n = rec_sys_enter(rec, 100, 110, args);
	CHECK_EQ(match("raw_syscalls", "sys_enter", "id==110&&common_pid>id", rec, n), 0);
	CHECK_EQ(match("raw_syscalls", "sys_enter", "args[1] == 42 && args[5] == 6", rec, n), 1);
	CHECK_EQ(match("raw_syscalls", "sys_enter", "args[0] + args[2] == args[3]", rec, n), 1);

	/* __data_loc strings and byte arrays. */
	n = rec_br_fdb_add(rec, "eth0", addr, 7);
	CHECK_EQ(match("bridge", "br_fdb_add", "dev == \"eth0\"", rec, n), 1);
	CHECK_EQ(match("bridge", "br_fdb_add", "dev ~ \"eth*\" && vid == 7", rec, n), 1);
	CHECK_EQ(match("bridge", "br_fdb_add", "dev == \"eth\"", rec, n), 0);
	CHECK_EQ(match("bridge", "br_fdb_add", "addr[5] == 0x55 && addr[0] == 0", rec, n), 1);
	n = rec_exec(rec, 42, "/usr/bin/ls");
	CHECK_EQ(match("sched", "sched_process_exec", "filename ~ \"*/ls\" && pid == old_pid",
		       rec, n), 1);
	/* A __data_loc pointing past the record reads as "". */
	PUT(rec, 8, uint32_t, 200u << 16 | 20);
	CHECK_EQ(match("sched", "sched_process_exec", "filename == \"\"", rec, n), 1);
	/* __rel_loc */
	n = rec_rel(rec, "hello", -3);
	CHECK_EQ(match("test", "rel_test", "msg == \"hello\" && val < 0", rec, n), 1);
	/* A short record reads its missing fields as 0. */
	n = rec_sched_switch(rec, "bash", 100, 120, 1, "k", 5, 100);
	CHECK_EQ(match("sched", "sched_switch", "next_prio == 0", rec, 20), 1);
	CHECK_EQ(match("sched", "sched_switch", "prev_comm == \"\"", rec, 10), 1);
}

static const struct {
	const char *text;
	int column;
	int err;
	const char *message;
} bad[] = {
	{ "next_pd == 1", 0, QZ_ERR_UNKNOWN_FIELD,
	  "unknown field 'next_pd' in sched:sched_switch; did you mean next_pid?" },
	{ "prev_pid > 0 && bogus_field_name > 1", 16, QZ_ERR_UNKNOWN_FIELD,
	  "unknown field 'bogus_field_name' in sched:sched_switch (fields: prev_comm, prev_pid, prev_prio, prev_state," },
	{ "prev_pid == ", 12, QZ_ERR_FILTER, "expected a field, number or string at the end" },
	{ "prev_pid = 1", 9, QZ_ERR_FILTER, "'=' is not a comparison; use '=='" },
	{ "(prev_pid == 1", 0, QZ_ERR_FILTER, "unbalanced '(': missing ')'" },
	{ "(prev_pid == 1 next_pid", 15, QZ_ERR_FILTER, "expected ')'" },
	{ "prev_pid == 1)", 13, QZ_ERR_FILTER, "unbalanced ')'" },
	{ ")", 0, QZ_ERR_FILTER, "unbalanced ')'" },
	{ "prev_pid == 1 next_pid", 14, QZ_ERR_FILTER, "expected an operator such as && or == here" },
	{ "prev_pid @ 1", 9, QZ_ERR_FILTER, "unexpected character '@'" },
	{ "prev_comm == 1", 10, QZ_ERR_FILTER, "cannot compare a string with a number" },
	{ "prev_pid ~ \"a*\"", 9, QZ_ERR_FILTER, "'~' matches a string field against a glob" },
	{ "prev_comm < \"a\"", 10, QZ_ERR_FILTER, "strings compare only with ==, != and ~" },
	{ "prev_comm + 1 == 2", 0, QZ_ERR_FILTER, "a string cannot be used in arithmetic" },
	{ "prev_comm == \"abc", 13, QZ_ERR_FILTER, "unterminated string" },
	{ "prev_comm", 0, QZ_ERR_FILTER, "a string alone is not a condition" },
	{ "prev_pid == 99999999999999999999999", 12, QZ_ERR_FILTER, "number too large" },
	{ "prev_pid == 12ab", 14, QZ_ERR_FILTER, "bad character in number" },
	{ "prev_pid ! 1", 9, QZ_ERR_FILTER, "'!' goes before an operand; did you mean '!='?" },
	{ "prev_pid[0] == 1", 0, QZ_ERR_FILTER, "field 'prev_pid' is not an array" },
	{ "prev_comm[16] == 1", 0, QZ_ERR_FILTER, "index 16 is past the end of 'prev_comm' (16 elements)" },
	{ "prev_comm[x] == 1", 10, QZ_ERR_FILTER, "an array index must be a number" },
	{ "prev_comm[1 == 1", 12, QZ_ERR_FILTER, "expected ']'" },
	{ "next_comm[0] == 'k'", 13, QZ_ERR_FILTER, "cannot compare a string with a number" },
	{ "* 2", 0, QZ_ERR_FILTER, "'*' would read memory through a pointer" },
	{ "/ 2", 0, QZ_ERR_FILTER, "expected a field, number or string" },
	{ "prev_pid ? 1", 12, QZ_ERR_FILTER, "expected ':' of the '?' here" },
	{ "prev_pid : 1", 9, QZ_ERR_FILTER, "':' without a '?' before it" },
	{ "prev_comm ? 1 : 2", 0, QZ_ERR_FILTER, "a string alone is not a condition" },
	{ "prev_pid ? prev_comm : 2", 23, QZ_ERR_FILTER, "both sides of ':' must be strings, or both numbers" },
	{ "prev_comm + 1", 0, QZ_ERR_FILTER, "a string cannot be used in arithmetic" },
	/* expressions: variables, casts, calls */
	{ "_cpux == 1", 0, QZ_ERR_UNKNOWN_FIELD, "did you mean _cpu?" },
	{ "key == 1", 0, QZ_ERR_UNKNOWN_FIELD, "unknown field 'key'" },
	{ "prev_pid++ > 1", 8, QZ_ERR_FILTER, "'++' would change a value" },
	{ "prev_pid-- > 1", 8, QZ_ERR_FILTER, "'--' would change a value" },
	{ "&prev_pid == 1", 0, QZ_ERR_FILTER, "'&' would take an address" },
	{ "(int)prev_comm == 1", 5, QZ_ERR_FILTER, "a string cannot be cast to a number" },
	{ "(int prev_pid) == 1", 5, QZ_ERR_FILTER, "unknown type word 'prev_pid'" },
	{ "(unsigned long == 1", 15, QZ_ERR_FILTER, "expected ')' to close the cast" },
	{ "ksymbl(prev_pid) == 1", 0, QZ_ERR_FILTER, "unknown function 'ksymbl'; did you mean ksymbol()?" },
	{ "frobnicate(1) == 1", 0, QZ_ERR_FILTER, "unknown function 'frobnicate' (functions: ksymbol(ADDR)" },
	{ "system(\"ls\") == 0", 0, QZ_ERR_FILTER, "system() would run a command for every event" },
	{ "ksymbol(prev_pid) ~ \"a*\"", 0, QZ_ERR_FILTER, "ksymbol(ADDR) needs kernel symbols" },
	{ "comm_get(prev_pid) ~ \"a*\"", 0, QZ_ERR_FILTER, "comm_get(PID) needs task names" },
	{ "printf(\"%d\", prev_pid)", 0, QZ_ERR_FILTER, "printf() formats printkey=" },
	{ "ntohl(1, 2) == 1", 0, QZ_ERR_FILTER, "ntohl takes fewer arguments: ntohl(X)" },
	{ "strncmp(prev_comm, \"a\") == 1", 0, QZ_ERR_FILTER, "strncmp takes more arguments: strncmp(S1, S2, N)" },
	{ "strncmp(prev_pid, \"a\", 1) == 1", 8, QZ_ERR_FILTER, "argument 1 of strncmp is a string" },
	{ "ntohs(prev_comm) == 1", 6, QZ_ERR_FILTER, "argument 1 of ntohs is a number" },
	{ "syscall_name(prev_pid) == 1", 23, QZ_ERR_FILTER, "cannot compare a string with a number" },
	{ "ntohl(1 == 1", 0, QZ_ERR_FILTER, "unbalanced '(' of this call" },
	{ "ntohl(1 2) == 1", 8, QZ_ERR_FILTER, "expected ',' or ')' in the arguments" },
	{ "sizeof(bogus) == 1", 7, QZ_ERR_UNKNOWN_FIELD, "sizeof(bogus): no such field or type" },
	{ "sizeof 1", 7, QZ_ERR_FILTER, "expected an operator" },
};

/*
 * A 4 MB chain of operators (prev_pid+prev_pid+...) or commas: refused at
 * the 4097th with the limit named, where the recursive walks of the tree
 * once overflowed the stack. 4096 still compiles and evaluates.
 */
static void test_long_chains(struct qz_tp_event *ev)
{
	static const char *const joiners[] = { "+", "," };
	size_t len = 4u << 20;
	char *text = malloc(len + 1);
	struct qz_parse_error err;

	for (size_t j = 0; text && j < ARRAY_SIZE(joiners); j++) {
		size_t n = 0;

		while (n + 2 < len) {
			text[n++] = '1';
			text[n++] = joiners[j][0];
		}
		text[n++] = '1';
		text[n] = 0;
		CHECK(qz_filter__compile(text, ev, &err) == NULL);
		CHECK_EQ(errno, QZ_ERR_FILTER);
		CHECK(strstr(err.message, "too many operators (at most 4096)") != NULL);
		CHECK_EQ(err.column, 2 * 4096 + 1);
		/* 4096 operators: fine. */
		text[2 * 4096 + 1] = 0;
		{
			struct qz_filter *f = qz_filter__compile(text, ev, &err);

			CHECK(f != NULL);
			qz_filter__free(f);
		}
	}
	free(text);
}

static void test_errors(void)
{
	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
	char deep[600];

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qz_parse_error err;
		struct qz_filter *f = qz_filter__compile(bad[i].text, ev, &err);

		CHECK(f == NULL);
		qz_filter__free(f);
		if (f || errno != bad[i].err || err.column != bad[i].column ||
		    !strstr(err.message, bad[i].message)) {
			fprintf(stderr, "  \"%s\": got errno %d column %d \"%s\"\n"
				"  want errno %d column %d \"%s\"\n", bad[i].text, errno,
				err.column, err.message, bad[i].err, bad[i].column,
				bad[i].message);
			test_failures++;
		}
	}

	/* Deep nesting is refused, not a stack overflow. */
	memset(deep, '(', 500);
	strcpy(deep + 500, "1");
	{
		struct qz_parse_error err;

		CHECK(qz_filter__compile(deep, ev, &err) == NULL);
		CHECK(strstr(err.message, "filter nests too deeply") != NULL);
		memset(deep, '!', 500);
		CHECK(qz_filter__compile(deep, ev, &err) == NULL);
		CHECK(strstr(err.message, "filter nests too deeply") != NULL);
		for (int i = 0; i < 200; i++)
			memcpy(deep + 3 * i, "1?1", 3);
		strcpy(deep + 600 - 3, ":1");
		CHECK(qz_filter__compile(deep, ev, &err) == NULL);
		CHECK(strstr(err.message, "filter nests too deeply") != NULL);
	}
	CHECK(qz_filter__compile("1", NULL, NULL) == NULL);
	CHECK_EQ(errno, EINVAL);
	test_long_chains(ev);
}

/* Expressions as values: multi-trace's role=. */
static void test_eval(void)
{
	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
	uint8_t rec[128];
	size_t n = rec_sched_switch(rec, "bash", 100, 120, 1, "swapper/0", 0, 120);
	struct qz_filter *f = qz_filter__compile("(next_pid ? 2 : 0) | (prev_pid ? 1 : 0)",
						 ev, NULL);

	CHECK(f != NULL);
	CHECK_EQ(qz_filter__eval(f, rec, n), 1);
	n = rec_sched_switch(rec, "swapper/0", 0, 120, 0, "bash", 100, 120);
	CHECK_EQ(qz_filter__eval(f, rec, n), 2);
	CHECK_EQ(qz_filter__match(f, rec, n), 1);
	qz_filter__free(f);
	f = qz_filter__compile("prev_prio - next_prio * 2", ev, NULL);
	CHECK_EQ(qz_filter__eval(f, rec, n), -120);
	qz_filter__free(f);
	f = qz_filter__compile("", ev, NULL);
	CHECK_EQ(qz_filter__eval(f, rec, n), 0);
	qz_filter__free(f);
}

static const struct {
	const char *text;
	int want;
} user_cases[] = {
	{ "pid<prio", 1 },
	{ "next_pid<next_prio&&next_pid>0", 1 },
	{ "id==110&&common_pid>id", 1 },
	{ "prev_pid==1", 0 },
	{ "prev_pid==1 && next_pid>0 || !(prev_comm==\"a\")", 0 },
	{ "prev_comm ~ \"a*\"", 0 },
	{ "prev_state & 2", 0 },
	{ "prev_pid > -1", 0 },
	{ "prev_pid+1==2", 1 },
	{ "1==prev_pid", 1 },
	{ "prev_pid", 1 },
	{ "args[1] == 2", 1 },
	{ "prev_pid == 1 && (prev_prio * 2) > 3", 1 },
	{ "prev_pid ? 1 : 0", 1 },
	{ "", 0 },
};

static void test_needs_user_space(void)
{
	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
	struct qz_parse_error err;
	struct qz_filter *f;

	for (size_t i = 0; i < ARRAY_SIZE(user_cases); i++) {
		int got = qz_filter__text_needs_user_space(user_cases[i].text, &err);

		if (got != user_cases[i].want) {
			fprintf(stderr, "  \"%s\": got %d want %d\n", user_cases[i].text,
				got, user_cases[i].want);
			test_failures++;
		}
	}
	CHECK_EQ(qz_filter__text_needs_user_space("prev_pid ==", &err), -QZ_ERR_FILTER);
	CHECK_EQ(err.column, 11);

	/* Text alone cannot tell a bare word from a field; the format can. */
	CHECK_EQ(qz_filter__text_needs_user_space("prev_comm == bash", NULL), 1);
	f = qz_filter__compile("prev_comm == bash", ev, NULL);
	CHECK(f && !qz_filter__needs_user_space(f));
	CHECK_STR(qz_filter__text(f), "prev_comm == bash");
	qz_filter__free(f);
	f = qz_filter__compile("next_pid < next_prio", ev, NULL);
	CHECK(f && qz_filter__needs_user_space(f));
	qz_filter__free(f);
	qz_filter__free(NULL);
}

static const char *fake_ksymbol(uint64_t addr, void *ctx)
{
	(void)ctx;
	return addr == 100 ? "schedule_timeout" : NULL;
}

static const char *fake_comm(int pid, void *ctx)
{
	(void)ctx;
	return pid == 5 ? "kworker/0:1" : NULL;
}

static int64_t value_of(const char *text, const void *rec, size_t size,
			const struct qz_sample *smp)
{
	QZ_OPTS(qz_filter_opts, opts, .ksymbol = fake_ksymbol, .comm = fake_comm,
		.period = 1000);
	struct qz_parse_error err;
	struct qz_filter *f = qz_filter__compile_opts(text, qz_tp__event(tp, "sched",
									  "sched_switch"),
						     &opts, &err);
	int64_t v;

	if (!f) {
		fprintf(stderr, "  \"%s\" did not compile: %d: %s\n", text, err.column,
			err.message);
		test_failures++;
		return INT64_MIN;
	}
	if (smp)
		v = qz_filter__eval_sample(f, smp);
	else
		v = qz_filter__eval(f, rec, size);
	qz_filter__free(f);
	return v;
}

/* perf-prof's expression language: variables, casts, calls, the comma. */
static const struct {
	const char *text;
	int64_t want;
} expr_cases[] = {
	{ "_cpu", 3 },
	{ "_pid", 40 },
	{ "_tid", 41 },
	{ "_time", 123456789 },
	{ "_period", 7 },
	{ "(_cpu << 16) | prev_pid", (3 << 16) | 100 },
	{ "(_cpu<<16)|next_pid", (3 << 16) | 5 },
	{ "_cpu == 3 && prev_pid == 100", 1 },
	{ "(char)0x1ff", -1 },
	{ "(unsigned char)0x1ff", 255 },
	{ "(signed char)0x80", -128 },
	{ "(short)0x18000", -32768 },
	{ "(u16)-1", 65535 },
	{ "(int)0x1ffffffff", -1 },
	{ "(unsigned)-1", 4294967295ll },
	{ "(unsigned int)-1", 4294967295ll },
	{ "(long)-1", -1 },
	{ "(unsigned long long)prev_pid", 100 },
	{ "(long int)prev_pid", 100 },
	{ "(char *)prev_pid", 100 },
	{ "(u8)prev_pid + (s8)0xff", 99 },
	{ "+prev_pid", 100 },
	{ "(1, 2)", 2 },
	{ "(prev_pid, next_pid) == 5", 1 },
	{ "sizeof(prev_comm)", 16 },
	{ "sizeof(prev_pid)", 4 },
	{ "sizeof(int)", 4 },
	{ "sizeof(unsigned long)", 8 },
	{ "sizeof(u16)", 2 },
	{ "ntohl(0x01020304)", 0x04030201 },
	{ "ntohl(0x80)", (int32_t)0x80000000 },
	{ "ntohs(0x0102)", 0x0201 },
	{ "strncmp(prev_comm, \"ba\", 2)", 0 },
	{ "strncmp(prev_comm, \"bz\", 2) < 0", 1 },
	{ "strncmp(prev_comm, \"bash-more\", 9) < 0", 1 },
	{ "strncmp(prev_comm, \"bash\", 100)", 0 },
	{ "ksymbol(prev_pid) == \"schedule_timeout\"", 1 },
	{ "ksymbol(prev_pid) ~ \"sched*\"", 1 },
	{ "ksymbol(next_pid) == \"\"", 1 },
	{ "comm_get(next_pid) ~ \"kworker*\"", 1 },
	{ "comm_get(_tid) == \"\"", 1 },
	{ "exit_reason_str(1, 0) == \"EXCEPTION_NMI\"", 1 },
	{ "exit_reason_str(1, 12) == \"HLT\"", 1 },
	{ "exit_reason_str(2, 0x78) == \"hlt\"", 1 },
	{ "exit_reason_str(3, 0) == \"\"", 1 },
	{ "(prev_pid ? \"yes\" : \"no\") == \"yes\"", 1 },
	/* '~' binds as '<' does, tighter than '==' */
	{ "prev_comm ~ \"b*\" == 1", 1 },
	{ "next_comm ~ \"b*\" == 0", 1 },
	/* perf-prof's examples */
	{ "(((prev_state>>18)&1)?42:0) + ((prev_pid>>2)&0x3f)", 25 },
	{ "(next_pid?1:0)|(prev_pid?2:0)", 3 },
	{ "prev_prio<10?prev_pid*1000:prev_pid", 100 },
	{ "prev_pid*10000+next_pid", 1000005 },
	{ "(4096<<prev_state)", 8192 },
};

static void test_expressions(void)
{
	uint8_t rec[128];
	size_t n = rec_sched_switch(rec, "bash", 100, 120, 1, "kworker/0:1", 5, 100);
	struct qz_sample smp = {
		.sz = sizeof(smp),
		.type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU |
			PERF_SAMPLE_PERIOD | PERF_SAMPLE_RAW,
		.pid = 40, .tid = 41, .time = 123456789, .cpu = 3, .period = 7,
		.raw = rec, .raw_size = (uint32_t)n,
	};
	char name[64];
	long nr = qz_syscall_nr("getppid");

	for (size_t i = 0; i < ARRAY_SIZE(expr_cases); i++) {
		int64_t got = value_of(expr_cases[i].text, rec, n, &smp);

		if (got != expr_cases[i].want) {
			fprintf(stderr, "  \"%s\": got %lld want %lld\n", expr_cases[i].text,
				(long long)got, (long long)expr_cases[i].want);
			test_failures++;
		}
	}
	/* Without a sample, variables read 0 and _period its fallback. */
	CHECK_EQ(value_of("_cpu + _pid + _tid + _time", rec, n, NULL), 0);
	CHECK_EQ(value_of("_period", rec, n, NULL), 1000);
	/* A sample without PERF_SAMPLE_PERIOD (period=N events) gives N. */
	smp.type &= ~(uint64_t)PERF_SAMPLE_PERIOD;
	CHECK_EQ(value_of("_period", rec, n, &smp), 1000);

	/* System call names, from this architecture's table. */
	CHECK(nr >= 0);
	CHECK_STR(qz_syscall_name(nr), "getppid");
	CHECK(qz_syscall_name(-1) == NULL);
	CHECK(qz_syscall_name(1 << 20) == NULL);
	CHECK_EQ(qz_syscall_nr("no_such_call"), -1);
	snprintf(name, sizeof(name), "syscall_name(%ld) == \"getppid\"", nr);
	CHECK_EQ(value_of(name, rec, n, &smp), 1);

	/* The kernel cannot run a variable or a call: user space does. */
	CHECK_EQ(qz_filter__text_needs_user_space("_cpu == 1", NULL), 1);
	CHECK_EQ(qz_filter__text_needs_user_space("ntohs(prev_pid) == 1", NULL), 1);
	CHECK_EQ(qz_filter__text_needs_user_space("prev_pid == 1", NULL), 0);
}

/* Values as text: strings, numbers and printkey='s printf. */
static void test_eval_str(void)
{
	QZ_OPTS(qz_filter_opts, vopts, .ksymbol = fake_ksymbol, .flags = QZ_FILTER_VALUE);
	QZ_OPTS(qz_filter_opts, kopts, .flags = QZ_FILTER_KEY | QZ_FILTER_PRINTF);
	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
	uint8_t rec[128];
	size_t n = rec_sched_switch(rec, "bash", 100, 120, 1, "kworker/0:1", 5, 100);
	struct qz_sample smp = { .sz = sizeof(smp), .raw = rec, .raw_size = (uint32_t)n,
				 .cpu = 1 };
	struct qz_parse_error err;
	struct qz_filter *f;
	char buf[64];

	f = qz_filter__compile_opts("ksymbol(prev_pid)", ev, &vopts, &err);
	CHECK(f && qz_filter__is_str(f));
	CHECK_EQ(qz_filter__eval_str(f, &smp, 0, buf, sizeof(buf)), 16);
	CHECK_STR(buf, "schedule_timeout");
	CHECK_EQ(qz_filter__eval_str(f, &smp, 0, buf, 6), 16);
	CHECK_STR(buf, "sched");
	qz_filter__free(f);
	f = qz_filter__compile_opts("prev_comm", ev, &vopts, &err);
	CHECK(f && qz_filter__is_str(f));
	qz_filter__eval_str(f, &smp, 0, buf, sizeof(buf));
	CHECK_STR(buf, "bash");
	qz_filter__free(f);
	f = qz_filter__compile_opts("prev_pid - 200", ev, &vopts, &err);
	CHECK(f && !qz_filter__is_str(f));
	qz_filter__eval_str(f, &smp, 0, buf, sizeof(buf));
	CHECK_STR(buf, "-100");
	qz_filter__free(f);
	/* A condition must not be a string; a value may. */
	CHECK(qz_filter__compile_opts("prev_comm", ev, NULL, &err) == NULL);

	/* printkey=: only `key`, and printf formats it. */
	f = qz_filter__compile_opts("printf(\"  %03d      %d\",key>>32,(int)key)", NULL, &kopts,
				    &err);
	CHECK(f != NULL);
	CHECK_EQ(qz_filter__eval_str(f, NULL, 3ull << 32 | 7, buf, sizeof(buf)), 12);
	CHECK_STR(buf, "  003      7");
	qz_filter__free(f);
	f = qz_filter__compile_opts("printf(\"cpu%d->vec%d\",key/1000,key%1000)", NULL, &kopts,
				    &err);
	qz_filter__eval_str(f, NULL, 2042, buf, sizeof(buf));
	CHECK_STR(buf, "cpu2->vec42");
	qz_filter__free(f);
	f = qz_filter__compile_opts("printf(\"%-4s|%x|%X|%o|%%|%c|%5.2d\", \"ab\", key, 255, 8, 65, 3)",
				    NULL, &kopts, &err);
	CHECK(f != NULL);
	qz_filter__eval_str(f, NULL, 255, buf, sizeof(buf));
	CHECK_STR(buf, "ab  |ff|FF|10|%|A|   03");
	qz_filter__free(f);
	f = qz_filter__compile_opts("printf(\"%lx|%s|%p|%hhd|%hu\", -1, syscall_name(key - 255), 4096, "
				    "key, -1)", NULL, &kopts, &err);
	CHECK(f != NULL);
	if (f) {
		char want[64];

		snprintf(want, sizeof(want), "ffffffffffffffff|%s|0x1000|-1|65535",
			 qz_syscall_name(0) ? qz_syscall_name(0) : "");
		qz_filter__eval_str(f, NULL, 255, buf, sizeof(buf));
		CHECK_STR(buf, want);
	}
	qz_filter__free(f);
	CHECK(!qz_filter__compile_opts("printf(\"%d%d%d%d%d%d%d\", 1, 2, 3, 4, 5, 6, 7)", NULL,
				       &kopts, &err));
	CHECK(strstr(err.message, "printf takes fewer arguments") != NULL);
	f = qz_filter__compile_opts("key", NULL, &kopts, &err);
	qz_filter__eval_str(f, NULL, 18446744073709551615ull, buf, sizeof(buf));
	CHECK_STR(buf, "18446744073709551615");
	qz_filter__free(f);

	/* printf's format is checked against its arguments at compile time. */
	CHECK(!qz_filter__compile_opts("printf(\"%d %d\", key)", NULL, &kopts, &err));
	CHECK(strstr(err.message, "more conversions than arguments") != NULL);
	CHECK(!qz_filter__compile_opts("printf(\"%d\", key, key)", NULL, &kopts, &err));
	CHECK(strstr(err.message, "more arguments than the format has conversions") != NULL);
	CHECK_EQ(err.column, 18);
	CHECK(!qz_filter__compile_opts("printf(\"%s\", key)", NULL, &kopts, &err));
	CHECK(strstr(err.message, "%s needs a string here") != NULL);
	CHECK(!qz_filter__compile_opts("printf(\"%d\", syscall_name(key))", NULL, &kopts, &err));
	CHECK(strstr(err.message, "%d needs a number here") != NULL);
	CHECK(!qz_filter__compile_opts("printf(\"%n\", key)", NULL, &kopts, &err));
	CHECK(strstr(err.message, "is not one of") != NULL);
	CHECK(!qz_filter__compile_opts("printf(\"%*d\", key)", NULL, &kopts, &err));
	CHECK(!qz_filter__compile_opts("printf(syscall_name(key))", NULL, &kopts, &err));
	CHECK(strstr(err.message, "format must be a \"string\"") != NULL);
	CHECK(!qz_filter__compile_opts("prev_pid", NULL, &kopts, &err));
	CHECK(strstr(err.message, "printkey= reads only the variable key") != NULL);

	/* No format: the variables only. */
	f = qz_filter__compile_opts("_cpu == 1", NULL, NULL, &err);
	CHECK(f && qz_filter__match_sample(f, &smp));
	qz_filter__free(f);
	CHECK(!qz_filter__compile_opts("prev_pid == 1", NULL, NULL, &err));
	CHECK(strstr(err.message, "this event has no fields") != NULL);
}

int main(void)
{
	tp = test_tp();
	if (!tp) {
		fprintf(stderr, "cannot build the test formats\n");
		return 1;
	}
	RUN(test_sched_switch);
	RUN(test_other_formats);
	RUN(test_errors);
	RUN(test_eval);
	RUN(test_needs_user_space);
	RUN(test_expressions);
	RUN(test_eval_str);
	qz_tp__free(tp);
	return test_result();
}
