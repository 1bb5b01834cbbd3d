// SPDX-License-Identifier: MIT
/* Raw stacks to text, when they are reported: folded lines and leaf keys. */
#include <stdio.h>
#include <string.h>
#include <linux/perf_event.h>
#include "stacktab.h"

/* One frame's name; counts it, and counts it unknown when it has none. */
static void frame_name(struct qz_symbolizer *sym, const struct qz_stack_entry *e,
		       bool user, uint64_t addr, char *buf, size_t len,
		       struct qz_symbol_info *info, struct qz_stackfold_stats *stats)
{
	info->sz = sizeof(*info);
	stats->frames++;
	if (!qz_symbolizer__resolve(sym, (pid_t)e->pid, e->gen, user, addr, info)) {
		snprintf(buf, len, "%s", info->name);
		return;
	}
	stats->unknown++;
	if (info->module && info->module[0] == '[')
		snprintf(buf, len, "%s", info->module);	/* "[kernel]", "[vdso]" */
	else if (info->module)
		snprintf(buf, len, "[%s]", info->module);
	else
		snprintf(buf, len, "[unknown]");
}

struct frames {
	uint64_t addr[QZ_STACK_MAX_FRAMES];
	bool user[QZ_STACK_MAX_FRAMES];
	int nr;
};

/* Context markers say whose the frames after them are. */
static void collect(const struct qz_stack_entry *e, struct frames *fr)
{
	bool user = false;

	fr->nr = 0;
	for (uint32_t i = 0; i < e->nr; i++) {
		if (e->ips[i] >= PERF_CONTEXT_MAX) {
			user = e->ips[i] == PERF_CONTEXT_USER;
			continue;
		}
		fr->addr[fr->nr] = e->ips[i];
		fr->user[fr->nr++] = user;
	}
}

size_t qz_stackfold__line(struct qz_symbolizer *sym, const struct qz_stack_entry *e,
			  bool kmark, char *line, size_t size,
			  struct qz_stackfold_stats *stats)
{
	struct qz_symbol_info info;
	struct frames fr;
	char frame[256];
	size_t len = (size_t)snprintf(line, size, "%s", e->comm[0] ? e->comm : "[unknown]");

	collect(e, &fr);
	/* Callchains start at the leaf; flame graphs read from the root. */
	for (int i = fr.nr - 1; i >= 0 && len < size - 1; i--) {
		frame_name(sym, e, fr.user[i], fr.addr[i], frame, sizeof(frame), &info, stats);
		len += (size_t)snprintf(line + len, size - len, ";%s%s", frame,
					kmark && !fr.user[i] ? "_[k]" : "");
	}
	return len < size ? len : size - 1;
}

void qz_stackfold__leaf(struct qz_symbolizer *sym, const struct qz_stack_entry *e,
			char *key, size_t size, struct qz_stackfold_stats *stats)
{
	struct qz_symbol_info info;
	struct frames fr;
	char frame[256];

	collect(e, &fr);
	if (!fr.nr) {
		snprintf(key, size, "[unknown]\t[%s]\t", e->comm);
		return;
	}
	frame_name(sym, e, fr.user[0], fr.addr[0], frame, sizeof(frame), &info, stats);
	if (!info.name)
		snprintf(key, size, "[unknown]\t%s%s%s\t", info.module ? "" : "[",
			 info.module ?: e->comm, info.module ? "" : "]");
	else
		snprintf(key, size, "%s\t%s\t%s", frame, info.module ?: "?",
			 info.build_id ?: "");
}
