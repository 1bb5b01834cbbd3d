// SPDX-License-Identifier: MIT
/*
 * Tracepoint decoding without tracefs: this kernel's formats as text,
 * hand-built records, field readers, print fmt output and typed JSON.
 */
#include <json-c/json.h>
#include <quazar/json.h>
#include <quazar/tp.h>
#include "../test.h"
#include "records.h"

static struct qz_tp *tp;

static const struct qz_tp_field *field(const char *sys, const char *name,
				       const char *fname)
{
	return qz_tp_event__field(qz_tp__event(tp, sys, name), fname);
}

static void test_events(void)
{
	struct qz_tp_event *ev = qz_tp__event(tp, "sched", "sched_switch");
	struct qz_tp_event *again;

	CHECK(ev != NULL);
	CHECK_EQ(qz_tp_event__id(ev), ID_SCHED_SWITCH);
	CHECK_STR(qz_tp_event__sys(ev), "sched");
	CHECK_STR(qz_tp_event__name(ev), "sched_switch");
	CHECK_EQ(qz_tp_event__min_size(ev), 64);
	CHECK_EQ(qz_tp_event__nr_fields(ev), 11);
	CHECK_STR(qz_tp_field__name(qz_tp_event__field_at(ev, 0)), "common_type");
	CHECK_STR(qz_tp_field__name(qz_tp_event__field_at(ev, 10)), "next_prio");
	CHECK(qz_tp_event__field_at(ev, 11) == NULL);
	CHECK(qz_tp__event_by_id(tp, ID_KMALLOC) == qz_tp__event(tp, "kmem", "kmalloc"));
	/* Adding the same format again returns the same event. */
	CHECK_EQ(qz_tp__add_format(tp, "sched", SCHED_SWITCH_FMT, &again), 0);
	CHECK(again == ev);

	errno = 0;
	CHECK(qz_tp__event(tp, "sched", "sched_swich") == NULL);
	CHECK_EQ(errno, QZ_ERR_UNKNOWN_EVENT);
	CHECK(qz_tp__event_by_id(tp, 1) == NULL);
	CHECK_EQ(qz_tp__add_format(tp, "x", "name: broken\nID: what\n", NULL),
		 -QZ_ERR_UNKNOWN_EVENT);
	CHECK(qz_tp__tracing_dir(tp) == NULL);
}

static void test_field_meta(void)
{
	const struct qz_tp_field *f;

	f = field("sched", "sched_switch", "prev_comm");
	CHECK_EQ(qz_tp_field__flags(f), QZ_TP_FIELD_STRING | QZ_TP_FIELD_ARRAY);
	CHECK_EQ(qz_tp_field__offset(f), 8);
	CHECK_EQ(qz_tp_field__size(f), 16);
	CHECK_EQ(qz_tp_field__elem_size(f), 1);
	CHECK_STR(qz_tp_field__type(f), "char[16]");
	f = field("sched", "sched_switch", "prev_state");
	CHECK_EQ(qz_tp_field__flags(f), QZ_TP_FIELD_SIGNED | QZ_TP_FIELD_LONG);
	CHECK_EQ(qz_tp_field__size(f), 8);
	f = field("sched", "sched_switch", "common_pid");
	CHECK_EQ(qz_tp_field__flags(f), QZ_TP_FIELD_SIGNED | QZ_TP_FIELD_COMMON);
	f = field("sched", "sched_process_exec", "filename");
	CHECK_EQ(qz_tp_field__flags(f) & ~QZ_TP_FIELD_POINTER,
		 QZ_TP_FIELD_STRING | QZ_TP_FIELD_ARRAY | QZ_TP_FIELD_DYNAMIC);
	f = field("bridge", "br_fdb_add", "addr");
	CHECK_EQ(qz_tp_field__flags(f), QZ_TP_FIELD_ARRAY);
	CHECK_EQ(qz_tp_field__elem_size(f), 1);
	f = field("raw_syscalls", "sys_enter", "args");
	CHECK_EQ(qz_tp_field__flags(f) & (QZ_TP_FIELD_ARRAY | QZ_TP_FIELD_STRING),
		 QZ_TP_FIELD_ARRAY);
	CHECK_EQ(qz_tp_field__elem_size(f), 8);
	f = field("kmem", "kmalloc", "ptr");
	CHECK(qz_tp_field__flags(f) & QZ_TP_FIELD_POINTER);
	f = field("test", "rel_test", "msg");
	CHECK_EQ(qz_tp_field__flags(f) & (QZ_TP_FIELD_RELATIVE | QZ_TP_FIELD_DYNAMIC |
					  QZ_TP_FIELD_STRING),
		 QZ_TP_FIELD_RELATIVE | QZ_TP_FIELD_DYNAMIC | QZ_TP_FIELD_STRING);
	CHECK(field("sched", "sched_switch", "nope") == NULL);
	CHECK_EQ(qz_tp_field__flags(NULL), 0);
}

static void test_readers(void)
{
	uint8_t rec[256];
	const struct qz_tp_field *f;
	const void *data;
	const char *s;
	size_t n, len;
	uint64_t args[6] = { 1, 2, 3, 4, 5, 0xfedcba9876543210ull };
	uint8_t addr[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };

	n = rec_sched_switch(rec, "bash", -1, 120, 0x401, "swapper/1", 0, 120);
	f = field("sched", "sched_switch", "prev_pid");
	CHECK_EQ(qz_tp_field__s64(f, rec, n), -1);
	CHECK_EQ(qz_tp_field__u64(f, rec, n), 0xffffffffull);
	f = field("sched", "sched_switch", "prev_state");
	CHECK_EQ(qz_tp_field__s64(f, rec, n), 0x401);
	f = field("sched", "sched_switch", "common_type");
	CHECK_EQ(qz_tp_field__u64(f, rec, n), ID_SCHED_SWITCH);
	f = field("sched", "sched_switch", "next_comm");
	s = qz_tp_field__str(f, rec, n, &len);
	CHECK(s && len == 9 && !memcmp(s, "swapper/1", 9));
	CHECK_EQ(qz_tp_field__nr_elems(f, rec, n), 16);
	CHECK_EQ(qz_tp_field__elem_u64(f, rec, n, 0), 's');
	CHECK_EQ(qz_tp_field__elem_u64(f, rec, n, 16), 0);
	/* A record too short for the field reads as nothing. */
	f = field("sched", "sched_switch", "next_prio");
	CHECK_EQ(qz_tp_field__u64(f, rec, 63), 0);
	CHECK_EQ(qz_tp_field__u64(f, rec, 64), 120);
	CHECK(qz_tp_field__str(field("sched", "sched_switch", "next_comm"), rec, 50, &len) == NULL);

	n = rec_sys_enter(rec, 5, -38, args);
	f = field("raw_syscalls", "sys_enter", "id");
	CHECK_EQ(qz_tp_field__s64(f, rec, n), -38);
	f = field("raw_syscalls", "sys_enter", "args");
	CHECK_EQ(qz_tp_field__nr_elems(f, rec, n), 6);
	CHECK_EQ(qz_tp_field__elem_u64(f, rec, n, 1), 2);
	CHECK(qz_tp_field__elem_u64(f, rec, n, 5) == 0xfedcba9876543210ull);
	CHECK_EQ(qz_tp_field__elem_u64(f, rec, n, 6), 0);

	n = rec_exec(rec, 42, "/usr/bin/ls");
	f = field("sched", "sched_process_exec", "filename");
	s = qz_tp_field__str(f, rec, n, &len);
	CHECK(s && len == 11 && !memcmp(s, "/usr/bin/ls", 11));
	CHECK_EQ(qz_tp_field__data(f, rec, n, &data, &len), 0);
	CHECK(data == rec + 20 && len == 12);
	/* The __data_loc word pointing outside the record is refused. */
	CHECK_EQ(qz_tp_field__data(f, rec, n - 1, &data, &len), -QZ_ERR_RECORD_SHORT);
	CHECK(qz_tp_field__str(f, rec, n - 1, &len) == NULL);

	n = rec_br_fdb_add(rec, "br0", addr, 100);
	f = field("bridge", "br_fdb_add", "addr");
	CHECK_EQ(qz_tp_field__nr_elems(f, rec, n), 6);
	CHECK_EQ(qz_tp_field__elem_u64(f, rec, n, 3), 0xef);
	f = field("bridge", "br_fdb_add", "dev");
	s = qz_tp_field__str(f, rec, n, &len);
	CHECK(s && len == 3 && !memcmp(s, "br0", 3));
	f = field("bridge", "br_fdb_add", "vid");
	CHECK_EQ(qz_tp_field__u64(f, rec, n), 100);

	n = rec_rel(rec, "relative", 9);
	f = field("test", "rel_test", "msg");
	s = qz_tp_field__str(f, rec, n, &len);
	CHECK(s && len == 8 && !memcmp(s, "relative", 8));
	CHECK(s == (const char *)rec + 16);
}

static void check_print(const char *sys, const char *name, const void *rec,
			size_t n, const char *want)
{
	char buf[512];
	int ret = qz_tp_event__print(qz_tp__event(tp, sys, name), rec, n, buf, sizeof(buf));

	CHECK_EQ(ret, (int)strlen(want));
	CHECK_STR(buf, want);
}

/* The readers as they were: byte by byte, bounded, sign-extended by size. */
static int64_t ref_read(const struct qz_tp_field *f, const uint8_t *raw, size_t size,
			bool sign)
{
	unsigned off = qz_tp_field__offset(f), n = qz_tp_field__size(f);
	uint64_t v = 0;

	if (off > size || n > size - off || (n != 1 && n != 2 && n != 4 && n != 8))
		return 0;
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)raw[off + i] << (8 * i);
	if (sign && (qz_tp_field__flags(f) & QZ_TP_FIELD_SIGNED) && n < 8 &&
	    (v >> (8 * n - 1) & 1))
		v |= ~0ull << (8 * n);
	return (int64_t)v;
}

/*
 * u64 and s64 are one load of the word ending with the field: every field
 * of every format, over random bytes, at every record size up to past its
 * end (each in an exact-size block: ASan sees a read past it), read as
 * the byte-by-byte reference reads it.
 */
static void test_readers_every_field(void)
{
	static const char *const events[][2] = {
		{ "sched", "sched_switch" }, { "sched", "sched_wakeup" },
		{ "sched", "sched_process_exec" }, { "kmem", "kmalloc" },
		{ "bridge", "br_fdb_add" }, { "raw_syscalls", "sys_enter" },
		{ "test", "rel_test" },
	};
	uint64_t rng = 0x9e3779b97f4a7c15ull, checked = 0, words = 0;
	uint8_t bytes[128];

	for (size_t e = 0; e < ARRAY_SIZE(events); e++) {
		struct qz_tp_event *ev = qz_tp__event(tp, events[e][0], events[e][1]);

		CHECK(ev != NULL);
		for (int i = 0; ev && i < qz_tp_event__nr_fields(ev); i++) {
			const struct qz_tp_field *f = qz_tp_event__field_at(ev, i);
			size_t end = qz_tp_field__offset(f) + qz_tp_field__size(f);
			struct qz_tp_word w;
			bool word = !qz_tp_field__word(f, &w);

			words += word;

			for (int round = 0; round < 8; round++) {
				for (size_t k = 0; k < sizeof(bytes); k++) {
					rng ^= rng << 13;
					rng ^= rng >> 7;
					rng ^= rng << 17;
					bytes[k] = (uint8_t)rng;
				}
				for (size_t size = 0; size <= end + 2 && size <= sizeof(bytes); size++) {
					uint8_t *raw = malloc(size ? size : 1);

					memcpy(raw, bytes, size);
					/* and the inline reads, where the field has them */
					if ((uint64_t)qz_tp_field__u64(f, raw, size) !=
					    (uint64_t)ref_read(f, raw, size, false) ||
					    qz_tp_field__s64(f, raw, size) != ref_read(f, raw, size, true) ||
					    (word && (qz_tp_word__u64(&w, raw, size) !=
						      (uint64_t)ref_read(f, raw, size, false) ||
						      qz_tp_word__s64(&w, raw, size) !=
						      ref_read(f, raw, size, true)))) {
						fprintf(stderr, "%s:%s %s, size %zu: u64 0x%llx s64 %lld\n",
							events[e][0], events[e][1], qz_tp_field__name(f), size,
							(unsigned long long)qz_tp_field__u64(f, raw, size),
							(long long)qz_tp_field__s64(f, raw, size));
						test_failures++;
					}
					free(raw);
					checked++;
				}
			}
		}
	}
	CHECK(checked > 1000);
	CHECK(words > 10);
	CHECK_EQ(qz_tp_field__word(NULL, NULL), -ENOTSUP);
	CHECK_EQ(qz_tp_field__word(field("sched", "sched_switch", "prev_comm"), &(struct qz_tp_word){ 0 }),
		 -ENOTSUP);
	CHECK_EQ(qz_tp_field__u64(NULL, bytes, sizeof(bytes)), 0);
	CHECK_EQ(qz_tp_field__s64(field("sched", "sched_switch", "prev_pid"), NULL, 64), 0);
}

static void test_print(void)
{
	uint8_t rec[256];
	uint64_t args[6] = { 1, 0x2a, 0, 0, 0, 0xffff };
	uint8_t addr[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
	char small[16];
	size_t n;

	n = rec_sched_switch(rec, "bash", 100, 120, 1, "kworker/0:1", 5, 100);
	check_print("sched", "sched_switch", rec, n,
		    "prev_comm=bash prev_pid=100 prev_prio=120 prev_state=S ==> "
		    "next_comm=kworker/0:1 next_pid=5 next_prio=100");
	n = rec_sched_switch(rec, "a", 1, 120, 0, "b", 2, 120);
	check_print("sched", "sched_switch", rec, n,
		    "prev_comm=a prev_pid=1 prev_prio=120 prev_state=R ==> "
		    "next_comm=b next_pid=2 next_prio=120");
	n = rec_sched_switch(rec, "a", 1, 120, 2 | 0x100, "b", 2, 120);
	check_print("sched", "sched_switch", rec, n,
		    "prev_comm=a prev_pid=1 prev_prio=120 prev_state=D+ ==> "
		    "next_comm=b next_pid=2 next_prio=120");
	n = rec_exec(rec, 42, "/usr/bin/ls");
	check_print("sched", "sched_process_exec", rec, n,
		    "filename=/usr/bin/ls pid=42 old_pid=42");
	n = rec_sys_enter(rec, 1, 110, args);
	check_print("raw_syscalls", "sys_enter", rec, n, "NR 110 (1, 2a, 0, 0, 0, ffff)");
	n = rec_br_fdb_add(rec, "br0", addr, 100);
	check_print("bridge", "br_fdb_add", rec, n,
		    "dev br0 addr de:ad:be:ef:00:01 vid 100 nlh_flags 0601 ndm_flags 82");
	n = rec_rel(rec, "hello", -3);
	check_print("test", "rel_test", rec, n, "msg=hello val=-3");

	/* snprintf semantics: the full length, a truncated buffer. */
	n = rec_exec(rec, 42, "/usr/bin/ls");
	CHECK_EQ(qz_tp_event__print(qz_tp__event(tp, "sched", "sched_process_exec"), rec, n,
				    small, sizeof(small)), 38);
	CHECK_STR(small, "filename=/usr/b");

	/* Records that do not fit the event are refused, not printed. */
	CHECK_EQ(qz_tp_event__print(qz_tp__event(tp, "sched", "sched_process_exec"), rec, 19,
				    small, sizeof(small)), -QZ_ERR_RECORD_SHORT);
	CHECK_EQ(qz_tp_event__print(qz_tp__event(tp, "sched", "sched_process_exec"), rec, n - 1,
				    small, sizeof(small)), -QZ_ERR_RECORD_SHORT);
	CHECK_EQ(qz_tp_event__print(qz_tp__event(tp, "sched", "sched_switch"), rec, 68,
				    small, sizeof(small)), -EINVAL);
}

static struct json_object *get(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type)) {
		fprintf(stderr, "  key %s missing or of type %d\n", key,
			v ? (int)json_object_get_type(v) : -1);
		test_failures++;
		return NULL;
	}
	return v;
}

static struct json_object *to_json(const char *sys, const char *name,
				   const void *rec, size_t n, unsigned flags)
{
	struct qz_json *j = qz_json__new();
	struct json_object *o;

	qz_json__begin_object(j);
	qz_json__key_str(j, "event", name);
	CHECK_EQ(qz_tp_event__write_json(qz_tp__event(tp, sys, name), rec, n, j, flags), 0);
	qz_json__end_object(j);
	o = json_tokener_parse(qz_json__data(j));
	if (!o) {
		fprintf(stderr, "  unparsable: %s\n", qz_json__data(j));
		test_failures++;
	}
	qz_json__free(j);
	return o;
}

static void test_json(void)
{
	uint8_t rec[256];
	uint64_t args[6] = { 1, 2, 3, 4, 5, 0xfedcba9876543210ull };
	uint8_t addr[6] = { 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01 };
	struct json_object *o, *v;
	size_t n;

	n = rec_sched_switch(rec, "bash \"q\"", -1, 120, 1, "kworker/0:1", 5, 100);
	o = to_json("sched", "sched_switch", rec, n, 0);
	if (o) {
		CHECK_STR(json_object_get_string(get(o, "prev_comm", json_type_string)), "bash \"q\"");
		CHECK_EQ(json_object_get_int64(get(o, "prev_pid", json_type_int)), -1);
		CHECK_EQ(json_object_get_int64(get(o, "prev_state", json_type_int)), 1);
		CHECK_EQ(json_object_get_int64(get(o, "next_prio", json_type_int)), 100);
		CHECK(!json_object_object_get_ex(o, "common_pid", NULL));
		CHECK_EQ(json_object_object_length(o), 8);
		json_object_put(o);
	}
	o = to_json("sched", "sched_switch", rec, n, QZ_TP_JSON_COMMON);
	if (o) {
		CHECK_EQ(json_object_get_int64(get(o, "common_pid", json_type_int)), -1);
		CHECK_EQ(json_object_get_int64(get(o, "common_type", json_type_int)), ID_SCHED_SWITCH);
		CHECK_EQ(json_object_object_length(o), 12);
		json_object_put(o);
	}
	n = rec_sys_enter(rec, 1, 110, args);
	o = to_json("raw_syscalls", "sys_enter", rec, n, 0);
	if (o) {
		v = get(o, "args", json_type_array);
		CHECK_EQ(v ? json_object_array_length(v) : 0, 6);
		if (v) {
			CHECK_EQ(json_object_get_int64(json_object_array_get_idx(v, 1)), 2);
			CHECK(json_object_get_uint64(json_object_array_get_idx(v, 5)) ==
			      0xfedcba9876543210ull);
		}
		CHECK_EQ(json_object_get_int64(get(o, "id", json_type_int)), 110);
		json_object_put(o);
	}
	n = rec_br_fdb_add(rec, "br0", addr, 100);
	o = to_json("bridge", "br_fdb_add", rec, n, 0);
	if (o) {
		v = get(o, "addr", json_type_array);
		CHECK_EQ(v ? json_object_array_length(v) : 0, 6);
		if (v)
			CHECK_EQ(json_object_get_int(json_object_array_get_idx(v, 0)), 0xde);
		CHECK_STR(json_object_get_string(get(o, "dev", json_type_string)), "br0");
		json_object_put(o);
	}
	n = rec_kmalloc(rec, 1, 0xffffffff81234567ull, 0xffff888000001000ull, 8, 8, 0xcc0, -1);
	o = to_json("kmem", "kmalloc", rec, n, 0);
	if (o) {
		CHECK(json_object_get_uint64(get(o, "call_site", json_type_int)) ==
		      0xffffffff81234567ull);
		CHECK_EQ(json_object_get_int64(get(o, "node", json_type_int)), -1);
		json_object_put(o);
	}
	n = rec_exec(rec, 42, "/usr/bin/ls");
	o = to_json("sched", "sched_process_exec", rec, n, 0);
	if (o) {
		CHECK_STR(json_object_get_string(get(o, "filename", json_type_string)), "/usr/bin/ls");
		json_object_put(o);
	}
	{
		struct qz_json *j = qz_json__new();

		CHECK_EQ(qz_tp_event__write_json(qz_tp__event(tp, "sched", "sched_process_exec"),
						 rec, n - 1, j, 0), -QZ_ERR_RECORD_SHORT);
		CHECK_EQ(qz_json__len(j), 0);
		qz_json__free(j);
	}
}

static int collect(const char *sys, const char *name, void *ctx)
{
	char *out = ctx;

	strcat(out, sys);
	strcat(out, ":");
	strcat(out, name);
	strcat(out, " ");
	return 0;
}

static int stop_at_first(const char *sys, const char *name, void *ctx)
{
	(void)sys;
	(void)name;
	(void)ctx;
	return 7;
}

static void test_expand_suggest(void)
{
	char got[512] = "", buf[128];

	CHECK_EQ(qz_tp__expand(tp, "sched:sched_*", collect, got), 3);
	CHECK_STR(got, "sched:sched_process_exec sched:sched_switch sched:sched_wakeup ");
	got[0] = '\0';
	CHECK_EQ(qz_tp__expand(tp, "*:sched_s*", collect, got), 1);
	CHECK_STR(got, "sched:sched_switch ");
	got[0] = '\0';
	CHECK_EQ(qz_tp__expand(tp, "*:*", NULL, NULL), 7);
	CHECK_EQ(qz_tp__expand(tp, "s?hed:sched_[sw]*", collect, got), 2);
	CHECK_STR(got, "sched:sched_switch sched:sched_wakeup ");
	CHECK_EQ(qz_tp__expand(tp, "kmem:kmalloc", NULL, NULL), 1);
	CHECK_EQ(qz_tp__expand(tp, "sched:*", stop_at_first, NULL), 7);
	CHECK_EQ(qz_tp__expand(tp, "nope:*", NULL, NULL), -QZ_ERR_UNKNOWN_EVENT);
	CHECK_EQ(qz_tp__expand(tp, "kmem:kfree", NULL, NULL), -QZ_ERR_UNKNOWN_EVENT);
	CHECK_EQ(qz_tp__expand(tp, "kmalloc", NULL, NULL), -EINVAL);

	CHECK_EQ(qz_tp__suggest(tp, "sched:sched_swich", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean sched:sched_switch?");
	CHECK_EQ(qz_tp__suggest(tp, "shed:sched_switch", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean sched:sched_switch?");
	CHECK_EQ(qz_tp__suggest(tp, "kmem:kmallok", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean kmem:kmalloc?");
	CHECK_EQ(qz_tp__suggest(tp, "sched_wakeup", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean sched:sched_wakeup?");
	CHECK_EQ(qz_tp__suggest(tp, "zzz:qqqqqqq", buf, sizeof(buf)), -ENOENT);
	CHECK_STR(buf, "");
}

int main(void)
{
	tp = test_tp();
	if (!tp) {
		fprintf(stderr, "cannot build the test formats\n");
		return 1;
	}
	RUN(test_events);
	RUN(test_field_meta);
	RUN(test_readers);
	RUN(test_readers_every_field);
	RUN(test_print);
	RUN(test_json);
	RUN(test_expand_suggest);
	qz_tp__free(tp);
	qz_tp__free(NULL);
	return test_result();
}
