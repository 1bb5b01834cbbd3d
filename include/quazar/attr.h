/* SPDX-License-Identifier: MIT */
/*
 * Event attrs: perf_event_attr from hardware/software event names,
 * tracepoints, breakpoints and uprobes, and dynamic PMUs looked up in
 * sysfs with their format terms. From a selector spec: see select.h.
 */
#ifndef QUAZAR_ATTR_H
#define QUAZAR_ATTR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/perf_event.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Where sysfs and tracefs are, and where messages go. All optional. */
struct qz_attr_opts {
	size_t sz;
	const char *sysfs_root;	/* default "/sys"; tests point it elsewhere */
	const char *tracefs_dir; /* default: tracefs_tracing_dir() (mounts it) */
	qz_log_fn log;
	void *log_ctx;
	char *errbuf;		/* if set, the message of a failure */
	size_t errlen;
};

/* One entry of the hardware/software name table. */
struct qz_event_name {
	const char *name;
	const char *alias;	/* or NULL */
	uint32_t type;		/* PERF_TYPE_HARDWARE or PERF_TYPE_SOFTWARE */
	uint64_t config;
};

/* The name table (static); *nr gets its length. */
QZ_API const struct qz_event_name *qz_event_names(size_t *nr);
/*
 * Fill type/config for a hardware or software event name ("cycles",
 * "cs", ...). -QZ_ERR_UNKNOWN_EVENT for other names.
 */
QZ_API int qz_attr__named(struct perf_event_attr *attr, const char *name);
/* A tracepoint sys:name, its id read from tracefs events/SYS/NAME/id. */
QZ_API int qz_attr__tracepoint(struct perf_event_attr *attr, const char *sys,
			       const char *name,
			       const struct qz_attr_opts *opts);
/*
 * A hardware breakpoint. type is HW_BREAKPOINT_R/W/RW/X from
 * <linux/hw_breakpoint.h>; len 1, 2, 4 or 8 (X: sizeof(long)).
 */
QZ_API int qz_attr__breakpoint(struct perf_event_attr *attr, uint64_t addr,
			       uint64_t len, unsigned int type);
/* The same from "mem:ADDR[/LEN][:rwx]" (perf's syntax; default rw, 4 bytes). */
QZ_API int qz_attr__breakpoint_str(struct perf_event_attr *attr,
				   const char *text);
/*
 * A uprobe (or uretprobe) on path at symbol+offset (symbol NULL: offset is
 * a file offset). path is borrowed: config1 points at it, so it must live
 * until the event is opened.
 */
QZ_API int qz_attr__uprobe(struct perf_event_attr *attr, const char *path,
			   const char *symbol, uint64_t offset, bool retprobe,
			   const struct qz_attr_opts *opts);
/*
 * File offset of symbol (symtab, else dynsym) in the ELF file at path,
 * through the PT_LOAD segment that holds it.
 */
QZ_API int qz_elf__symbol_offset(const char *path, const char *symbol,
				 uint64_t *offset);

/*
 * Dynamic PMUs from SYSFS/bus/event_source/devices/NAME/{type,format/TERM}.
 */
struct qz_pmu;

QZ_API struct qz_pmu *qz_pmu__new(const char *name,
				  const struct qz_attr_opts *opts);
QZ_API void qz_pmu__free(struct qz_pmu *pmu);
QZ_API const char *qz_pmu__name(const struct qz_pmu *pmu);
QZ_API uint32_t qz_pmu__type(const struct qz_pmu *pmu);
QZ_API int qz_pmu__nr_formats(const struct qz_pmu *pmu);
/*
 * Format idx: its term name, which attr field (0 config, 1 config1,
 * 2 config2) and the mask of bits it covers there.
 */
QZ_API int qz_pmu__format(const struct qz_pmu *pmu, int idx, const char **name,
			  int *field, uint64_t *mask);
/*
 * Apply "term=value,term2,..." to attr: format terms scatter their value
 * over their bits; also period=, freq=, config=, config1=, config2= raw.
 * A term alone means =1. -QZ_ERR_PMU_TERM on an unknown term or a value
 * that does not fit, with a message naming it and the valid terms.
 */
QZ_API int qz_pmu__apply_terms(const struct qz_pmu *pmu,
			       struct perf_event_attr *attr, const char *terms,
			       const struct qz_attr_opts *opts);

#ifdef __cplusplus
}
#endif

#endif
