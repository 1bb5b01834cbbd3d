// SPDX-License-Identifier: MIT
/*
 * libbpf's messages turned into ours: a thread's capture of what libbpf
 * prints, and the explanation of a failed load, with the verifier's log
 * cut to the instruction it refused.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bpf_internal.h"

#define CAPTURE_MAX (4u << 20)	/* a verifier log can be long; keep its end */

void qz__bpf_log(const struct qz_bpf_logger *log, enum qz_log_level level,
		 const char *fmt, ...)
{
	char small[1024], *line = small;
	va_list ap;
	int n;

	if (!log || !log->fn)
		return;
	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(small) && (line = malloc((size_t)n + 1))) {
		va_start(ap, fmt);
		vsnprintf(line, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	log->fn(level, line ? line : small, log->ctx);
	if (line != small)
		free(line);
}

int qz__bpf_opts_check(const void *opts, size_t known_size)
{
	const unsigned char *p = opts;
	size_t sz;

	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	for (size_t i = known_size; i < sz; i++)
		if (p[i])
			return -E2BIG;
	return 0;
}

static __thread struct qz_bpf_capture *current;
static pthread_once_t print_once = PTHREAD_ONCE_INIT;

static void append(struct qz_bpf_capture *c, const char *s, size_t n)
{
	if (c->len + n + 1 > c->cap) {
		size_t cap = c->cap ? c->cap : 4096;
		char *grown;

		while (cap < c->len + n + 1)
			cap *= 2;
		if (cap > CAPTURE_MAX) {
			/* Keep the end, where the verdict is. */
			size_t drop = c->len + n + 1 - CAPTURE_MAX;

			if (drop >= c->len) {
				c->len = 0;
				if (n + 1 > CAPTURE_MAX) {
					s += n + 1 - CAPTURE_MAX;
					n = CAPTURE_MAX - 1;
				}
			} else {
				memmove(c->text, c->text + drop, c->len - drop);
				c->len -= drop;
			}
			cap = CAPTURE_MAX;
		}
		grown = realloc(c->text, cap);
		if (!grown)
			return;
		c->text = grown;
		c->cap = cap;
	}
	memcpy(c->text + c->len, s, n);
	c->len += n;
	c->text[c->len] = 0;
}

static int print_fn(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	struct qz_bpf_capture *c = current;
	char small[512], *buf = small;
	va_list copy;
	int n;

	if (!c || level == LIBBPF_DEBUG)
		return 0;
	va_copy(copy, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n >= (int)sizeof(small)) {
		buf = malloc((size_t)n + 1);
		if (buf)
			vsnprintf(buf, (size_t)n + 1, fmt, copy);
	}
	va_end(copy);
	if (n > 0 && buf)
		append(c, buf, strlen(buf));
	if (buf != small)
		free(buf);
	return 0;
}

static void install_print(void)
{
	libbpf_set_print(print_fn);
}

void qz__bpf_capture_begin(struct qz_bpf_capture *c)
{
	pthread_once(&print_once, install_print);
	memset(c, 0, sizeof(*c));
	c->prev = current;
	current = c;
}

void qz__bpf_capture_end(struct qz_bpf_capture *c)
{
	if (current == c)
		current = c->prev;
}

void qz__bpf_capture_free(struct qz_bpf_capture *c)
{
	qz__bpf_capture_end(c);
	free(c->text);
	c->text = NULL;
	c->len = c->cap = 0;
}

bool qz__bpf_kernel_btf(char *why, size_t len)
{
	if (!access(QZ_BPF_KERNEL_BTF, R_OK))
		return true;
	snprintf(why, len,
		 "the kernel has no BTF (%s: %s): it needs CONFIG_DEBUG_INFO_BTF=y",
		 QZ_BPF_KERNEL_BTF, strerror(errno));
	return false;
}

/* The lines [start, end) of text, one at a time. */
struct lines {
	const char *p, *end;
};

static bool next_line(struct lines *l, const char **line, size_t *n)
{
	const char *nl;

	if (l->p >= l->end)
		return false;
	nl = memchr(l->p, '\n', (size_t)(l->end - l->p));
	*line = l->p;
	*n = (size_t)((nl ? nl : l->end) - l->p);
	l->p = nl ? nl + 1 : l->end;
	return true;
}

static bool is_insn(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	return i > 0 && i + 2 < n && s[i] == ':' && s[i + 1] == ' ' && s[i + 2] == '(';
}

static bool is_tail(const char *s, size_t n)
{
	return !n || (n >= 10 && !strncmp(s, "processed ", 10)) ||
	       (n >= 17 && !strncmp(s, "verification time", 17));
}

#define MAX_LOG_LINES 4096

void qz__bpf_verifier_excerpt(const char *captured, char *out, size_t len)
{
	static const char begin_mark[] = "-- BEGIN PROG LOAD LOG --";
	const char *begin = NULL, *end, *s = captured, *line;
	const char **starts = NULL;
	size_t *lens = NULL, n, nr = 0, off = 0;
	int last_insn = -1, last_src = -1, stop;

	out[0] = 0;
	if (!captured)
		return;
	while ((s = strstr(s, begin_mark))) {	/* the last program's log */
		begin = s + sizeof(begin_mark) - 1;
		s = begin;
	}
	if (!begin)
		return;
	end = strstr(begin, "-- END PROG LOAD LOG --");
	if (!end)
		end = begin + strlen(begin);
	starts = calloc(MAX_LOG_LINES, sizeof(*starts));
	lens = calloc(MAX_LOG_LINES, sizeof(*lens));
	if (!starts || !lens)
		goto out;
	/* Keep the last MAX_LOG_LINES lines: the verdict is at the end. */
	for (struct lines l = { begin, end }; next_line(&l, &line, &n);) {
		if (nr == MAX_LOG_LINES) {
			memmove(starts, starts + 1, (MAX_LOG_LINES - 1) * sizeof(*starts));
			memmove(lens, lens + 1, (MAX_LOG_LINES - 1) * sizeof(*lens));
			nr--;
		}
		starts[nr] = line;
		lens[nr++] = n;
	}
	stop = (int)nr;
	while (stop > 0 && is_tail(starts[stop - 1], lens[stop - 1]))
		stop--;
	for (int i = 0; i < stop; i++) {
		if (is_insn(starts[i], lens[i]))
			last_insn = i;
	}
	if (last_insn < 0) {
		last_insn = stop > 3 ? stop - 3 : 0;	/* no instruction: the last lines */
	} else {
		for (int i = last_insn - 1; i >= 0 && last_src < 0; i--)
			if (lens[i] >= 2 && starts[i][0] == ';' && starts[i][1] == ' ')
				last_src = i;
	}
	if (last_src >= 0)
		off += (size_t)snprintf(out + off, len - off, "  %.*s\n", (int)lens[last_src],
					starts[last_src]);
	for (int i = last_insn; i < stop && off < len; i++)
		off += (size_t)snprintf(out + off, len - off, "  %.*s\n", (int)lens[i], starts[i]);
	if (off && off < len && out[off - 1] == '\n')
		out[off - 1] = 0;
out:
	free(starts);
	free(lens);
}

/* The name in "prog 'NAME': BPF program load failed", or NULL. */
static bool failed_prog(const char *text, char *name, size_t len)
{
	const char *s = text, *hit = NULL, *q;

	while (text && (s = strstr(s, "': BPF program load failed"))) {
		hit = s;
		s++;
	}
	if (!hit)
		return false;
	for (q = hit - 1; q > text && *q != '\''; q--)
		;
	if (*q != '\'')
		return false;
	snprintf(name, len, "%.*s", (int)(hit - q - 1), q + 1);
	return true;
}

/* libbpf's last few warning lines, "libbpf: " dropped. */
static void last_lines(const char *text, char *out, size_t len, int want)
{
	const char *end = text + strlen(text), *p = end;
	int n = 0;
	size_t off = 0;

	while (p > text && (p[-1] == '\n'))
		p--, end--;
	while (p > text && n < want) {
		p--;
		if (*p == '\n' && ++n == want) {
			p++;
			break;
		}
	}
	for (struct lines l = { p, end }; off < len;) {
		const char *line;
		size_t ln;

		if (!next_line(&l, &line, &ln))
			break;
		if (ln >= 8 && !strncmp(line, "libbpf: ", 8))
			line += 8, ln -= 8;
		off += (size_t)snprintf(out + off, len - off, "%s  %.*s", off ? "\n" : "",
					(int)ln, line);
	}
}

void qz__bpf_explain(const char *captured, int err, const char *btf_path,
		     char *out, size_t len)
{
	const char *t = captured ? captured : "";
	char prog[128], excerpt[4096];

	if (failed_prog(t, prog, sizeof(prog))) {
		qz__bpf_verifier_excerpt(t, excerpt, sizeof(excerpt));
		if (err == -EPERM || err == -EACCES) {
			if (!excerpt[0]) {
				snprintf(out, len,
					 "program '%s': the kernel refused to load it (%s): run as root",
					 prog, strerror(-err));
				return;
			}
		}
		snprintf(out, len, "program '%s': the verifier rejected it:\n%s%s", prog,
			 excerpt[0] ? excerpt : "  (no log)",
			 excerpt[0] ? "\n  (the whole log with -vv)" : "");
		return;
	}
	if (strstr(t, "BTF is required, but is missing or corrupted")) {
		snprintf(out, len,
			 "it carries no BTF, which libbpf needs for its .maps section: "
			 "compile it with BTF: clang -g -O2 -target bpf -c prog.bpf.c");
		return;
	}
	if (strstr(t, "failed to parse target BTF") || strstr(t, "kernel BTF is missing") ||
	    strstr(t, "failed to find valid kernel BTF")) {
		snprintf(out, len,
			 "its CO-RE relocations need the kernel's BTF, and %s is missing or "
			 "unreadable: the kernel needs CONFIG_DEBUG_INFO_BTF=y (or give a BTF "
			 "file of this kernel with --btf)",
			 btf_path ? btf_path : QZ_BPF_KERNEL_BTF);
		return;
	}
	if (strstr(t, "failed to resolve CO-RE relocation") || strstr(t, "relo #")) {
		char lines[1024];

		last_lines(t, lines, sizeof(lines), 3);
		snprintf(out, len,
			 "a CO-RE relocation found no match in this kernel's BTF:\n%s", lines);
		return;
	}
	if (err == -EPERM || err == -EACCES) {
		snprintf(out, len, "the kernel refused to load it (%s): run as root",
			 strerror(-err));
		return;
	}
	if (!t[0]) {
		snprintf(out, len, "%s", strerror(err < 0 ? -err : err));
		return;
	}
	{
		char lines[2048];

		last_lines(t, lines, sizeof(lines), 4);
		snprintf(out, len, "%s; libbpf said:\n%s", strerror(err < 0 ? -err : err),
			 lines);
	}
}
