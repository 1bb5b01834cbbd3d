// SPDX-License-Identifier: MIT
/*
 * The profilers' side of a session's selectors: which attributes each
 * profiler reads (an attribute nobody reads is refused, naming those that
 * do), and profilers as event sources (`-e 'task-state,profile/-F 99/'`):
 * a name from the profiler table, its options parsed by its own table,
 * run inside the session with qz_session__add_nested.
 */
#include <ctype.h>
#include <pthread.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <quazar/session.h>
#include "profiler.h"

static const struct {
	unsigned bit;
	const char *name;	/* as the selector spells it */
} attr_names[] = {
	{ QZ_PATTR_KEY, "key=" }, { QZ_PATTR_PRINTKEY, "printkey=" },
	{ QZ_PATTR_TOP_BY, "top-by=" }, { QZ_PATTR_TOP_ADD, "top-add=" },
	{ QZ_PATTR_COMM, "comm=" }, { QZ_PATTR_PTR, "ptr=" }, { QZ_PATTR_SIZE, "size=" },
	{ QZ_PATTR_DELAY, "delay=" }, { QZ_PATTR_ROLE, "role=" },
	{ QZ_PATTR_UNTRACED, "untraced" }, { QZ_PATTR_TRIGGER, "trigger" },
};

#define NR_ATTRS (sizeof(attr_names) / sizeof(attr_names[0]))

/* The profiler-specific attributes a spec carries. */
static unsigned spec_attrs(const struct qz_event_spec *spec)
{
	return (spec->key ? QZ_PATTR_KEY : 0) | (spec->printkey ? QZ_PATTR_PRINTKEY : 0) |
	       (spec->nr_top_by ? QZ_PATTR_TOP_BY : 0) |
	       (spec->nr_top_add ? QZ_PATTR_TOP_ADD : 0) | (spec->comm ? QZ_PATTR_COMM : 0) |
	       (spec->ptr ? QZ_PATTR_PTR : 0) | (spec->size ? QZ_PATTR_SIZE : 0) |
	       (spec->delay ? QZ_PATTR_DELAY : 0) | (spec->role ? QZ_PATTR_ROLE : 0) |
	       (spec->untraced ? QZ_PATTR_UNTRACED : 0) |
	       (spec->trigger ? QZ_PATTR_TRIGGER : 0);
}

/* Where in the event's text the attribute is, for the caret. */
static int attr_column(const char *text, const char *name)
{
	size_t n = strlen(name);
	bool flag = name[n - 1] != '=';

	for (const char *p = strchr(text, '/'); p; p = strchr(p + 1, '/')) {
		const char *a = p + 1;

		if (!strncmp(a, name, n) && (!flag || a[n] == '/' || !a[n]))
			return (int)(a - text);
	}
	return 0;
}

static int check_spec(struct qz_session *s, const struct qz_event_spec *spec, void *ctx)
{
	const struct qz_profiler *prof = ctx;
	unsigned extra = spec_attrs(spec) & ~prof->attrs;
	struct qz_parse_error err = { 0 };
	char users[160] = "", diag[1024];
	size_t n = 0;
	unsigned bit;
	size_t a;

	if (!extra)
		return 0;
	for (a = 0; a < NR_ATTRS && !(extra & attr_names[a].bit); a++)
		;
	bit = attr_names[a].bit;
	for (const struct qz_profiler *const *p = qz_profilers(); *p; p++)
		if (((*p)->attrs & bit) && n + strlen((*p)->name) + 3 < sizeof(users))
			n += (size_t)snprintf(users + n, sizeof(users) - n, "%s%s",
					      n ? ", " : "", (*p)->name);
	err.column = attr_column(spec->text, attr_names[a].name);
	snprintf(err.message, sizeof(err.message),
		 "'%s' does not use the attribute %s; %s%s", prof->name, attr_names[a].name,
		 n ? "it is used by: " : "no profiler here uses it", users);
	qz_parse_error__format(&err, spec->text, diag, sizeof(diag));
	qz_session__log(s, QZ_LOG_ERROR, "bad event selector:\n%s", diag);
	return -QZ_ERR_SELECTOR;
}

/* Split the options between the slashes as a shell would: words, quotes. */
static char **split_words(const char *name, const char *text, int *argc)
{
	size_t len = text ? strlen(text) : 0;
	char **argv = calloc(len / 2 + 3, sizeof(*argv));
	char *buf = malloc(len + 1), *out = buf;
	int n = 0;

	if (!argv || !buf) {
		free(argv);
		free(buf);
		return NULL;
	}
	argv[n++] = (char *)name;
	for (size_t i = 0; i < len;) {
		char quote = 0;

		while (i < len && isspace((unsigned char)text[i]))
			i++;
		if (i == len)
			break;
		argv[n++] = out;
		for (; i < len && (quote || !isspace((unsigned char)text[i])); i++) {
			if (!quote && (text[i] == '"' || text[i] == '\''))
				quote = text[i];
			else if (quote && text[i] == quote)
				quote = 0;
			else
				*out++ = text[i];
		}
		*out++ = '\0';
	}
	argv[n] = NULL;
	*argc = n;
	if (n == 1)
		free(buf);	/* no words: nothing points into it */
	return argv;
}

/* A nested profiler's command line: its words outlive the parse (-- cmd). */
struct nested_args {
	struct qz_profiler_args *args;
	char **argv;
};

static void release_args(void *arg)
{
	struct nested_args *na = arg;

	qz_profiler_args__free(na->args);
	if (na->argv[0] && na->argv[1])
		free(na->argv[1]);	/* the words' buffer */
	free(na->argv);
	free(na);
}

static int nest(struct qz_session *s, const struct qz_event_spec *spec, void *ctx)
{
	const struct qz_profiler *outer = ctx, *prof = qz_profiler__find(spec->name);
	struct nested_args *na;
	char err[512];
	int argc;

	if (!prof)
		return -ENOENT;
	if (!prof->nest) {
		char list[256] = "";
		size_t n = 0;

		for (const struct qz_profiler *const *p = qz_profilers(); *p; p++)
			if ((*p)->nest && n + strlen((*p)->name) + 3 < sizeof(list))
				n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
						      n ? ", " : "", (*p)->name);
		qz_session__log(s, QZ_LOG_ERROR,
				"'%s': %s cannot run inside another profiler: %s; these can: %s",
				spec->text, prof->name, prof->no_nest ? prof->no_nest :
				"it does not run as an event source", list);
		return -QZ_ERR_SELECTOR;
	}
	na = calloc(1, sizeof(*na));
	if (!na || !(na->argv = split_words(prof->name, spec->profiler_opts, &argc))) {
		free(na);
		return -ENOMEM;
	}
	na->args = qz_profiler_args__parse(prof, argc, na->argv, err, sizeof(err));
	if (!na->args) {
		int ret = errno == ENOMEM ? -ENOMEM : -QZ_ERR_OPTION;

		qz_session__log(s, QZ_LOG_ERROR, "'%s': the options of %s inside %s: %s",
				spec->text, prof->name, outer->name, err);
		release_args(na);
		return ret;
	}
	return qz_session__add_nested(s, spec, &prof->ops, na->args->opts, na->args->env,
				      (void *)prof, release_args, na);
}

static const char *names[64];

static void fill_names(void)
{
	int n = 0;

	for (const struct qz_profiler *const *p = qz_profilers(); *p && n < 63; p++)
		names[n++] = (*p)->name;
}

/* The profilers' names, for "did you mean" (agent sessions run on threads). */
static const char *const *profiler_names(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, fill_names);
	return names;
}

void qz_profiler__session_hooks(const struct qz_profiler *prof, struct qz_session_opts *opts)
{
	opts->check_spec = check_spec;
	opts->nest = nest;
	opts->hook_ctx = (void *)prof;
	opts->nest_names = profiler_names();
}
