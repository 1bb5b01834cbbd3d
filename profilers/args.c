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
	if (!known)
		snprintf(err, err_len, "unknown option '%s'; 'quazar %s -h' lists the options",
			 option, prof->name);
}

/* Does option arg (as typed, before any '=') take the next argument? */
static bool takes_next(const struct qz_profiler *prof, const char *arg)
{
	const struct qz_option *tables[] = { qz_env__options(), prof->options };
	const struct qz_option *o = NULL;

	if (arg[1] == '-') {
		const char *name = arg + 2;
		size_t len = strcspn(name, "=");
		char buf[128];

		if (name[len] == '=' || len >= sizeof(buf))
			return false;
		memcpy(buf, name, len);
		buf[len] = 0;
		for (size_t t = 0; t < 2 && !o; t++)
			o = qz_options__find(tables[t], buf, 0);
	} else {
		if (arg[2])
			return false;	/* -F99, -vv, -SD */
		for (size_t t = 0; t < 2 && !o; t++)
			o = qz_options__find(tables[t], NULL, arg[1]);
	}
	return o && o->type != QZ_OPTION_BOOL && o->type != QZ_OPTION_LEVEL &&
	       o->type != QZ_OPTION_OPT_STRING;
}

/*
 * Take the profiler's trailing argument (arg_name) out of argv, into
 * *arg: the one word before any "--" that is neither an option nor an
 * option's value. argv is rewritten in place; *argc shrinks.
 */
static int take_arg(const struct qz_profiler *prof, int *argc, char **argv,
		    char **arg, char *err, size_t err_len)
{
	for (int i = 1; i < *argc && strcmp(argv[i], "--"); i++) {
		if (argv[i][0] == '-' && argv[i][1]) {
			i += takes_next(prof, argv[i]);
			continue;
		}
		if (*arg) {
			snprintf(err, err_len,
				 "unexpected argument '%s': '%s' takes one %s (got '%s' already)",
				 argv[i], prof->name, prof->arg_name, *arg);
			return -QZ_ERR_OPTION;
		}
		*arg = strdup(argv[i]);
		if (!*arg)
			return -ENOMEM;
		memmove(&argv[i], &argv[i + 1], (size_t)(*argc - i) * sizeof(*argv));
		(*argc)--;
		i--;
	}
	return 0;
}

void qz_profiler_args__free(struct qz_profiler_args *args)
{
	if (!args)
		return;
	if (args->prof->arg_name && args->opts)
		free(*(char **)((char *)args->opts + args->prof->arg_offset));
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
	if (prof->arg_name) {
		char **copy = calloc((size_t)argc + 1, sizeof(*copy));
		char **arg = (char **)((char *)args->opts + prof->arg_offset);
		int all = argc;

		if (!copy)
			goto fail;
		*arg = NULL;	/* not the defaults' pointer: it is freed */
		memcpy(copy, argv, (size_t)argc * sizeof(*copy));
		ret = take_arg(prof, &argc, copy, arg, err, err_len);
		if (!ret) {
			struct qz_option_set sets[] = {
				{ qz_env__options(), args->env },
				{ prof->options, args->opts },
			};

			ret = qz_args__parse(sets, 2, argc, copy, &args->env->workload,
					     err, err_len, &aopts);
			/* into copy, past the words taken out: back into argv */
			if (args->env->workload)
				args->env->workload = argv + (args->env->workload - copy) +
						       (all - argc);
		}
		free(copy);
		goto parsed;
	}
	{
		struct qz_option_set sets[] = {
			{ qz_env__options(), args->env },
			{ prof->options, args->opts },
		};

		ret = qz_args__parse(sets, 2, argc, argv, &args->env->workload,
				     err, err_len, &aopts);
	}
parsed:
	if (ret == -ENOMEM)
		goto fail;
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
	return qz_session__new(&args->prof->ops, args->opts, args->env, out, opts);
}

void qz_profiler__usage(const struct qz_profiler *prof, FILE *out)
{
	fprintf(out, "usage: quazar %s [options]%s%s [-- command args]\n\n%s\n",
		prof->name, prof->arg_name ? " " : "", prof->arg_name ?: "", prof->help);
	if (prof->usage)
		fprintf(out, "\n%s\n", prof->usage);
	if (prof->options && prof->options[0].name) {
		fprintf(out, "\n%s options:\n", prof->name);
		qz_options__print(prof->options, out);
	}
	fprintf(out, "\ncommon options:\n");
	qz_options__print(qz_env__options(), out);
	fprintf(out, "  %-34s %s\n", "-h, --help", "this help");
}
