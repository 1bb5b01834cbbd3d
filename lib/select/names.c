// SPDX-License-Identifier: MIT
/*
 * Hardware and software event names, as perf spells them. Only a
 * classification: the perf layer turns (kind, config) into an attr.
 */
#include <string.h>
#include <linux/perf_event.h>
#include "select_internal.h"

static const struct {
	const char *name;
	enum qz_spec_kind kind;
	uint64_t config;
} builtin[] = {
	{ "cpu-cycles", QZ_SPEC_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "cycles", QZ_SPEC_HARDWARE, PERF_COUNT_HW_CPU_CYCLES },
	{ "instructions", QZ_SPEC_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS },
	{ "cache-references", QZ_SPEC_HARDWARE, PERF_COUNT_HW_CACHE_REFERENCES },
	{ "cache-misses", QZ_SPEC_HARDWARE, PERF_COUNT_HW_CACHE_MISSES },
	{ "branch-instructions", QZ_SPEC_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branches", QZ_SPEC_HARDWARE, PERF_COUNT_HW_BRANCH_INSTRUCTIONS },
	{ "branch-misses", QZ_SPEC_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES },
	{ "bus-cycles", QZ_SPEC_HARDWARE, PERF_COUNT_HW_BUS_CYCLES },
	{ "stalled-cycles-frontend", QZ_SPEC_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ "idle-cycles-frontend", QZ_SPEC_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND },
	{ "stalled-cycles-backend", QZ_SPEC_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
	{ "idle-cycles-backend", QZ_SPEC_HARDWARE, PERF_COUNT_HW_STALLED_CYCLES_BACKEND },
	{ "ref-cycles", QZ_SPEC_HARDWARE, PERF_COUNT_HW_REF_CPU_CYCLES },
	{ "cpu-clock", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK },
	{ "task-clock", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_TASK_CLOCK },
	{ "page-faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS },
	{ "context-switches", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cs", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CONTEXT_SWITCHES },
	{ "cpu-migrations", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "migrations", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CPU_MIGRATIONS },
	{ "minor-faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MIN },
	{ "major-faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_PAGE_FAULTS_MAJ },
	{ "alignment-faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_ALIGNMENT_FAULTS },
	{ "emulation-faults", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_EMULATION_FAULTS },
	{ "dummy", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_DUMMY },
	{ "bpf-output", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_BPF_OUTPUT },
	{ "cgroup-switches", QZ_SPEC_SOFTWARE, PERF_COUNT_SW_CGROUP_SWITCHES },
};

int qz__builtin_lookup(const char *name, size_t len, enum qz_spec_kind *kind,
		       uint64_t *config)
{
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		if (strlen(builtin[i].name) != len ||
		    memcmp(builtin[i].name, name, len))
			continue;
		if (kind)
			*kind = builtin[i].kind;
		if (config)
			*config = builtin[i].config;
		return 0;
	}
	return -QZ_ERR_UNKNOWN_EVENT;
}

const char *qz__builtin_closest(const char *name, size_t len)
{
	const char *best = NULL;
	int best_d = qz__suggest_limit(len);

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++) {
		const char *b = builtin[i].name;
		int d = qz__edit_distance(name, len, b, strlen(b), best_d);

		if (d <= best_d && (!best || d < best_d)) {
			best = b;
			best_d = d;
		}
	}
	return best;
}

QZ_API int qz_select__builtin_event(const char *name, enum qz_spec_kind *kind,
				    uint64_t *config)
{
	if (!name)
		return -EINVAL;
	return qz__builtin_lookup(name, strlen(name), kind, config);
}

QZ_API const char *qz_select__builtin_name(int i, enum qz_spec_kind *kind)
{
	if (i < 0 || (size_t)i >= sizeof(builtin) / sizeof(builtin[0]))
		return NULL;
	if (kind)
		*kind = builtin[i].kind;
	return builtin[i].name;
}
