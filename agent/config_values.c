// SPDX-License-Identifier: MIT
/* The agent's built-in config, and the units config values are written in. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config.h"

static const char default_yaml[] =
	"# quazar agent: the built-in config, run when no -c FILE is given.\n"
	"global:\n"
	"  log_level: info\n"
	"  http_socket: " QZ_CONFIG_HTTP_SOCKET "\n"
	"  labels:\n"
	"    source: quazar-default\n"
	"sinks:\n"
	"  stdout:\n"
	"    type: stdout\n"
	"collectors:\n"
	"  # Software counters of each CPU, every second.\n"
	"  - name: cpu-counters\n"
	"    profiler: stat\n"
	"    events: [cpu-clock, task-clock, page-faults, context-switches, cpu-migrations]\n"
	"    options: {perins: true}\n"
	"    interval: 1s\n"
	"    sink: stdout\n"
	"  # Wakeup to run: how long tasks wait for a CPU, summed up each second.\n"
	"  - name: sched-latency\n"
	"    profiler: multi-trace\n"
	"    events:\n"
	"      - sched:sched_wakeup//key=pid/\n"
	"      - sched:sched_switch//key=next_pid/\n"
	"    interval: 1s\n"
	"    sink: stdout\n"
	"  # KVM virtual machines: created, vCPUs, ended, running (at start and\n"
	"  # each reload), and per VM its exits, halt polling, interrupts, guest time.\n"
	"  - name: vm-lifecycle\n"
	"    profiler: kvm\n"
	"    interval: 10s\n"
	"    sink: stdout\n";

const char *qz_config__default_yaml(void)
{
	return default_yaml;
}

int qz_config__parse_interval(const char *text, uint64_t *ms)
{
	static const struct {
		const char *unit;
		double ms;
	} units[] = {
		{ "ms", 1 }, { "s", 1000 }, { "", 1000 }, { "m", 60000 },
		{ "min", 60000 }, { "h", 3600000 },
	};
	char *end;
	double v;

	if (!text || !*text || *text == '-' || *text == '+')
		return -EINVAL;
	errno = 0;
	v = strtod(text, &end);
	if (errno || end == text || !isfinite(v))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		double total = v * units[i].ms;

		if (strcmp(end, units[i].unit))
			continue;
		if (total < 10 || total > 86400000.0)
			return -ERANGE;
		*ms = (uint64_t)llround(total);
		return 0;
	}
	return -EINVAL;
}

int qz_config__parse_size(const char *text, uint64_t *bytes)
{
	static const char units[] = "kmgt";
	unsigned long long v;
	unsigned int shift = 0;
	const char *u;
	char *end;

	if (!text || !*text || *text == '-' || *text == '+')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || end == text)
		return -EINVAL;
	while (*end == ' ')
		end++;
	/* 64k, 64K, 64KB, 64KiB: all binary. */
	if (*end && (u = strchr(units, tolower((unsigned char)*end)))) {
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
		if (!strcasecmp(end, "ib"))
			end += 2;
	}
	if (*end && strcasecmp(end, "b"))
		return -EINVAL;
	if (shift && v > UINT64_MAX >> shift)
		return -ERANGE;
	*bytes = (uint64_t)v << shift;
	return 0;
}
