// SPDX-License-Identifier: MIT
/*
 * usdt: User Statically-Defined Tracing probes (perf-prof's usdt). The
 * probes are read from an ELF file's .note.stapsdt section and placed as
 * uprobe events through tracefs (uprobe_events), one per probe site:
 *
 *	quazar usdt list  [[PROVIDER:]NAME@]BINARY[@ADDR] ...
 *	quazar usdt add   [[PROVIDER:]NAME@]BINARY[@ADDR] ...
 *	quazar usdt del   [[PROVIDER:]NAME@]BINARY[@ADDR] ...
 *
 * An added probe is the tracepoint sdt_PROVIDER:NAME (NAME_1, NAME_2 for
 * more sites of one probe) whose fields arg1..argN are the probe's
 * arguments, decoded by the kernel at each hit: registers, constants and
 * memory (-8(%rbp), counter(%rip)) alike, each with its size and sign.
 * Every profiler then uses them: trace, top (top-by=arg2), num-dist
 * (delay=arg1), filters (/arg1>100/). A probe with a semaphore has it
 * raised while the event is open (the kernel's ref_ctr_offset), so code
 * guarded by PROBE_ENABLED() runs. `del` removes them.
 *
 * Events through tracefs rather than perf's uprobe PMU (what uprobe: in a
 * selector opens) because the PMU gives no fetch arguments: only the
 * kernel reads memory operands at the hit, and only tracefs takes a
 * semaphore's offset.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "sdt.h"

struct usdt_opts {
	struct qz_strv probe;
};

/* [[PROVIDER:]NAME@]BINARY[@ADDR] */
struct usdt_sel {
	char *provider, *name, *path;
	uint64_t addr;
};

static int parse_sel(char *text, struct usdt_sel *sel)
{
	char *at = strchr(text, '@'), *colon;

	memset(sel, 0, sizeof(*sel));
	sel->path = text;
	if (at && text[0] != '/' && text[0] != '.') {
		*at = 0;
		sel->path = at + 1;
		colon = strchr(text, ':');
		if (colon) {
			*colon = 0;
			sel->provider = *text ? text : NULL;
			sel->name = *(colon + 1) ? colon + 1 : NULL;
		} else {
			sel->name = *text ? text : NULL;
		}
	}
	at = strchr(sel->path, '@');
	if (at) {
		char *end;

		*at = 0;
		sel->addr = strtoull(at + 1, &end, 0);
		if (*end || end == at + 1)
			return -EINVAL;
	}
	return *sel->path ? 0 : -EINVAL;
}

static bool matches(const struct usdt_sel *sel, const struct sdt_probe *p)
{
	return (!sel->provider || !strcmp(sel->provider, p->provider)) &&
	       (!sel->name || !strcmp(sel->name, p->name)) && (!sel->addr || sel->addr == p->pc);
}

/* Event names are C identifiers: anything else becomes '_'. */
static void ident(char *out, size_t len, const char *prefix, const char *text)
{
	size_t n = (size_t)snprintf(out, len, "%s", prefix);

	for (const char *c = text; *c && n + 1 < len; c++)
		out[n++] = isalnum((unsigned char)*c) || *c == '_' ? *c : '_';
	out[n] = 0;
	if (isdigit((unsigned char)out[0]))
		out[0] = '_';
}

/* The uprobe_events definition of probe i (its name given), or -ENOMEM. */
static int definition(const struct sdt_file *f, const struct sdt_probe *p, const char *group,
		      const char *event, char *buf, size_t len, FILE *err)
{
	size_t n = (size_t)snprintf(buf, len, "p:%s/%s %s:0x%" PRIx64, group, event, f->path,
				    p->offset);
	char *args = strdup(p->args), *save = NULL;
	int i = 0;

	if (!args)
		return -ENOMEM;
	if (p->semaphore)
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "(0x%" PRIx64 ")", p->sem_offset);
	for (char *a = strtok_r(args, " \t", &save); a; a = strtok_r(NULL, " \t", &save)) {
		char fetch[160];
		const char *why = NULL;

		i++;
		if (qz_sdt__fetcharg(f, p, a, fetch, sizeof(fetch), &why)) {
			if (err)
				fprintf(err, "quazar usdt: %s:%s argument %d '%s' is left out: %s\n",
					p->provider, p->name, i, a, why);
			continue;
		}
		n += (size_t)snprintf(buf + n, n < len ? len - n : 0, " arg%d=%s", i, fetch);
	}
	free(args);
	return n < len ? 0 : -E2BIG;
}

struct usdt_run {
	const char *cmd;
	FILE *out, *err;
	int fd;			/* uprobe_events, or -1 (list) */
	const char *tracing;
	int done, failed;
};

static int write_def(struct usdt_run *r, const char *line)
{
	size_t len = strlen(line);

	if (write(r->fd, line, len) == (ssize_t)len)
		return 0;
	return -errno;
}

static void run_file(struct usdt_run *r, const struct usdt_sel *sel, const struct sdt_file *f)
{
	char (*seen)[192] = calloc((size_t)f->nr + 1, sizeof(*seen));

	if (!seen) {
		r->failed++;
		return;
	}
	for (int i = 0; i < f->nr; i++) {
		const struct sdt_probe *p = &f->probes[i];
		char group[96], name[96], event[128], def[4096];
		int same = 0;

		if (!matches(sel, p))
			continue;
		ident(group, sizeof(group), "sdt_", p->provider);
		ident(name, sizeof(name), "", p->name);
		/* A probe at several sites: NAME, NAME_1, NAME_2, ... */
		snprintf(seen[i], sizeof(seen[i]), "%s/%s", group, name);
		for (int k = 0; k < i; k++)
			same += !strcmp(seen[k], seen[i]);
		if (same)
			snprintf(event, sizeof(event), "%s_%d", name, same);
		else
			snprintf(event, sizeof(event), "%s", name);
		if (definition(f, p, group, event, def, sizeof(def), strcmp(r->cmd, "list") ? r->err : NULL)) {
			fprintf(r->err, "quazar usdt: %s:%s: definition too long\n", p->provider, p->name);
			r->failed++;
			continue;
		}
		if (!strcmp(r->cmd, "list")) {
			fprintf(r->out, "%s:%s@%s\n", p->provider, p->name, f->path);
			fprintf(r->out, "    addr 0x%" PRIx64 " (file offset 0x%" PRIx64 ")", p->pc, p->offset);
			if (p->semaphore)
				fprintf(r->out, ", semaphore 0x%" PRIx64 " (file offset 0x%" PRIx64 ")",
					p->semaphore, p->sem_offset);
			fprintf(r->out, "\n    args: %s\n    event: %s:%s\n    uprobe: %s\n",
				*p->args ? p->args : "(none)", group, event, def);
			r->done++;
		} else if (!strcmp(r->cmd, "add")) {
			int err = write_def(r, def);

			if (!err) {
				fprintf(r->out, "%s:%s\n", group, event);
				r->done++;
			} else if (err == -EEXIST) {
				fprintf(r->out, "%s:%s (already there)\n", group, event);
				r->done++;
			} else {
				fprintf(r->err, "quazar usdt: cannot add %s:%s: %s (%s; see %s/error_log)\n",
					group, event, strerror(-err), def, r->tracing);
				r->failed++;
			}
		} else {
			char del[256];
			int err;

			snprintf(del, sizeof(del), "-:%s/%s", group, event);
			err = write_def(r, del);
			if (!err) {
				fprintf(r->out, "removed %s:%s\n", group, event);
				r->done++;
			} else if (err != -ENOENT) {
				fprintf(r->err, "quazar usdt: cannot remove %s:%s: %s%s\n", group, event,
					strerror(-err), err == -EBUSY ? " (a profiler has it open)" : "");
				r->failed++;
			}
		}
	}
	free(seen);
}

static int usdt_command(const struct qz_profiler_args *args, FILE *out, FILE *err)
{
	const struct usdt_opts *opts = args->opts;
	struct usdt_run r = { .out = out, .err = err, .fd = -1 };
	struct qz_tp *tp = NULL;
	char path[512];

	if (!opts->probe.n || (strcmp(opts->probe.v[0], "list") && strcmp(opts->probe.v[0], "add") &&
			       strcmp(opts->probe.v[0], "del"))) {
		fprintf(err, "quazar usdt: give list, add or del, then [[PROVIDER:]NAME@]BINARY ...; "
			     "'quazar usdt -h' shows how\n");
		return 2;
	}
	r.cmd = opts->probe.v[0];
	if (opts->probe.n < 2) {
		fprintf(err, "quazar usdt %s: which binary? e.g. quazar usdt %s /usr/lib/x86_64-linux-gnu/libc.so.6\n",
			r.cmd, r.cmd);
		return 2;
	}
	if (strcmp(r.cmd, "list")) {
		tp = qz_tp__new(NULL);
		r.tracing = tp ? qz_tp__tracing_dir(tp) : NULL;
		if (!r.tracing) {
			fprintf(err, "quazar usdt %s: no tracefs: %s; are you root?\n", r.cmd,
				strerror(errno));
			qz_tp__free(tp);
			return 1;
		}
		snprintf(path, sizeof(path), "%s/uprobe_events", r.tracing);
		r.fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
		if (r.fd < 0) {
			fprintf(err, "quazar usdt %s: %s: %s (uprobe events need CONFIG_UPROBE_EVENTS and root)\n",
				r.cmd, path, strerror(errno));
			qz_tp__free(tp);
			return 1;
		}
	}
	for (int i = 1; i < opts->probe.n; i++) {
		char *text = strdup(opts->probe.v[i]), msg[512];
		struct usdt_sel sel;
		struct sdt_file *f;

		if (!text || parse_sel(text, &sel)) {
			fprintf(err, "quazar usdt: '%s': expected [[PROVIDER:]NAME@]BINARY[@ADDR]\n",
				opts->probe.v[i]);
			free(text);
			r.failed++;
			continue;
		}
		f = qz_sdt__open(sel.path, msg, sizeof(msg));
		if (!f) {
			fprintf(err, "quazar usdt: %s\n", msg);
			r.failed++;
		} else {
			int before = r.done + r.failed;

			run_file(&r, &sel, f);
			if (r.done + r.failed == before && strcmp(r.cmd, "del"))
				fprintf(err, "quazar usdt: %s: no USDT probe%s%s%s%s\n", f->path,
					sel.provider || sel.name ? " matches " : " (.note.stapsdt)",
					sel.provider ? sel.provider : "", sel.provider ? ":" : "",
					sel.name ? sel.name : "");
		}
		qz_sdt__close(f);
		free(text);
	}
	if (r.fd >= 0)
		close(r.fd);
	qz_tp__free(tp);
	if (!strcmp(r.cmd, "add") && r.done)
		fprintf(out, "trace them with: quazar trace -e 'sdt_PROVIDER:NAME' (fields arg1..argN)\n");
	return r.failed || (!r.done && strcmp(r.cmd, "del")) ? 1 : 0;
}

/* The agent runs sessions: usdt has none, its work is done by add. */
static int usdt_init(struct qz_session *s, void **ctx)
{
	(void)ctx;
	qz_session__log(s, QZ_LOG_ERROR,
			"usdt adds events and exits: 'quazar usdt add BINARY', then a profiler of sdt_PROVIDER:NAME");
	return -QZ_ERR_OPTION;
}

static const struct qz_option usdt_options[] = {
	QZ_OPTION_ENTRY(struct usdt_opts, probe, "probe", 0, QZ_OPTION_LIST, "ARG",
			"list|add|del, then [[PROVIDER:]NAME@]BINARY[@ADDR]... (as arguments)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_usdt = {
	.name = "usdt",
	.help = "USDT probes of a binary (.note.stapsdt): list them, add them as events, remove them",
	.usage = "ARGS: list|add|del, then [[PROVIDER:]NAME@]BINARY[@ADDR] ...\n"
		 "add makes each probe the event sdt_PROVIDER:NAME with its arguments as fields\n"
		 "arg1..argN (decoded by the kernel: registers, constants, memory);\n"
		 "del removes them.\n"
		 "examples:\n"
		 "  quazar usdt list /usr/lib/x86_64-linux-gnu/libc.so.6\n"
		 "  quazar usdt add libc:memory_malloc_retry@/usr/lib/x86_64-linux-gnu/libc.so.6\n"
		 "  quazar trace -e 'sdt_libc:memory_*' -- ./prog\n"
		 "  quazar usdt del /usr/lib/x86_64-linux-gnu/libc.so.6",
	.options = usdt_options,
	.opts_size = sizeof(struct usdt_opts),
	.positional = "probe",
	.command = usdt_command,
	.ops = {
		.init = usdt_init,
	},
};
