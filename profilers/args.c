// SPDX-License-Identifier: MIT
/*
 * A profiler's command line: the session's common options and the
 * profiler's own, parsed by one call over both tables. The CLI and the
 * agent's collector `options:` both come through here, so an option is
 * refused the same way in both, naming the profilers that do read it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "profiler.h"

/* The option as typed ("--than", "-S") in prof's table, or NULL. */
static const struct qz_option *lookup(const struct qz_profiler *prof,
				      const char *option)
{
	if (option[1] == '-')
		return qz_options__find(prof->options, option + 2, 0);
	return qz_options__find(prof->options, NULL, option[1]);
}

/*
 * perf-prof options no quazar profiler reads, and why: a perf-prof user's
 * command is refused with the reason, not as an unknown option.
 */
static const struct {
	const char *name;
	char short_name;
	const char *why;
} not_here[] = {
	{ "python-callchain", 0, "Python stacks need perf-prof's BPF unwinder; quazar unwinds native stacks" },
	{ "trigger", 'T', "used by split-lock, which needs a hardware PMU these machines lack" },
	{ "test", 0, "used by split-lock, which needs a hardware PMU these machines lack" },
	{ "symbols", 0, "perf-prof's address-to-symbol filter of stdin is not a quazar command" },
	{ "ldlat", 0, "used by ldlat-loads, which needs a hardware PMU (PEBS) these machines lack" },
	{ "spte", 0, "used by kvmmmu, which quazar does not have" },
	{ "mmio", 0, "used by kvmmmu, which quazar does not have" },
	{ "string", 0, "used by kcore (reading /proc/kcore), which quazar does not have" },
	{ "query", 0, "used by sql (SQLite), which quazar does not have; top and --json cover its aggregations" },
	{ "output2", 0, "used by sql (SQLite), which quazar does not have" },
};

/* An option this profiler lacks: name those that read it, if any. */
static void refuse(const char *option, char *err, size_t err_len, void *ctx)
{
	const struct qz_profiler *prof = ctx;
	const char *sep = "; it is used by: ";
	const struct qz_option *known = NULL;
	int n = 0;

	for (const struct qz_profiler *const *p = qz_profilers(); *p; p++) {
		const struct qz_option *o = lookup(*p, option);

		if (!o || (known && strcmp(o->name, known->name)))
			continue;
		if (!known)
			n = snprintf(err, err_len, "option --%s is not used by '%s'",
				     o->name, prof->name);
		known = o;
		if (n >= 0 && (size_t)n < err_len)
			n += snprintf(err + n, err_len - (size_t)n, "%s%s", sep,
				      (*p)->name);
		sep = ", ";
	}
	if (known)
		return;
	for (size_t i = 0; i < sizeof(not_here) / sizeof(not_here[0]); i++) {
		bool hit = option[1] == '-' ?
			!strncmp(option + 2, not_here[i].name, strlen(not_here[i].name)) &&
			(!option[2 + strlen(not_here[i].name)] ||
			 option[2 + strlen(not_here[i].name)] == '=') :
			not_here[i].short_name && option[1] == not_here[i].short_name;

		if (hit) {
			snprintf(err, err_len, "option --%s is perf-prof's and not supported: %s",
				 not_here[i].name, not_here[i].why);
			return;
		}
	}
	snprintf(err, err_len, "unknown option '%s'; 'quazar %s -h' lists the options",
		 option, prof->name);
}

/* Does opt read the next argument as its value? */
static bool takes_next(const struct qz_option *opt)
{
	return opt && opt->type != QZ_OPTION_BOOL && opt->type != QZ_OPTION_LEVEL &&
	       opt->type != QZ_OPTION_OPT_STRING;
}

static const struct qz_option *find_option(const struct qz_profiler *prof,
					   const char *arg)
{
	const struct qz_option *o;

	if (arg[1] == '-') {
		char name[128];

		snprintf(name, sizeof(name), "%.*s", (int)strcspn(arg + 2, "="), arg + 2);
		o = qz_options__find(qz_env__options(), name, 0);
		return o ? o : qz_options__find(prof->options, name, 0);
	}
	o = qz_options__find(qz_env__options(), NULL, arg[1]);
	return o ? o : qz_options__find(prof->options, NULL, arg[1]);
}

/*
 * perf-prof's positional arguments: a copy of argv where each bare
 * argument before "--" becomes --POSITIONAL=ARG. Values of options that
 * take one ("-i 1000") stay as they are.
 */
static char **rewrite_positional(const struct qz_profiler *prof, int argc, char **argv)
{
	char **v = calloc((size_t)argc + 1, sizeof(*v));
	bool dashdash = false;

	if (!v)
		return NULL;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		bool bare = i > 0 && !dashdash && (a[0] != '-' || !a[1]);

		if (!strcmp(a, "--"))
			dashdash = true;
		if (bare) {
			size_t len = strlen(prof->positional) + strlen(a) + 4;

			v[i] = malloc(len);
			if (v[i])
				snprintf(v[i], len, "--%s=%s", prof->positional, a);
		} else {
			v[i] = strdup(a);
		}
		if (!v[i])
			goto fail;
		/* An option's value in the next argument is not positional. */
		if (i > 0 && !dashdash && !bare && a[0] == '-' && a[1] &&
		    strcmp(a, "--") && !strchr(a, '=') && (a[1] == '-' || !a[2]) &&
		    takes_next(find_option(prof, a)) && i + 1 < argc) {
			if (!(v[i + 1] = strdup(argv[i + 1])))
				goto fail;
			i++;
		}
	}
	return v;
fail:
	for (int i = 0; i < argc; i++)
		free(v[i]);
	free(v);
	return NULL;
}

void qz_profiler_args__free(struct qz_profiler_args *args)
{
	if (!args)
		return;
	for (int i = 0; args->argv && i < args->argc; i++)
		free(args->argv[i]);
	free(args->argv);
	qz_env__free(args->env);
	qz_options__free(args->prof->options, args->opts);
	free(args->opts);
	free(args);
}

struct qz_profiler_args *qz_profiler_args__parse(const struct qz_profiler *prof,
						 int argc, char **argv,
						 char *err, size_t err_len)
{
	struct qz_profiler_args *args = calloc(1, sizeof(*args));
	QZ_OPTS(qz_args_opts, aopts, .unknown = refuse, .ctx = (void *)prof,
		.command = prof->name);
	int ret;

	snprintf(err, err_len, "out of memory");
	if (!args)
		return NULL;
	args->prof = prof;
	args->env = qz_env__new();
	args->opts = calloc(1, prof->opts_size ?: 1);
	if (!args->env || !args->opts)
		goto fail;
	if (prof->opts_defaults)
		memcpy(args->opts, prof->opts_defaults, prof->opts_size);
	if (prof->positional) {
		args->argv = rewrite_positional(prof, argc, argv);
		if (!args->argv)
			goto fail;
		args->argc = argc;
		argv = args->argv;
	}
	{
		struct qz_option_set sets[] = {
			{ qz_env__options(), args->env },
			{ prof->options, args->opts },
		};

		ret = qz_args__parse(sets, 2, argc, argv, &args->env->workload,
				     err, err_len, &aopts);
	}
	if (!ret && args->env->tsc) {
		/* perf-prof's --tsc converts the perf clock with the mmap page's
		 * time_mult/time_shift; quazar's events run on CLOCK_MONOTONIC. */
		snprintf(err, err_len,
			 "--tsc is not supported: quazar's timestamps are CLOCK_MONOTONIC (as with perf-prof's --monotonic), which cannot be turned into TSC values exactly; drop --tsc");
		ret = -QZ_ERR_OPTION;
	}
	if (!ret)
		return args;
	errno = ret == -QZ_ERR_OPTION ? QZ_ERR_OPTION : -ret;
	qz_profiler_args__free(args);
	return NULL;
fail:
	qz_profiler_args__free(args);
	errno = ENOMEM;
	return NULL;
}

struct qz_session *qz_profiler_args__session(struct qz_profiler_args *args,
					     struct qz_output *out,
					     const struct qz_session_opts *opts)
{
	QZ_OPTS(qz_session_opts, o);

	if (opts)
		memcpy(&o, opts, opts->sz < sizeof(o) ? opts->sz : sizeof(o));
	o.sz = sizeof(o);
	qz_profiler__session_hooks(args->prof, &o);
	return qz_session__new(&args->prof->ops, args->opts, args->env, out, &o);
}

void qz_profiler__usage(const struct qz_profiler *prof, FILE *out)
{
	const struct qz_option *pos = prof->positional ?
		qz_options__find(prof->options, prof->positional, 0) : NULL;

	fprintf(out, "usage: quazar %s [options]%s%s%s [-- command args]\n\n%s\n",
		prof->name, pos ? " " : "", pos ? pos->arg : "",
		pos && pos->type == QZ_OPTION_LIST ? " ..." : "", prof->help);
	if (prof->usage)
		fprintf(out, "\n%s\n", prof->usage);
	if (prof->options && prof->options[0].name) {
		fprintf(out, "\n%s options:\n", prof->name);
		qz_options__print(prof->options, out);
	}
	fprintf(out, "\ncommon options:\n");
	qz_options__print(qz_env__options(), out);
	fprintf(out, "  %-34s %s\n", "-h, --help", "this help");
	fprintf(out, "  %-34s %s\n", "-V, --version", "print the version");
}
