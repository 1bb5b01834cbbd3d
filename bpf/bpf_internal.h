/* SPDX-License-Identifier: MIT */
/*
 * What libquazar-bpf's files share, and what quazar's own programs'
 * loaders (profilers/) use of it. Never installed.
 */
#ifndef QUAZAR_BPF_INTERNAL_H
#define QUAZAR_BPF_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <quazar/bpf.h>
#include <quazar/json.h>
#include <quazar/ring.h>

/* Where messages go (libquazar's struct qz_logger is its own, hidden). */
struct qz_bpf_logger {
	qz_log_fn fn;
	void *ctx;
};

__attribute__((format(printf, 3, 4)))
void qz__bpf_log(const struct qz_bpf_logger *log, enum qz_log_level level,
		 const char *fmt, ...);

/* Opts from a newer caller with bytes we do not know set: -E2BIG. */
int qz__bpf_opts_check(const void *opts, size_t known_size);

/*
 * libbpf's messages for this thread, captured between begin and end (they
 * nest). Outside a capture they are dropped: the library never prints.
 */
struct qz_bpf_capture {
	char *text;		/* owned, NUL-terminated; NULL when empty */
	size_t len, cap;
	struct qz_bpf_capture *prev;
};
void qz__bpf_capture_begin(struct qz_bpf_capture *c);
void qz__bpf_capture_end(struct qz_bpf_capture *c);
void qz__bpf_capture_free(struct qz_bpf_capture *c);
/*
 * Why a load failed, from the captured text, as lines to follow "OBJECT:":
 * "program 'x': the verifier rejected it:" with the log cut to the failing
 * instruction and the verdict; the missing BTF and what to do; else
 * libbpf's last warnings. err is the load's error.
 */
void qz__bpf_explain(const char *captured, int err, const char *btf_path,
		     char *out, size_t len);
/* The verifier's log in captured cut to its failing instruction, or "". */
void qz__bpf_verifier_excerpt(const char *captured, char *out, size_t len);

/* The kernel's BTF quazar uses, and whether it is there (why not in why). */
#define QZ_BPF_KERNEL_BTF "/sys/kernel/btf/vmlinux"
bool qz__bpf_kernel_btf(char *why, size_t len);

/* btf_json.c: a value of BTF type id at data (size bytes) as JSON. */
int qz__btf_json(const struct btf *btf, uint32_t id, const void *data, size_t size,
		 struct qz_json *j);
/* Whether type id is an integer (after typedefs), and its value then. */
bool qz__btf_integer(const struct btf *btf, uint32_t id, const void *data,
		     size_t size, int64_t *value);
/* A struct named name, or its size fits size (unique among the object's own). */
int32_t qz__btf_find_struct(const struct btf *btf, const char *name, size_t size);

/* One PERF_EVENT_ARRAY's ring on one CPU. */
struct qz_bpf_output {
	const char *map;	/* borrowed from libbpf */
	int cpu;
	struct qz_storage *storage;
};

struct qz_bpf {
	char *path;
	const char *base;		/* path's file name, for messages */
	char *prog_name;		/* opts->prog */
	char *btf_path;
	char *record_type;
	struct bpf_object *obj;
	struct qz_bpf_logger log;
	qz_bpf_record_fn on_record;
	void *ctx;
	struct qz_bpf_output *outs;
	int nr_outs;
	int epfd;
	struct qz_ordered *ordered;	/* the rings, merged by time */
	uint64_t lost, records, emitted;
	int record_type_id;		/* 0: not looked up yet, -1: none */
	uint32_t record_type_size;
	int nr_possible_cpus;
};

/* output.c: rings for the object's perf event arrays. */
int qz__bpf_outputs_open(struct qz_bpf *b, size_t pages, uint32_t watermark);
void qz__bpf_outputs_close(struct qz_bpf *b);

#endif
