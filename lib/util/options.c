// SPDX-License-Identifier: MIT
/*
 * The option parser behind every command line: argv against one or more option tables (options.h). Values are
 * checked here, once: numbers that overflow are refused, never wrapped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/options.h>
#include "../internal.h"

#define NS_PER_MS 1000000ull

QZ_API int qz_parse_time(const char *text, uint64_t *ns)
{
	static const struct {
		const char *unit;
		uint64_t scale;
	} units[] = { { "ns", 1 }, { "us", 1000 }, { "ms", NS_PER_MS },
		      { "s", 1000000000 }, { "", 1 } };
	char *end;
	unsigned long long v;

	if (!text || *text < '0' || *text > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno)
		return -errno == -ERANGE ? -ERANGE : -EINVAL;
	for (size_t i = 0; i < QZ_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].unit))
			continue;
		if (v > UINT64_MAX / units[i].scale)
			return -ERANGE;
		*ns = v * units[i].scale;
		return 0;
	}
	return -EINVAL;
}

QZ_API const struct qz_option *qz_options__find(const struct qz_option *options,
						const char *name, char short_name)
{
	for (const struct qz_option *o = options; o && o->name; o++)
		if ((name && !strcmp(o->name, name)) ||
		    (short_name && o->short_name == short_name))
			return o;
	return NULL;
}

struct found {
	const struct qz_option *opt;
	void *base;
};

static struct found find_long(const struct qz_option_set *sets, size_t n,
			      const char *name, size_t len)
{
	for (size_t i = 0; i < n; i++)
		for (const struct qz_option *o = sets[i].options; o && o->name; o++)
			if (strlen(o->name) == len && !strncmp(o->name, name, len))
				return (struct found){ o, sets[i].base };
	return (struct found){ 0 };
}

static struct found find_short(const struct qz_option_set *sets, size_t n, char c)
{
	for (size_t i = 0; i < n; i++) {
		const struct qz_option *o = qz_options__find(sets[i].options, NULL, c);

		if (o)
			return (struct found){ o, sets[i].base };
	}
	return (struct found){ 0 };
}

static bool takes_value(const struct qz_option *o)
{
	return o->type != QZ_OPTION_BOOL && o->type != QZ_OPTION_LEVEL &&
	       o->type != QZ_OPTION_OPT_STRING;
}

static int parse_count(const char *text, unsigned long long *v)
{
	char *end;

	if (!text || !*text || *text == '-')
		return -EINVAL;
	errno = 0;
	*v = strtoull(text, &end, 0);
	if (errno == ERANGE)
		return -ERANGE;
	return errno || *end ? -EINVAL : 0;
}

static int strv_push(struct qz_strv *strv, const char *value)
{
	char **v = realloc(strv->v, sizeof(*v) * ((size_t)strv->n + 1));

	if (!v)
		return -ENOMEM;
	strv->v = v;
	v[strv->n] = strdup(value);
	if (!v[strv->n])
		return -ENOMEM;
	strv->n++;
	return 0;
}

static int bad_value(const struct qz_option *o, const char *value, int why,
		     char *err, size_t err_len)
{
	static const char *const expected[] = {
		[QZ_OPTION_COUNT] = "a non-negative number",
		[QZ_OPTION_PERCENT] = "a number from 0 to 100",
		[QZ_OPTION_MS] = "a number of milliseconds",
		[QZ_OPTION_TIME] = "a time such as 10ms, 500us, 1s or a number of ns",
	};

	if (why == -ERANGE)
		snprintf(err, err_len, "--%s '%s': too large%s", o->name, value,
			 o->type == QZ_OPTION_COUNT && o->max ? "" :
			 "; it must fit in 64 bits of nanoseconds (about 584 years)");
	else
		snprintf(err, err_len, "--%s '%s': expected %s", o->name, value,
			 expected[o->type]);
	if (why == -ERANGE && o->type == QZ_OPTION_COUNT && o->max) {
		size_t n = strlen(err);

		snprintf(err + n, err_len - n, " (at most %" PRIu64 ")", o->max);
	}
	return -QZ_ERR_OPTION;
}

/* Store one option's value; err gets a message on failure. */
static int apply(struct found f, const char *value, bool negated, char *err,
		 size_t err_len)
{
	const struct qz_option *o = f.opt;
	char *field = (char *)f.base + o->offset;
	unsigned long long v;
	uint64_t ns;
	int ret;

	switch (o->type) {
	case QZ_OPTION_BOOL:
		*(bool *)field = !negated;
		return 0;
	case QZ_OPTION_LEVEL:
		(*(int *)field)++;
		return 0;
	case QZ_OPTION_LIST: {
		struct qz_strv *strv = (struct qz_strv *)field;

		if (o->max && (uint64_t)strv->n >= o->max) {
			snprintf(err, err_len, "too many --%s options (at most %" PRIu64 ")",
				 o->name, o->max);
			return -QZ_ERR_OPTION;
		}
		return strv_push(strv, value);
	}
	case QZ_OPTION_STRING:
	case QZ_OPTION_OPT_STRING:
		free(*(char **)field);
		*(char **)field = strdup(value ? value : "");
		return *(char **)field ? 0 : -ENOMEM;
	case QZ_OPTION_COUNT:
		ret = parse_count(value, &v);
		if (!ret && o->max && v > o->max)
			ret = -ERANGE;
		if (ret)
			return bad_value(o, value, ret, err, err_len);
		*(uint64_t *)field = v;
		return 0;
	case QZ_OPTION_PERCENT:
		ret = parse_count(value, &v);
		if (ret || v > 100)
			return bad_value(o, value, -EINVAL, err, err_len);
		*(int *)field = (int)v;
		return 0;
	case QZ_OPTION_MS:
		ret = parse_count(value, &v);
		if (!ret && v > UINT64_MAX / NS_PER_MS)
			ret = -ERANGE;
		if (ret)
			return bad_value(o, value, ret, err, err_len);
		*(uint64_t *)field = v * NS_PER_MS;
		return 0;
	case QZ_OPTION_TIME:
		ret = qz_parse_time(value, &ns);
		if (ret)
			return bad_value(o, value, ret, err, err_len);
		*(uint64_t *)field = ns;
		return 0;
	}
	return -EINVAL;
}

static int unknown(const char *option, char *err, size_t err_len,
		   const struct qz_args_opts *opts)
{
	void (*fn)(const char *, char *, size_t, void *) = QZ_OPT(opts, unknown, NULL);

	if (fn)
		fn(option, err, err_len, QZ_OPT(opts, ctx, NULL));
	else
		snprintf(err, err_len, "unknown option '%s'; 'quazar %s -h' lists the options",
			 option, QZ_OPT(opts, command, NULL) ?: "CMD");
	return -QZ_ERR_OPTION;
}

/*
 * perf-prof bundles short flags (-SD). When every character of rest names
 * a flag, apply them (the first is applied by the caller) and return true.
 */
static bool bundled_flags(const struct qz_option_set *sets, size_t n,
			  const char *rest)
{
	for (const char *c = rest; *c; c++) {
		struct found f = find_short(sets, n, *c);

		if (!f.opt || f.opt->type != QZ_OPTION_BOOL)
			return false;
	}
	for (const char *c = rest; *c; c++) {
		struct found f = find_short(sets, n, *c);

		*(bool *)((char *)f.base + f.opt->offset) = true;
	}
	return true;
}

/* One argument; *i moves past a value taken from the next one. */
static int parse_one(const struct qz_option_set *sets, size_t n, int argc,
		     char **argv, int *i, char *err, size_t err_len,
		     const struct qz_args_opts *opts)
{
	const char *arg = argv[*i], *value = NULL;
	struct found f = { 0 };
	bool negated = false;

	if (!strncmp(arg, "--", 2)) {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		f = find_long(sets, n, name, len);
		if (!f.opt && len > 3 && !strncmp(name, "no-", 3)) {
			f = find_long(sets, n, name + 3, len - 3);
			negated = f.opt && f.opt->type == QZ_OPTION_BOOL;
			if (!negated)
				f.opt = NULL;
		}
		if (!f.opt) {
			char option[128];

			snprintf(option, sizeof(option), "--%.*s", (int)len, name);
			return unknown(option, err, err_len, opts);
		}
		if (eq)
			value = eq + 1;
	} else if (arg[0] == '-' && arg[1]) {
		f = find_short(sets, n, arg[1]);
		if (!f.opt) {
			char option[3] = { '-', arg[1], 0 };

			return unknown(option, err, err_len, opts);
		}
		if (arg[2] && takes_value(f.opt)) {
			value = arg + 2;
		} else if (arg[2] && f.opt->type == QZ_OPTION_LEVEL) {
			/* -vv */
			for (const char *c = arg + 1; *c == f.opt->short_name; c++)
				(*(int *)((char *)f.base + f.opt->offset))++;
			return 0;
		} else if (arg[2] && f.opt->type == QZ_OPTION_BOOL &&
			   bundled_flags(sets, n, arg + 2)) {
			/* -SD: the rest were flags too, and are applied */
		} else if (arg[2]) {
			for (const char *c = arg + 2; *c; c++) {
				char option[3] = { '-', *c, 0 };

				if (!find_short(sets, n, *c).opt)
					return unknown(option, err, err_len, opts);
			}
			snprintf(err, err_len, "option '-%c' takes no value (in '%s')",
				 arg[1], arg);
			return -QZ_ERR_OPTION;
		}
	} else {
		snprintf(err, err_len,
			 "unexpected argument '%s'; to run a command, put it after '--'",
			 arg);
		return -QZ_ERR_OPTION;
	}

	if (takes_value(f.opt) && !value) {
		if (*i + 1 >= argc) {
			snprintf(err, err_len, "option --%s needs a value (%s)",
				 f.opt->name, f.opt->arg);
			return -QZ_ERR_OPTION;
		}
		value = argv[++*i];
	}
	if (value && !takes_value(f.opt) && f.opt->type != QZ_OPTION_OPT_STRING) {
		snprintf(err, err_len, "option --%s takes no value", f.opt->name);
		return -QZ_ERR_OPTION;
	}
	return apply(f, value, negated, err, err_len);
}

QZ_API int qz_args__parse(const struct qz_option_set *sets, size_t nr_sets,
			  int argc, char **argv, char ***rest, char *err,
			  size_t err_len, const struct qz_args_opts *opts)
{
	int ret = QZ_OPTS_CHECK(opts);

	err[0] = 0;
	*rest = NULL;
	if (ret) {
		snprintf(err, err_len, "qz_args_opts: unknown fields set (sz %zu)",
			 opts->sz);
		return ret;
	}
	for (int i = 1; i < argc && !ret; i++) {
		if (!strcmp(argv[i], "--")) {
			*rest = argv + i + 1;
			break;
		}
		ret = parse_one(sets, nr_sets, argc, argv, &i, err, err_len, opts);
	}
	if (ret == -ENOMEM)
		snprintf(err, err_len, "out of memory");
	return ret;
}

QZ_API void qz_options__free(const struct qz_option *options, void *base)
{
	for (const struct qz_option *o = options; base && o && o->name; o++) {
		char *field = (char *)base + o->offset;

		if (o->type == QZ_OPTION_STRING || o->type == QZ_OPTION_OPT_STRING) {
			free(*(char **)field);
			*(char **)field = NULL; /* two options may share a field */
		} else if (o->type == QZ_OPTION_LIST) {
			struct qz_strv *strv = (struct qz_strv *)field;

			for (int k = 0; k < strv->n; k++)
				free(strv->v[k]);
			free(strv->v);
			*strv = (struct qz_strv){ 0 };
		}
	}
}

QZ_API void qz_option__synopsis(const struct qz_option *o, char *buf, size_t len)
{
	const char *arg = o->arg ? o->arg : "";
	const char *sep = !o->arg ? "" : o->type == QZ_OPTION_OPT_STRING ? "" : " ";

	if (o->short_name)
		snprintf(buf, len, "-%c, --%s%s%s", o->short_name, o->name, sep, arg);
	else
		snprintf(buf, len, "    --%s%s%s", o->name, sep, arg);
}

QZ_API void qz_options__print(const struct qz_option *options, FILE *out)
{
	for (const struct qz_option *o = options; o && o->name; o++) {
		char left[64];

		qz_option__synopsis(o, left, sizeof(left));
		fprintf(out, "  %-34s %s\n", left, o->help);
	}
}
