// SPDX-License-Identifier: MIT
/*
 * Command-line options, perf-prof style: one table for every option, and
 * each profiler names the non-common ones it reads. The same parser serves
 * the CLI and the agent's collector `options`, so they cannot drift apart.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/profiler.h>
#include "../internal.h"

enum arg_kind {
	ARG_FLAG,	/* bool; --no-NAME clears it */
	ARG_STR,
	ARG_EVENT,	/* -e: appended to env->events */
	ARG_UINT,
	ARG_INT,
	ARG_MS,		/* milliseconds, stored as ns */
	ARG_TIME,	/* 10ms, 5us, 1s, or ns */
	ARG_OPT_STR,	/* optional value: --detail or --detail=... */
	ARG_COUNT,	/* -v -v */
};

struct option_def {
	const char *name;
	char short_name;
	enum arg_kind kind;
	size_t offset;
	bool common;
	const char *arg;
	const char *help;
};

#define OPT(n, s, k, field, c, a, h) \
	{ n, s, k, offsetof(struct qz_env, field), c, a, h }

static const struct option_def option_defs[] = {
	OPT("event", 'e', ARG_EVENT, events, true, "EVENT,...", "event selector; repeatable"),
	OPT("cpus", 'C', ARG_STR, cpus, true, "LIST", "CPUs to watch, e.g. 0-3,6"),
	OPT("pids", 'p', ARG_STR, pids, true, "PID,...", "processes (all their threads)"),
	OPT("tids", 't', ARG_STR, tids, true, "TID,...", "threads"),
	OPT("cgroup", 0, ARG_STR, cgroup, true, "PATH", "cgroup (v2 path, absolute or under /sys/fs/cgroup)"),
	OPT("cgroups", 0, ARG_STR, cgroup, true, "PATH", "same as --cgroup (perf-prof spelling)"),
	OPT("interval", 'i', ARG_MS, interval_ns, true, "MS", "report interval in milliseconds"),
	OPT("mmap-pages", 'm', ARG_UINT, mmap_pages, true, "PAGES", "ring pages per CPU, a power of two"),
	OPT("watermark", 0, ARG_INT, watermark, true, "0-100", "wake up when the ring is this % full"),
	OPT("exit-N", 'N', ARG_UINT, exit_n, true, "N", "exit after N events"),
	OPT("output", 'o', ARG_STR, output, true, "FILE", "write output to FILE"),
	OPT("order", 0, ARG_FLAG, order, true, NULL, "deliver events in timestamp order across CPUs"),
	OPT("order-window", 0, ARG_MS, order_window_ns, true, "MS", "reorder window for --order (default 100)"),
	OPT("call-graph", 'g', ARG_FLAG, callchain, true, NULL, "record callchains"),
	OPT("json", 0, ARG_FLAG, json, true, NULL, "JSON lines instead of text"),
	OPT("exclude-user", 0, ARG_FLAG, exclude_user, true, NULL, "do not count user mode"),
	OPT("exclude-kernel", 0, ARG_FLAG, exclude_kernel, true, NULL, "do not count kernel mode"),
	OPT("exclude-guest", 0, ARG_FLAG, exclude_guest, true, NULL, "do not count guest mode"),
	OPT("exclude-host", 'G', ARG_FLAG, exclude_host, true, NULL, "count guest mode only"),
	OPT("user-callchain", 0, ARG_FLAG, user_callchain, true, NULL, "include user stacks (--no-user-callchain)"),
	OPT("kernel-callchain", 0, ARG_FLAG, kernel_callchain, true, NULL, "include kernel stacks (--no-kernel-callchain)"),
	OPT("verbose", 'v', ARG_COUNT, verbose, true, NULL, "more detail; repeatable"),
	OPT("quiet", 'q', ARG_FLAG, quiet, true, NULL, "less output"),
	OPT("inherit", 0, ARG_FLAG, inherit, true, NULL, "children inherit the events"),
	OPT("monotonic", 0, ARG_FLAG, monotonic, true, NULL, "accepted: timestamps are always CLOCK_MONOTONIC"),
	OPT("tsc", 0, ARG_FLAG, tsc, true, NULL, "accepted for perf-prof compatibility; ignored"),

	OPT("key", 'k', ARG_STR, key, false, "FIELD", "field relating events (like key=FIELD)"),
	OPT("filter", 0, ARG_STR, filter, false, "FILTER", "filter for built-in events"),
	OPT("period", 0, ARG_TIME, period, false, "TIME", "sample period: 10ms, 500us, 1s or ns"),
	OPT("freq", 'F', ARG_UINT, freq, false, "HZ", "sample frequency"),
	OPT("than", 0, ARG_TIME, than, false, "TIME", "report what exceeds TIME (ns, us, ms, s)"),
	OPT("only-than", 0, ARG_TIME, only_than, false, "TIME", "report only what exceeds TIME"),
	OPT("lower", 0, ARG_TIME, lower, false, "TIME", "report what is below TIME"),
	OPT("alloc", 0, ARG_STR, alloc, false, "EVENT", "allocation event (ptr=, size=, stack attrs)"),
	OPT("free", 0, ARG_STR, free, false, "EVENT", "free event (ptr= attr)"),
	OPT("perins", 0, ARG_FLAG, perins, false, NULL, "statistics per instance (CPU, thread or key)"),
	OPT("flame-graph", 0, ARG_STR, flame_graph, false, "FILE", "write folded stacks to FILE.folded"),
	OPT("heatmap", 0, ARG_STR, heatmap, false, "FILE", "write a latency heatmap (FILE.svg)"),
	OPT("detail", 0, ARG_OPT_STR, detail, false, "[=-N,+N,samecpu,...]", "print the events between outlier pairs"),
	OPT("overwrite", 0, ARG_FLAG, overwrite, false, NULL, "accepted for perf-prof compatibility: quazar never overwrites, it batches wakeups"),
	OPT("only-comm", 0, ARG_FLAG, only_comm, false, NULL, "key by comm only, not pid"),
	OPT("cycle", 0, ARG_FLAG, cycle, false, NULL, "close the event chain: last relates to first"),
	OPT("impl", 0, ARG_STR, impl, false, "IMPL", "two-event analysis: delay (default) or pair"),
	OPT("interruptible", 'S', ARG_FLAG, interruptible, false, NULL, "select S-state tasks"),
	OPT("uninterruptible", 'D', ARG_FLAG, uninterruptible, false, NULL, "select D-state tasks"),
	OPT("no-interruptible", 0, ARG_FLAG, no_interruptible, false, NULL, "leave out S-state (interruptible sleep)"),
};

/* Options a profiler reads beyond the common ones. */
static bool profiler_reads(const struct qz_profiler *prof, const char *name)
{
	for (const char *const *o = prof ? prof->options : NULL; o && *o; o++)
		if (!strcmp(*o, name))
			return true;
	return false;
}

static const struct option_def *find_long(const char *name, size_t len)
{
	for (size_t i = 0; i < QZ_ARRAY_SIZE(option_defs); i++)
		if (strlen(option_defs[i].name) == len &&
		    !strncmp(option_defs[i].name, name, len))
			return &option_defs[i];
	return NULL;
}

static const struct option_def *find_short(char c)
{
	for (size_t i = 0; i < QZ_ARRAY_SIZE(option_defs); i++)
		if (option_defs[i].short_name == c)
			return &option_defs[i];
	return NULL;
}

QZ_API int qz_parse_time(const char *text, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 },
		      { "s", 1000000000 }, { "", 1 } };
	char *end;
	unsigned long long v;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -EINVAL;
	for (size_t i = 0; i < QZ_ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].unit)) {
			*ns = v * units[i].scale;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_uint(const char *text, unsigned long long *v)
{
	char *end;

	if (!text || !*text || *text == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(text, &end, 0);
	return errno || *end ? -EINVAL : 0;
}

/* Store one option's value into env; err gets a message on failure. */
static int apply(struct qz_env *env, const struct option_def *def,
		 const char *value, bool negated, char *err, size_t err_len)
{
	char *field = (char *)env + def->offset;
	unsigned long long v;
	uint64_t ns;

	switch (def->kind) {
	case ARG_FLAG:
		*(bool *)field = !negated;
		return 0;
	case ARG_COUNT:
		(*(int *)field)++;
		return 0;
	case ARG_EVENT:
		if (env->nr_events >= QZ_MAX_EVENT_ARGS) {
			snprintf(err, err_len, "too many -e options (at most %d)",
				 QZ_MAX_EVENT_ARGS);
			return -E2BIG;
		}
		env->events[env->nr_events] = strdup(value);
		return env->events[env->nr_events++] ? 0 : -ENOMEM;
	case ARG_STR:
	case ARG_OPT_STR:
		free(*(char **)field);
		*(char **)field = strdup(value ? value : "");
		return *(char **)field ? 0 : -ENOMEM;
	case ARG_UINT:
		if (parse_uint(value, &v))
			goto bad_number;
		*(uint64_t *)field = v;
		return 0;
	case ARG_INT:
		if (parse_uint(value, &v) || v > 100)
			goto bad_number;
		*(int *)field = (int)v;
		return 0;
	case ARG_MS:
		if (parse_uint(value, &v))
			goto bad_number;
		*(uint64_t *)field = v * 1000000;
		return 0;
	case ARG_TIME:
		if (qz_parse_time(value, &ns)) {
			snprintf(err, err_len,
				 "--%s '%s': expected a time such as 10ms, 500us, 1s or a number of ns",
				 def->name, value);
			return -EINVAL;
		}
		*(uint64_t *)field = ns;
		return 0;
	}
	return -EINVAL;

bad_number:
	snprintf(err, err_len, "--%s '%s': expected %s", def->name, value,
		 def->kind == ARG_INT ? "a number from 0 to 100" :
		 def->kind == ARG_MS ? "a number of milliseconds" :
				       "a non-negative number");
	return -EINVAL;
}

static bool takes_value(const struct option_def *def)
{
	return def->kind != ARG_FLAG && def->kind != ARG_COUNT &&
	       def->kind != ARG_OPT_STR;
}

/* Suggest who reads an option the profiler does not. */
static void refuse(const struct qz_profiler *prof, const struct option_def *def,
		   char *err, size_t err_len)
{
	int n = snprintf(err, err_len, "option --%s is not used by '%s'",
			 def->name, prof->name);
	const char *sep = "; it is used by: ";

	for (const struct qz_profiler *const *p = qz_profilers(); *p; p++) {
		if (n < 0 || (size_t)n >= err_len)
			break;
		if (profiler_reads(*p, def->name)) {
			n += snprintf(err + n, err_len - (size_t)n, "%s%s", sep,
				      (*p)->name);
			sep = ", ";
		}
	}
}

/*
 * perf-prof bundles short flags (-SD). When every character of rest names
 * a flag, apply them (the first is applied by the caller) and return true;
 * *ret is set when the profiler does not read one of them.
 */
static bool bundled_flags(const struct qz_profiler *prof, struct qz_env *env,
			  const char *rest, char *err, size_t err_len, int *ret)
{
	for (const char *c = rest; *c; c++) {
		const struct option_def *d = find_short(*c);

		if (!d || d->kind != ARG_FLAG)
			return false;
	}
	for (const char *c = rest; *c; c++) {
		const struct option_def *d = find_short(*c);

		if (!d->common && !profiler_reads(prof, d->name)) {
			refuse(prof, d, err, err_len);
			*ret = -QZ_ERR_OPTION;
			return true;
		}
		*(bool *)((char *)env + d->offset) = true;
	}
	return true;
}

static struct qz_env *env_new(void)
{
	struct qz_env *env = calloc(1, sizeof(*env));

	if (!env)
		return NULL;
	env->watermark = -1;
	env->user_callchain = true;
	env->kernel_callchain = true;
	return env;
}

QZ_API struct qz_env *qz_env__parse(const struct qz_profiler *prof, int argc,
				    char **argv, char *err, size_t err_len)
{
	struct qz_env *env = env_new();
	int i, ret = 0;

	if (!env)
		return NULL;
	err[0] = 0;
	for (i = 1; i < argc && !ret; i++) {
		const char *arg = argv[i], *value = NULL;
		const struct option_def *def = NULL;
		bool negated = false;

		if (!strcmp(arg, "--")) {
			env->workload = argv + i + 1;
			break;
		}
		if (!strncmp(arg, "--", 2)) {
			const char *name = arg + 2, *eq = strchr(name, '=');
			size_t len = eq ? (size_t)(eq - name) : strlen(name);

			def = find_long(name, len);
			if (!def && !strncmp(name, "no-", 3)) {
				def = find_long(name + 3, len - 3);
				negated = def && def->kind == ARG_FLAG;
				if (!negated)
					def = NULL;
			}
			if (!def) {
				snprintf(err, err_len,
					 "unknown option '%s'; 'quazar %s -h' lists the options",
					 arg, prof ? prof->name : "CMD");
				ret = -QZ_ERR_OPTION;
				break;
			}
			if (eq)
				value = eq + 1;
		} else if (arg[0] == '-' && arg[1]) {
			def = find_short(arg[1]);
			if (!def) {
				snprintf(err, err_len,
					 "unknown option '-%c'; 'quazar %s -h' lists the options",
					 arg[1], prof ? prof->name : "CMD");
				ret = -QZ_ERR_OPTION;
				break;
			}
			if (arg[2] && takes_value(def)) {
				value = arg + 2;
			} else if (arg[2] && def->kind == ARG_COUNT) {
				/* -vv */
				for (const char *c = arg + 1; *c == def->short_name; c++)
					env->verbose++;
				continue;
			} else if (arg[2] && def->kind == ARG_FLAG &&
				   bundled_flags(prof, env, arg + 2, err, err_len, &ret)) {
				/* -SD: the rest were flags too, and are applied */
				if (ret)
					break;
			} else if (arg[2]) {
				snprintf(err, err_len, "option '-%c' takes no value (in '%s')",
					 arg[1], arg);
				ret = -QZ_ERR_OPTION;
				break;
			}
		} else {
			snprintf(err, err_len,
				 "unexpected argument '%s'; to run a command, put it after '--'",
				 arg);
			ret = -QZ_ERR_OPTION;
			break;
		}

		if (!def->common && !profiler_reads(prof, def->name)) {
			refuse(prof, def, err, err_len);
			ret = -QZ_ERR_OPTION;
			break;
		}
		if (takes_value(def) && !value) {
			if (i + 1 >= argc) {
				snprintf(err, err_len, "option --%s needs a value (%s)",
					 def->name, def->arg);
				ret = -QZ_ERR_OPTION;
				break;
			}
			value = argv[++i];
		}
		if (value && !takes_value(def) && def->kind != ARG_OPT_STR) {
			snprintf(err, err_len, "option --%s takes no value", def->name);
			ret = -QZ_ERR_OPTION;
			break;
		}
		ret = apply(env, def, value, negated, err, err_len);
	}
	if (ret) {
		qz_env__free(env);
		errno = ret == -QZ_ERR_OPTION ? QZ_ERR_OPTION : -ret;
		return NULL;
	}
	return env;
}

QZ_API void qz_env__free(struct qz_env *env)
{
	if (!env)
		return;
	for (int i = 0; i < env->nr_events; i++)
		free(env->events[i]);
	for (size_t i = 0; i < QZ_ARRAY_SIZE(option_defs); i++) {
		const struct option_def *def = &option_defs[i];

		if (def->kind == ARG_STR || def->kind == ARG_OPT_STR) {
			char **field = (char **)((char *)env + def->offset);

			free(*field);
			*field = NULL; /* --cgroup and --cgroups share a field */
		}
	}
	free(env);
}

static void print_option(const struct option_def *def, FILE *out)
{
	char left[64];

	if (def->short_name)
		snprintf(left, sizeof(left), "-%c, --%s%s%s", def->short_name,
			 def->name, def->arg ? " " : "", def->arg ? def->arg : "");
	else
		snprintf(left, sizeof(left), "    --%s%s%s", def->name,
			 def->arg ? " " : "", def->arg ? def->arg : "");
	fprintf(out, "  %-34s %s\n", left, def->help);
}

QZ_API void qz_env__usage(const struct qz_profiler *prof, FILE *out)
{
	fprintf(out, "usage: quazar %s [options] [-- command args]\n\n%s\n",
		prof->name, prof->help);
	if (prof->usage)
		fprintf(out, "\n%s\n", prof->usage);
	if (prof->options && prof->options[0]) {
		fprintf(out, "\n%s options:\n", prof->name);
		for (size_t i = 0; i < QZ_ARRAY_SIZE(option_defs); i++)
			if (!option_defs[i].common &&
			    profiler_reads(prof, option_defs[i].name))
				print_option(&option_defs[i], out);
	}
	fprintf(out, "\ncommon options:\n");
	for (size_t i = 0; i < QZ_ARRAY_SIZE(option_defs); i++)
		if (option_defs[i].common)
			print_option(&option_defs[i], out);
	fprintf(out, "  %-34s %s\n", "-h, --help", "this help");
}
