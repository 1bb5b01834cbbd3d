// SPDX-License-Identifier: MIT
/* Callchains to symbols, for trace, kmemleak and profile. */
#include <inttypes.h>
#include <stdlib.h>
#include "callchain.h"

struct qz_stack_printer {
	struct qz_symbolizer *sym;
};

struct qz_stack_printer *qz_stack_printer__new(void)
{
	struct qz_stack_printer *p = calloc(1, sizeof(*p));

	if (p && !(p->sym = qz_symbolizer__new())) {
		free(p);
		return NULL;
	}
	return p;
}

void qz_stack_printer__free(struct qz_stack_printer *p)
{
	if (!p)
		return;
	qz_symbolizer__free(p->sym);
	free(p);
}

struct qz_symbolizer *qz_stack_printer__symbolizer(struct qz_stack_printer *p)
{
	return p->sym;
}

void qz_callchain__walk(const uint64_t *ips, uint64_t nr,
			void (*fn)(uint64_t addr, bool user, void *ctx), void *ctx)
{
	bool user = false;

	for (uint64_t i = 0; i < nr; i++) {
		if (ips[i] >= PERF_CONTEXT_MAX) {
			user = ips[i] == PERF_CONTEXT_USER;
			continue;
		}
		fn(ips[i], user, ctx);
	}
}

static int resolve(struct qz_stack_printer *p, pid_t pid, bool user,
		   uint64_t addr, struct qz_symbol *s)
{
	return user ? qz_symbolizer__user(p->sym, pid, addr, s) :
		      qz_symbolizer__kernel(p->sym, addr, s);
}

void qz_stack_printer__frame(struct qz_stack_printer *p, pid_t pid, bool user,
			     uint64_t addr, char *buf, size_t len)
{
	struct qz_symbol s;

	if (!resolve(p, pid, user, addr, &s))
		snprintf(buf, len, "%s+0x%" PRIx64, s.name, s.offset);
	else
		snprintf(buf, len, "0x%" PRIx64, addr);
}

struct walk_ctx {
	struct qz_stack_printer *p;
	pid_t pid;
	FILE *f;
	struct qz_json *j;
};

static void text_frame(uint64_t addr, bool user, void *arg)
{
	struct walk_ctx *w = arg;
	struct qz_symbol s;

	if (!resolve(w->p, w->pid, user, addr, &s))
		fprintf(w->f, "\t%16" PRIx64 " %s+0x%" PRIx64 " (%s)\n", addr,
			s.name, s.offset, s.module ? s.module : "?");
	else
		fprintf(w->f, "\t%16" PRIx64 " [unknown]\n", addr);
}

void qz_stack_printer__text(struct qz_stack_printer *p,
			    const struct qz_sample *smp, FILE *f)
{
	struct walk_ctx w = { .p = p, .pid = (pid_t)smp->pid, .f = f };

	qz_callchain__walk(smp->callchain, smp->callchain_nr, text_frame, &w);
}

static void json_frame(uint64_t addr, bool user, void *arg)
{
	struct walk_ctx *w = arg;
	QZ_OPTS(qz_symbol_info, s);
	char hex[24];
	int err;

	if (user)
		qz_symbolizer__prepare(w->p->sym, w->pid);
	err = qz_symbolizer__resolve(w->p->sym, w->pid, qz_symbolizer__gen(w->p->sym, w->pid),
				     user, addr, &s);
	snprintf(hex, sizeof(hex), "0x%" PRIx64, addr);
	qz_json__begin_object(w->j);
	qz_json__key_str(w->j, "addr", hex);
	if (!err) {
		qz_json__key_str(w->j, "sym", s.name);
		qz_json__key_u64(w->j, "off", s.offset);
	}
	/* The file and its build-id, for offline symbols, even without a name. */
	if (s.module)
		qz_json__key_str(w->j, "module", s.module);
	if (s.build_id)
		qz_json__key_str(w->j, "build_id", s.build_id);
	qz_json__end_object(w->j);
}

void qz_stack_printer__json(struct qz_stack_printer *p,
			    const struct qz_sample *smp, struct qz_json *j)
{
	struct walk_ctx w = { .p = p, .pid = (pid_t)smp->pid, .j = j };

	qz_json__begin_array(j);
	qz_callchain__walk(smp->callchain, smp->callchain_nr, json_frame, &w);
	qz_json__end_array(j);
}
