/* SPDX-License-Identifier: MIT */
/*
 * libquazar-bpf: a BPF object of your own on quazar's perf events. It is a
 * library of its own (libquazar-bpf.so, pkg-config libquazar-bpf), on top
 * of libquazar and libbpf, so that libquazar does not carry libbpf.
 *
 *	QZ_OPTS(qz_bpf_opts, opts, .on_record = print_record);
 *	struct qz_bpf *b = qz_bpf__open("faults.bpf.o", &opts);
 *	qz_bpf__attach(b, evlist);	// its SEC("perf_event") program on each event
 *	qz_evlist__open(evlist);
 *	qz_evlist__enable(evlist);
 *	while (running) {
 *		qz_bpf__poll(b, 1000);	// records from bpf_perf_event_output
 *		qz_bpf__maps_print(b, stdout);
 *	}
 *	qz_evlist__free(evlist);
 *	qz_bpf__free(b);
 *
 * examples/bpf/ is a complete program; docs/bpf.md walks through it.
 *
 * Records a program writes with bpf_perf_event_output() into a map of type
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY come through quazar's own rings
 * (quazar/ring.h): one PERF_COUNT_SW_BPF_OUTPUT event per CPU, mapped, its
 * fd in the map at the CPU's index. Maps are decoded through the object's
 * BTF (compile with clang -g): integers, enums by name, char arrays as
 * strings, structs and unions by field name, arrays, bitfields.
 *
 * libbpf's messages are captured (libbpf_set_print is set once, process
 * wide) and turned into the errors this library logs: a failed load names
 * the object and the program and quotes the verifier's log cut to the
 * failing instruction.
 */
#ifndef QUAZAR_BPF_H
#define QUAZAR_BPF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/perf_event.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_bpf;
struct qz_evlist;
struct qz_json;
struct bpf_object;

/* One record a program wrote with bpf_perf_event_output(). All borrowed. */
struct qz_bpf_record {
	const char *map;	/* the BPF_MAP_TYPE_PERF_EVENT_ARRAY it went to */
	int cpu;
	uint64_t time;		/* CLOCK_MONOTONIC, ns */
	const void *data;	/* as the program passed it; not aligned */
	uint32_t size;		/* the kernel pads it: up to 7 bytes more */
};

typedef void (*qz_bpf_record_fn)(const struct qz_bpf_record *rec, void *ctx);

struct qz_bpf_opts {
	size_t sz;
	/*
	 * The program to attach to every event. NULL: the one program of the
	 * type each event takes: SEC("perf_event") for hardware, software
	 * and PMU events, SEC("tracepoint") for tracepoints, SEC("uprobe")
	 * for uprobes. Only this program is loaded when it is set.
	 */
	const char *prog;
	/* The kernel's BTF, for CO-RE. NULL: /sys/kernel/btf/vmlinux. */
	const char *btf_path;
	/*
	 * The struct the records are, for qz_bpf__record_json. NULL: a struct
	 * called "event", else the one struct of the object's own whose size
	 * fits the record.
	 */
	const char *record_type;
	qz_bpf_record_fn on_record;	/* NULL: records are read and dropped */
	void *ctx;
	size_t ring_pages;		/* per CPU, a power of two; 0: 64 */
	uint32_t watermark_bytes;	/* wake the reader after; 0: a quarter ring */
	qz_log_fn log;			/* errors: why the object cannot run */
	void *log_ctx;
};

/*
 * Open and load the BPF object at path, and give its perf event arrays
 * their rings. NULL + errno on failure, after logging a message naming
 * the object (and the program, with the verifier's excerpt): EINVAL for a
 * program the verifier rejects or a missing BTF, ENOENT for a missing
 * program or file, EPERM without the privilege to load.
 */
QZ_API struct qz_bpf *qz_bpf__open(const char *path, const struct qz_bpf_opts *opts);
/* Unload and free; accepts NULL. Events it is attached to keep the program. */
QZ_API void qz_bpf__free(struct qz_bpf *b);
/* The object's path as given (borrowed). */
QZ_API const char *qz_bpf__path(const struct qz_bpf *b);
/* libbpf's object, for what this API does not cover (borrowed). */
QZ_API struct bpf_object *qz_bpf__object(struct qz_bpf *b);
/*
 * The fd of the program to attach to an event of this attr, chosen as the
 * opts say; event names it in messages. -errno after logging when none
 * fits (a tracepoint and only a perf_event program, two candidates, ...).
 */
QZ_API int qz_bpf__prog_fd(struct qz_bpf *b, const struct perf_event_attr *attr,
			   const char *event);
/*
 * Attach to every event of evlist (qz_evsel__set_bpf), open or not: the
 * program runs on each of their samples. Events that only count never run
 * it and are refused. 0 or -errno (logged).
 */
QZ_API int qz_bpf__attach(struct qz_bpf *b, struct qz_evlist *evlist);

/* An fd that is readable when a record ring woke up, or -1 without any. */
QZ_API int qz_bpf__fd(const struct qz_bpf *b);
/* Read every record there is, calling on_record in time order across CPUs; returns how many. */
QZ_API int qz_bpf__read(struct qz_bpf *b);
/*
 * Read records as they come for timeout_ms (every ring at least every
 * 100 ms), then return how many were read, or -errno. timeout_ms -1: wait
 * for the first records, read them and return (-EINTR on a signal).
 */
QZ_API int qz_bpf__poll(struct qz_bpf *b, int timeout_ms);
/* Records the kernel dropped because a ring was full. */
QZ_API uint64_t qz_bpf__lost(const struct qz_bpf *b);

/*
 * A record as a JSON value: an object of its struct's fields when the
 * object's BTF has it (see record_type), else a string of hex bytes.
 * 0, or -errno when the JSON writer failed.
 */
QZ_API int qz_bpf__record_json(struct qz_bpf *b, const struct qz_bpf_record *rec,
			       struct qz_json *j);
/* The same as text: "field=value ..." or hex bytes; returns its length. */
QZ_API int qz_bpf__record_text(struct qz_bpf *b, const struct qz_bpf_record *rec,
			       char *buf, size_t len);
/*
 * The object's hash and array maps (and its .bss and .data variables) as
 * a JSON object, each map a list of {"key": K, "value": V} decoded through
 * BTF (per-CPU maps: "value" is the sum of integers, "cpus" the values);
 * array entries that are all zero are left out. Entries with integer
 * values come largest first. 0 or -errno.
 */
QZ_API int qz_bpf__maps_dump(struct qz_bpf *b, struct qz_json *j);
/* The same for people: a heading per map, an entry a line. 0 or -errno. */
QZ_API int qz_bpf__maps_print(struct qz_bpf *b, FILE *f);

/*
 * Kernel symbols named by the kernel, one address at a time: a small
 * program prints the address with bpf_snprintf()'s %pS. A lookup costs a
 * syscall, where naming any address through /proc/kallsyms first costs
 * reading all of it (~40 ms of kernel time). For a symbolizer:
 *
 *	struct qz_bpf_ksym *k = qz_bpf_ksym__new();
 *	if (k)
 *		qz_symbolizer__set_kernel_lookup(sym, qz_bpf_ksym__lookup, k);
 *
 * NULL + errno where it cannot load (kernels before 5.14 have no syscall
 * programs; ENOTSUP when quazar was built without its BPF programs).
 */
struct qz_bpf_ksym;

QZ_API struct qz_bpf_ksym *qz_bpf_ksym__new(void);
/* Accepts NULL. Free it after the symbolizer that uses it. */
QZ_API void qz_bpf_ksym__free(struct qz_bpf_ksym *k);
/* A qz_kernel_lookup_fn (quazar/stack.h); ctx is the struct qz_bpf_ksym. */
QZ_API int qz_bpf_ksym__lookup(void *ctx, uint64_t addr, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
