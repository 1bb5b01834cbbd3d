// SPDX-License-Identifier: MIT
/*
 * libquazar-bpf's decoding without a kernel: values through BTF built here
 * (integers, bool, enums, char arrays, arrays, bitfields, anonymous
 * members, typedefs, a section's variables; every read bounded by the
 * bytes given), the record struct guessed by size, and the verifier's log
 * cut to its failing instruction with the explanations of failed loads.
 */
#include <errno.h>
#include <stdint.h>
#include <bpf/btf.h>
#include "bpf_internal.h"
#include "../test.h"

static struct qz_json *j;

static const char *decode(const struct btf *btf, uint32_t id, const void *data, size_t size)
{
	qz_json__reset(j);
	qz__btf_json(btf, id, data, size, j);
	return qz_json__data(j);
}

struct rec {
	uint32_t pid;
	int16_t delta;
	uint8_t flags_lo : 3, flags_hi : 5;
	_Bool on;
	char comm[8];
	uint16_t hist[3];
	int32_t state;	/* an enum */
	union {
		uint64_t addr;
		uint32_t words[2];
	};
} __attribute__((packed));

static int build(struct btf *btf)
{
	int u32 = btf__add_int(btf, "unsigned int", 4, 0);
	int s16 = btf__add_int(btf, "short", 2, BTF_INT_SIGNED);
	int u8 = btf__add_int(btf, "unsigned char", 1, 0);
	int b = btf__add_int(btf, "_Bool", 1, BTF_INT_BOOL);
	int ch = btf__add_int(btf, "char", 1, BTF_INT_SIGNED);
	int u16 = btf__add_int(btf, "unsigned short", 2, 0);
	int u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	int pid_t_ = btf__add_typedef(btf, "pid_t", u32);
	int comm = btf__add_array(btf, u32, ch, 8);
	int hist = btf__add_array(btf, u32, u16, 3);
	int words = btf__add_array(btf, u32, u32, 2);
	int en = btf__add_enum(btf, "state", 4);
	int un, st;

	btf__add_enum_value(btf, "RUNNING", 0);
	btf__add_enum_value(btf, "SLEEPING", 1);
	un = btf__add_union(btf, NULL, 8);
	btf__add_field(btf, "addr", u64, 0, 0);
	btf__add_field(btf, "words", words, 0, 0);
	st = btf__add_struct(btf, "rec", sizeof(struct rec));
	btf__add_field(btf, "pid", pid_t_, 0, 0);
	btf__add_field(btf, "delta", s16, 32, 0);
	btf__add_field(btf, "flags_lo", u8, 48, 3);
	btf__add_field(btf, "flags_hi", u8, 51, 5);
	btf__add_field(btf, "on", b, 56, 0);
	btf__add_field(btf, "comm", comm, 64, 0);
	btf__add_field(btf, "hist", hist, 128, 0);
	btf__add_field(btf, "state", en, 176, 0);
	btf__add_field(btf, NULL, un, 208, 0);
	return st;
}

static void test_struct(void)
{
	struct btf *btf = btf__new_empty();
	int id = build(btf);
	struct rec r = {
		.pid = 4242, .delta = -7, .flags_lo = 5, .flags_hi = 17, .on = 1,
		.comm = "spin", .hist = { 1, 2, 3 }, .state = 1, .addr = 0x100000002ull,
	};

	CHECK(id > 0);
	CHECK_STR(decode(btf, (uint32_t)id, &r, sizeof(r)),
		  "{\"pid\":4242,\"delta\":-7,\"flags_lo\":5,\"flags_hi\":17,\"on\":true,"
		  "\"comm\":\"spin\",\"hist\":[1,2,3],\"state\":\"SLEEPING\","
		  "\"addr\":4294967298,\"words\":[2,1]}");
	/* A comm with no NUL stops at the array's end; an unknown enum is a number. */
	memcpy(r.comm, "12345678", 8);
	r.state = 9;
	CHECK(strstr(decode(btf, (uint32_t)id, &r, sizeof(r)), "\"comm\":\"12345678\",\"hist\""));
	CHECK(strstr(qz_json__data(j), "\"state\":9"));
	/* Short data: what does not fit is null, never read. */
	CHECK_STR(decode(btf, (uint32_t)id, &r, 6),
		  "{\"pid\":4242,\"delta\":-7,\"flags_lo\":null,\"flags_hi\":null,\"on\":null,"
		  "\"comm\":null,\"hist\":null,\"state\":null,\"addr\":null,\"words\":null}");
	/* The record type: by name, else by a size that fits one struct only. */
	CHECK_EQ(qz__btf_find_struct(btf, "rec", 0), id);
	CHECK_EQ(qz__btf_find_struct(btf, NULL, sizeof(r) + 4), id);
	CHECK_EQ(qz__btf_find_struct(btf, NULL, sizeof(r) + 8), -1);
	CHECK_EQ(qz__btf_find_struct(btf, "nope", 0), -1);
	btf__free(btf);
}

static void test_integers_and_sections(void)
{
	struct btf *btf = btf__new_empty();
	int u64 = btf__add_int(btf, "long long unsigned int", 8, 0);
	int s32 = btf__add_int(btf, "int", 4, BTF_INT_SIGNED);
	int va = btf__add_var(btf, "runs", BTF_VAR_GLOBAL_ALLOCATED, u64);
	int vb = btf__add_var(btf, "last", BTF_VAR_GLOBAL_ALLOCATED, s32);
	int sec = btf__add_datasec(btf, ".bss", 16);
	uint64_t data[2] = { 77, 0xffffffffull };
	int64_t v;

	btf__add_datasec_var_info(btf, va, 0, 8);
	btf__add_datasec_var_info(btf, vb, 8, 4);
	CHECK_STR(decode(btf, (uint32_t)sec, data, sizeof(data)), "{\"runs\":77,\"last\":-1}");
	CHECK(qz__btf_integer(btf, (uint32_t)s32, &data[1], 4, &v));
	CHECK_EQ(v, -1);
	CHECK(!qz__btf_integer(btf, (uint32_t)sec, data, sizeof(data), &v));
	CHECK(!qz__btf_integer(btf, (uint32_t)u64, data, 4, &v));	/* too short */
	CHECK_STR(decode(btf, 999, data, sizeof(data)), "null");	/* no such type */
	btf__free(btf);
}

static const char loaded[] =
	"libbpf: prog 'count_unchecked': BPF program load failed: Permission denied\n"
	"libbpf: prog 'count_unchecked': -- BEGIN PROG LOAD LOG --\n"
	"0: R1=ctx(off=0,imm=0) R10=fp0\n"
	"; int count_unchecked(struct bpf_perf_event_data *ctx) @ bad.bpf.c:14\n"
	"0: (b4) w1 = 0                        ; R1_w=0\n"
	"; __u32 key = 0; @ bad.bpf.c:16\n"
	"1: (63) *(u32 *)(r10 -4) = r1        ; R1_w=0 R10=fp0\n"
	"; *v += 1; @ bad.bpf.c:19\n"
	"6: (79) r1 = *(u64 *)(r0 +0)\n"
	"R0 invalid mem access 'map_value_or_null'\n"
	"processed 6 insns (limit 1000000) max_states_per_insn 0 total_states 0\n"
	"-- END PROG LOAD LOG --\n"
	"libbpf: prog 'count_unchecked': failed to load: -13\n"
	"libbpf: failed to load object 'bad.bpf.o'\n";

static void test_verifier_log(void)
{
	char out[4096];

	qz__bpf_verifier_excerpt(loaded, out, sizeof(out));
	CHECK_STR(out, "  ; *v += 1; @ bad.bpf.c:19\n"
		       "  6: (79) r1 = *(u64 *)(r0 +0)\n"
		       "  R0 invalid mem access 'map_value_or_null'");
	qz__bpf_explain(loaded, -EACCES, NULL, out, sizeof(out));
	CHECK(!strncmp(out, "program 'count_unchecked': the verifier rejected it:\n", 53));
	CHECK(strstr(out, "invalid mem access"));
	qz__bpf_explain("libbpf: BTF is required, but is missing or corrupted.\n", -EINVAL, NULL,
			out, sizeof(out));
	CHECK(strstr(out, "no BTF") && strstr(out, "clang -g"));
	qz__bpf_explain("libbpf: failed to parse target BTF: -2\n", -ENOENT, "/x/vmlinux", out,
			sizeof(out));
	CHECK(strstr(out, "/x/vmlinux") && strstr(out, "CO-RE"));
	qz__bpf_explain(NULL, -EPERM, NULL, out, sizeof(out));
	CHECK(strstr(out, "run as root"));
	qz__bpf_verifier_excerpt("no log here", out, sizeof(out));
	CHECK_STR(out, "");
}

/* libbpf's messages reach a capture on this thread, and only there. */
static void test_capture(void)
{
	struct qz_bpf_capture outer, inner;
	struct btf *btf;

	qz__bpf_capture_begin(&outer);
	qz__bpf_capture_begin(&inner);
	btf = btf__parse("/nonexistent/qz-test.btf", NULL);
	qz__bpf_capture_end(&inner);
	CHECK(!btf);
	qz__bpf_capture_end(&outer);
	CHECK(!outer.text || !strstr(outer.text, "nonexistent"));
	qz__bpf_capture_free(&inner);
	qz__bpf_capture_free(&outer);
}

int main(void)
{
	j = qz_json__new();
	RUN(test_struct);
	RUN(test_integers_and_sections);
	RUN(test_verifier_log);
	RUN(test_capture);
	qz_json__free(j);
	return test_failures ? 1 : 0;
}
