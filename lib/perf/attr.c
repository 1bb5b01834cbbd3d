// SPDX-License-Identifier: MIT
/*
 * perf_event_attr from names, tracepoints and breakpoints. PMU terms live
 * in pmu.c and uprobes in uprobe.c; selector specs are lib/select's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/hw_breakpoint.h>
#include <tracefs.h>
#include "perf_internal.h"

#define HW(n, a, c)                                         \
	{                                                   \
		n, a, PERF_TYPE_HARDWARE, PERF_COUNT_HW_##c \
	}
#define SW(n, a, c)                                         \
	{                                                   \
		n, a, PERF_TYPE_SOFTWARE, PERF_COUNT_SW_##c \
	}

static const struct qz_event_name event_names[] = {
	HW("cpu-cycles", "cycles", CPU_CYCLES),
	HW("instructions", NULL, INSTRUCTIONS),
	HW("cache-references", NULL, CACHE_REFERENCES),
	HW("cache-misses", NULL, CACHE_MISSES),
	HW("branch-instructions", "branches", BRANCH_INSTRUCTIONS),
	HW("branch-misses", NULL, BRANCH_MISSES),
	HW("bus-cycles", NULL, BUS_CYCLES),
	HW("stalled-cycles-frontend", "idle-cycles-frontend",
	   STALLED_CYCLES_FRONTEND),
	HW("stalled-cycles-backend", "idle-cycles-backend",
	   STALLED_CYCLES_BACKEND),
	HW("ref-cycles", NULL, REF_CPU_CYCLES),
	SW("cpu-clock", NULL, CPU_CLOCK),
	SW("task-clock", NULL, TASK_CLOCK),
	SW("page-faults", "faults", PAGE_FAULTS),
	SW("context-switches", "cs", CONTEXT_SWITCHES),
	SW("cpu-migrations", "migrations", CPU_MIGRATIONS),
	SW("minor-faults", NULL, PAGE_FAULTS_MIN),
	SW("major-faults", NULL, PAGE_FAULTS_MAJ),
	SW("alignment-faults", NULL, ALIGNMENT_FAULTS),
	SW("emulation-faults", NULL, EMULATION_FAULTS),
	SW("dummy", NULL, DUMMY),
	SW("bpf-output", NULL, BPF_OUTPUT),
	SW("cgroup-switches", NULL, CGROUP_SWITCHES),
};

QZ_API const struct qz_event_name *qz_event_names(size_t *nr)
{
	*nr = QZ_ARRAY_SIZE(event_names);
	return event_names;
}

void qz__attr_honour_period(struct perf_event_attr *attr, bool probe)
{
	bool hit_counted = probe || attr->type == PERF_TYPE_TRACEPOINT ||
			   attr->type == PERF_TYPE_BREAKPOINT ||
			   (attr->type == PERF_TYPE_SOFTWARE &&
			    attr->config != PERF_COUNT_SW_CPU_CLOCK &&
			    attr->config != PERF_COUNT_SW_TASK_CLOCK);

	if (hit_counted && !attr->freq && attr->sample_period > 1)
		attr->sample_type &= ~(uint64_t)PERF_SAMPLE_PERIOD;
}

QZ_API int qz_attr__named(struct perf_event_attr *attr, const char *name)
{
	for (size_t i = 0; name && i < QZ_ARRAY_SIZE(event_names); i++) {
		const struct qz_event_name *e = &event_names[i];

		if (strcmp(name, e->name) &&
		    (!e->alias || strcmp(name, e->alias)))
			continue;
		attr->size = sizeof(*attr);
		attr->type = e->type;
		attr->config = e->config;
		return 0;
	}
	return -QZ_ERR_UNKNOWN_EVENT;
}

static bool safe_name(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

QZ_API int qz_attr__tracepoint(struct perf_event_attr *attr, const char *sys,
			       const char *name,
			       const struct qz_attr_opts *opts)
{
	const char *dir = QZ_OPT(opts, tracefs_dir, NULL);
	char path[4096];
	uint64_t id;
	int err;

	if (QZ_OPTS_CHECK(opts))
		return -E2BIG;
	if (!safe_name(sys) || !safe_name(name)) {
		qz_set_err(opts, "bad tracepoint name \"%s:%s\"", sys ?: "",
			   name ?: "");
		return -QZ_ERR_UNKNOWN_EVENT;
	}
	if (!dir)
		dir = tracefs_tracing_dir(); /* mounts tracefs if needed */
	if (!dir) {
		qz_set_err(opts,
			   "tracefs is not mounted and could not be mounted");
		return -ENOENT;
	}
	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, sys, name);
	err = qz_read_u64_file(path, &id);
	if (err == -ENOENT) {
		qz_set_err(opts, "unknown tracepoint %s:%s (no %s)", sys, name,
			   path);
		return -QZ_ERR_UNKNOWN_EVENT;
	}
	if (err) {
		qz_set_err(opts, "reading %s: %s", path, qz_strerror(err));
		return err;
	}
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_TRACEPOINT;
	attr->config = id;
	return 0;
}

QZ_API int qz_attr__breakpoint(struct perf_event_attr *attr, uint64_t addr,
			       uint64_t len, unsigned int type)
{
	switch (type) {
	case HW_BREAKPOINT_X:
		len = sizeof(long);
		break;
	case HW_BREAKPOINT_R:
	case HW_BREAKPOINT_W:
	case HW_BREAKPOINT_RW:
		if (len != 1 && len != 2 && len != 4 && len != 8)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	attr->size = sizeof(*attr);
	attr->type = PERF_TYPE_BREAKPOINT;
	attr->config = 0;
	attr->bp_addr = addr;
	attr->bp_len = len;
	attr->bp_type = type;
	attr->sample_period = 1;
	return 0;
}

/* "mem:ADDR[/LEN][:ACCESS]" or "mem:ADDR[:ACCESS][/LEN]", ACCESS of r, w, x. */
QZ_API int qz_attr__breakpoint_str(struct perf_event_attr *attr,
				   const char *text)
{
	unsigned int type = 0;
	uint64_t addr, len = 0;
	const char *p;
	char *end;

	if (!text || strncmp(text, "mem:", 4))
		return -EINVAL;
	p = text + 4;
	errno = 0;
	addr = strtoull(p, &end, 0);
	if (errno || end == p)
		return -EINVAL;
	p = end;
	while (*p) {
		if (*p == '/' && !len) {
			len = strtoull(p + 1, &end, 0);
			if (end == p + 1 || !len)
				return -EINVAL;
			p = end;
		} else if (*p == ':' && !type) {
			for (p++; *p == 'r' || *p == 'w' || *p == 'x'; p++)
				type |= *p == 'r'   ? HW_BREAKPOINT_R
					: *p == 'w' ? HW_BREAKPOINT_W
						    : HW_BREAKPOINT_X;
			if (!type)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
	}
	if (!type)
		type = HW_BREAKPOINT_RW;
	if (!len)
		len = type == HW_BREAKPOINT_X ? sizeof(long) : 4;
	return qz_attr__breakpoint(attr, addr, len, type);
}
