// SPDX-License-Identifier: MIT
/*
 * nested-trace: events that open and close spans, nested as function
 * calls are (perf-prof's nested-trace). Each -e is one pair, ENTRY,EXIT:
 *
 *	quazar nested-trace -e 'uprobe:P:outer,uretprobe:P:outer' \
 *	                    -e 'uprobe:P:inner,uretprobe:P:inner' --impl call-delay
 *
 * Per key (the thread by default with -p/-t/-- cmd, else the CPU; or -k /
 * key=) entries push a frame on a stack and an exit pops back to its
 * entry: the span's time is the exit's time minus the entry's, and the
 * frame below it is its caller. --impl says what is reported:
 *   delay       each pair's time: calls, total, min, avg, p50..p99, max
 *   call        the call tree (who calls whom) with calls per node
 *   call-delay  the call tree with each node's time
 * An exit whose entry is not on the stack (tracing started mid-call) and
 * entries left open under a returning caller are counted as unmatched.
 *
 * Memory: stacks of at most MAX_DEPTH frames for at most MAX_KEYS keys;
 * at most MAX_NODES call-tree nodes, each with a struct qz_hist (7.7 KiB)
 * for call-delay; calls past them are counted as dropped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/filter.h>
#include <quazar/hist.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include "profiler_table.h"
#include "evline.h"
#include "histrow.h"
#include "u64map.h"

#define MAX_DEPTH 32
#define MAX_KEYS 65536
#define MAX_NODES 4096
#define NONE (-1)

enum nt_impl { NT_DELAY, NT_CALL, NT_CALL_DELAY };

struct nt_opts {
	char *key;
	char *impl;
	uint64_t than;
	bool perins;
};

struct nt_frame {
	int pair, node;
	uint64_t time;
};

struct nt_stack {
	int n;
	struct nt_frame f[MAX_DEPTH];
};

struct nt_node {
	int parent, pair, depth;
	int first_child, last_child, next;
	uint64_t calls;
	bool active;		/* it or a descendant was called this interval */
	struct qz_hist *hist;	/* call-delay */
};

struct nt_event {
	int pair;
	bool exit;
	const struct qz_tp_field *key;
	const struct qz_filter *key_expr;
};

struct nt_pair {
	int entry, exit;	/* session indexes */
	char name[128];
};

struct nested {
	struct qz_session *session;
	struct qz_output *out;
	enum nt_impl impl;
	bool key_tid, perins;
	uint64_t than;
	struct nt_event *ev;
	struct nt_pair *pairs;
	int nr_pairs, name_len;
	struct u64map stacks;		/* key -> struct nt_stack * */
	struct u64map nodes_by;		/* parent << 16 | pair -> node index + 1 */
	struct nt_node *nodes;
	int nr_nodes, first_root, last_root;
	struct u64map rows;		/* delay: (key << 16 | pair) -> struct qz_hist * */
	struct evline line;
	uint64_t unmatched_exits, unclosed, dropped, interval_start;
};

static const char *const impl_names[] = { "delay", "call", "call-delay" };

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void free_map_ptrs(struct u64map *m)
{
	size_t pos = 0;
	void *val;

	while (qz_u64map__next(m, &pos, NULL, &val))
		free(*(void **)val);
	qz_u64map__clear(m);
}

static void nt_free(struct nested *n)
{
	free_map_ptrs(&n->stacks);
	qz_u64map__free(&n->stacks);
	free_map_ptrs(&n->rows);
	qz_u64map__free(&n->rows);
	qz_u64map__free(&n->nodes_by);
	for (int i = 0; i < n->nr_nodes; i++)
		free(n->nodes[i].hist);
	free(n->nodes);
	free(n->pairs);
	free(n->ev);
	free(n);
}

/* The name shown for a pair: alias=, a probe's symbol, or the event's name. */
static void pair_name(struct nested *n, struct nt_pair *p)
{
	const struct qz_event_spec *spec = qz_session__spec(n->session, p->entry);
	const char *name = qz_session__event_name(n->session, p->entry);
	const char *colon = strchr(name, ':');

	if (spec->alias)
		snprintf(p->name, sizeof(p->name), "%s", spec->alias);
	else if (spec->kind == QZ_SPEC_UPROBE || spec->kind == QZ_SPEC_URETPROBE)
		snprintf(p->name, sizeof(p->name), "%s", spec->name);
	else
		snprintf(p->name, sizeof(p->name), "%s", colon ? colon + 1 : name);
	if ((int)strlen(p->name) > n->name_len)
		n->name_len = (int)strlen(p->name);
}

static int setup_key(struct nested *n, int idx, const char *optkey)
{
	const struct qz_event_spec *spec = qz_session__spec(n->session, idx);
	const char *key = spec->key ? spec->key : optkey;
	struct nt_event *e = &n->ev[idx];

	if (!key)
		return 0;
	if (!is_field_name(key))
		return (e->key_expr = qz_session__expr(n->session, idx, spec->key ? "key" : "-k",
						       key)) ? 0 : -errno;
	return qz_mt__resolve_field(n->session, idx, spec->key ? "key" : "-k", key, &e->key);
}

static int parse_impl(struct qz_session *s, const char *text, enum nt_impl *impl)
{
	for (int i = 0; i < 3; i++) {
		if (!strcmp(text ? text : "delay", impl_names[i])) {
			*impl = (enum nt_impl)i;
			return 0;
		}
	}
	qz_session__log(s, QZ_LOG_ERROR,
			"--impl %s: nested-trace has delay (default), call and call-delay", text);
	return -QZ_ERR_OPTION;
}

static int nt_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct nt_opts *opts = qz_session__ops_opts(s);
	struct nested *n;
	enum nt_impl impl;
	int err;

	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"nested-trace needs pairs: -e ENTRY,EXIT [-e ENTRY,EXIT ...]");
		return -EINVAL;
	}
	err = parse_impl(s, opts->impl, &impl);
	if (err)
		return err;
	if (opts->perins && impl != NT_DELAY) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--perins goes with --impl delay: a call tree sums every instance");
		return -QZ_ERR_OPTION;
	}
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->session = s;
	n->out = qz_session__output(s);
	n->impl = impl;
	n->perins = opts->perins;
	n->than = opts->than;
	n->key_tid = env->pids || env->tids || env->workload;
	n->first_root = n->last_root = NONE;
	n->name_len = 13;
	n->interval_start = now_ns();
	err = qz_u64map__init(&n->stacks, sizeof(void *)) ||
	      qz_u64map__init(&n->rows, sizeof(void *)) ||
	      qz_u64map__init(&n->nodes_by, sizeof(int)) ? -ENOMEM : 0;
	n->pairs = calloc((size_t)env->events.n, sizeof(*n->pairs));
	n->nodes = calloc(MAX_NODES, sizeof(*n->nodes));
	if (!n->pairs || !n->nodes)
		err = -ENOMEM;
	for (int i = 0; !err && i < env->events.n; i++) {
		int first = qz_session__add_events(s, env->events.v[i], 0);
		int total = qz_session__nr_events(s);
		struct nt_event *grown;

		if (first < 0) {
			err = first;
			break;
		}
		if (total - first != 2) {
			qz_session__log(s, QZ_LOG_ERROR,
					"-e '%s' names %d events: each -e of nested-trace is a pair, ENTRY,EXIT",
					env->events.v[i], total - first);
			err = -QZ_ERR_OPTION;
			break;
		}
		grown = realloc(n->ev, (size_t)total * sizeof(*grown));
		if (!grown) {
			err = -ENOMEM;
			break;
		}
		n->ev = grown;
		n->ev[first] = (struct nt_event){ .pair = i };
		n->ev[first + 1] = (struct nt_event){ .pair = i, .exit = true };
		n->pairs[i].entry = first;
		n->pairs[i].exit = first + 1;
		pair_name(n, &n->pairs[i]);
		n->nr_pairs++;
		for (int idx = first; !err && idx < total; idx++)
			err = setup_key(n, idx, opts->key);
	}
	if (err) {
		nt_free(n);
		return err;
	}
	/* A caller and its callee may be read from different CPUs' rings. */
	env->order = true;
	*ctx = n;
	return 0;
}

static uint64_t key_of(struct nested *n, const struct qz_event *ev)
{
	const struct nt_event *e = &n->ev[ev->index];
	const struct qz_sample *smp = ev->sample;

	if (e->key)
		return qz_tp_field__u64(e->key, smp->raw, smp->raw_size);
	if (e->key_expr)
		return (uint64_t)qz_filter__eval(e->key_expr, smp->raw, smp->raw_size);
	return n->key_tid ? smp->tid : smp->cpu;
}

static int node_of(struct nested *n, int parent, int pair)
{
	uint64_t k = (uint64_t)(parent + 1) << 16 | (uint64_t)pair;
	int *slot = qz_u64map__get(&n->nodes_by, k);
	struct nt_node *node;
	bool created;

	if (slot)
		return *slot - 1;
	if (n->nr_nodes == MAX_NODES)
		return NONE;
	if (n->impl == NT_CALL_DELAY) {
		struct qz_hist *h = malloc(sizeof(*h));

		if (!h)
			return NONE;
		QZ_HIST_INIT(h);
		n->nodes[n->nr_nodes].hist = h;
	}
	slot = qz_u64map__put(&n->nodes_by, k, &created);
	if (!slot) {
		free(n->nodes[n->nr_nodes].hist);
		n->nodes[n->nr_nodes].hist = NULL;
		return NONE;
	}
	node = &n->nodes[n->nr_nodes];
	node->parent = parent;
	node->pair = pair;
	node->depth = parent == NONE ? 0 : n->nodes[parent].depth + 1;
	node->first_child = node->last_child = node->next = NONE;
	if (parent == NONE) {
		if (n->last_root == NONE)
			n->first_root = n->nr_nodes;
		else
			n->nodes[n->last_root].next = n->nr_nodes;
		n->last_root = n->nr_nodes;
	} else {
		struct nt_node *p = &n->nodes[parent];

		if (p->last_child == NONE)
			p->first_child = n->nr_nodes;
		else
			n->nodes[p->last_child].next = n->nr_nodes;
		p->last_child = n->nr_nodes;
	}
	*slot = ++n->nr_nodes;
	return n->nr_nodes - 1;
}

static struct nt_stack *stack_of(struct nested *n, uint64_t key)
{
	struct nt_stack **slot = qz_u64map__get(&n->stacks, key);
	bool created;

	if (slot)
		return *slot;
	if (n->stacks.nr >= MAX_KEYS)
		return NULL;
	slot = qz_u64map__put(&n->stacks, key, &created);
	if (!slot)
		return NULL;
	*slot = calloc(1, sizeof(**slot));
	if (!*slot)
		qz_u64map__del(&n->stacks, key);
	return *slot;
}

static void record_delay(struct nested *n, uint64_t key, int pair, uint64_t delta)
{
	uint64_t k = (n->perins ? key << 16 : 0) | (uint64_t)pair;
	struct qz_hist **slot = qz_u64map__get(&n->rows, k);
	bool created;

	if (!slot) {
		slot = qz_u64map__put(&n->rows, k, &created);
		if (!slot)
			return;
		*slot = malloc(sizeof(**slot));
		if (!*slot) {
			qz_u64map__del(&n->rows, k);
			return;
		}
		QZ_HIST_INIT(*slot);
	}
	qz_hist__record(*slot, delta);
}

static void print_outlier(struct nested *n, const struct qz_event *ev, int pair,
			  uint64_t key, uint64_t delta, int depth)
{
	if (qz_output__json(n->out)) {
		struct qz_json *j = qz_output__begin(n->out, "nested_trace_outlier", ev->sample->time);

		qz_json__key_str(j, "name", n->pairs[pair].name);
		qz_json__key_u64(j, "key", key);
		qz_json__key_u64(j, "latency", delta);
		qz_json__key_i64(j, "depth", depth);
		qz_json__key(j, "exit");
		qz_json__begin_object(j);
		qz_evline__json(&n->line, ev, j);
		qz_json__end_object(j);
		qz_output__end(n->out);
		return;
	}
	fprintf(qz_output__file(n->out), "%s key %" PRIu64 " depth %d latency %" PRIu64 ".%03" PRIu64
		" us\n", n->pairs[pair].name, key, depth, delta / 1000, delta % 1000);
	qz_evline__text(&n->line, ev, qz_output__file(n->out));
}

static void nt_sample(void *ctx, const struct qz_event *ev)
{
	struct nested *n = ctx;
	const struct nt_event *e = &n->ev[ev->index];
	uint64_t key = key_of(n, ev), t = ev->sample->time;
	struct nt_stack *st = stack_of(n, key);
	int d;

	if (!st) {
		n->dropped++;
		return;
	}
	if (!e->exit) {
		int parent = st->n ? st->f[st->n - 1].node : NONE;
		int node = n->impl == NT_DELAY ? NONE : node_of(n, parent, e->pair);

		if (st->n == MAX_DEPTH || (n->impl != NT_DELAY && node == NONE)) {
			n->dropped++;
			return;
		}
		if (node != NONE)
			n->nodes[node].calls++;
		st->f[st->n++] = (struct nt_frame){ e->pair, node, t };
		return;
	}
	for (d = st->n - 1; d >= 0 && st->f[d].pair != e->pair; d--)
		;
	if (d < 0) {
		n->unmatched_exits++;
		return;
	}
	n->unclosed += (uint64_t)(st->n - 1 - d);
	st->n = d;
	if (t >= st->f[d].time) {
		uint64_t delta = t - st->f[d].time;

		if (n->impl == NT_DELAY)
			record_delay(n, key, e->pair, delta);
		else if (n->impl == NT_CALL_DELAY)
			qz_hist__record(n->nodes[st->f[d].node].hist, delta);
		if (n->than && delta > n->than)
			print_outlier(n, ev, e->pair, key, delta, d);
	}
}

/* ---- reports ---------------------------------------------------------- */

static bool mark_active(struct nested *n, int i)
{
	bool active = n->nodes[i].calls > 0;

	for (int c = n->nodes[i].first_child; c != NONE; c = n->nodes[c].next)
		active |= mark_active(n, c);
	n->nodes[i].active = active;
	return active;
}

static void tree_text(struct nested *n, int i, FILE *f, int width)
{
	const struct nt_node *node = &n->nodes[i];
	char label[512];
	int len = 0;

	if (!node->active)
		return;
	for (int d = 0; d < node->depth && len < 400; d++)
		len += snprintf(label + len, sizeof(label) - (size_t)len, "%s",
				d + 1 < node->depth ? "  | " : "  |-");
	snprintf(label + len, sizeof(label) - (size_t)len, "%s", n->pairs[node->pair].name);
	if (n->impl == NT_CALL) {
		fprintf(f, "%-*s %8" PRIu64 "\n", width, label, node->calls);
	} else {
		fprintf(f, "%-*s", width, label);
		qz_histrow__text(node->hist, f, true);
		fputc('\n', f);
	}
	for (int c = node->first_child; c != NONE; c = n->nodes[c].next)
		tree_text(n, c, f, width);
}

static void tree_json(struct nested *n, int i, char *path, size_t at, struct qz_json *j)
{
	const struct nt_node *node = &n->nodes[i];

	if (!node->active)
		return;
	snprintf(path + at, 1024 - at, "%s%s", at ? ";" : "", n->pairs[node->pair].name);
	qz_json__begin_object(j);
	qz_json__key_str(j, "name", n->pairs[node->pair].name);
	qz_json__key_str(j, "path", path);
	qz_json__key_i64(j, "depth", node->depth);
	if (n->impl == NT_CALL) {
		qz_json__key_u64(j, "calls", node->calls);
		qz_json__key_u64(j, "entries", node->calls);
	} else {
		qz_histrow__json(node->hist, j);
		qz_json__key_u64(j, "entries", node->calls);
	}
	qz_json__end_object(j);
	at = strlen(path);
	for (int c = node->first_child; c != NONE; c = n->nodes[c].next)
		tree_json(n, c, path, at, j);
	path[at] = 0;
}

struct nt_row {
	uint64_t k;
	struct qz_hist *h;
};

static int row_cmp(const void *a, const void *b)
{
	const struct nt_row *x = a, *y = b;

	return (x->k > y->k) - (x->k < y->k);
}

static void report_delay(struct nested *n, struct qz_json *j, FILE *f)
{
	struct nt_row *rows = malloc((n->rows.nr + 1) * sizeof(*rows));
	size_t nr = 0, pos = 0;
	uint64_t k;
	void *val;

	if (!rows)
		return;
	while (qz_u64map__next(&n->rows, &pos, &k, &val))
		rows[nr++] = (struct nt_row){ k, *(struct qz_hist **)val };
	qsort(rows, nr, sizeof(*rows), row_cmp);
	if (j) {
		qz_json__key(j, "pairs");
		qz_json__begin_array(j);
	} else {
		fputc('\n', f);
		if (n->perins)
			fprintf(f, "%-12s ", n->key_tid ? "[THREAD]" : "[KEY]");
		fprintf(f, "%-*s", n->name_len, "function");
		qz_histrow__header(f, true);
		fputc('\n', f);
	}
	for (size_t i = 0; i < nr; i++) {
		int pair = (int)(rows[i].k & 0xffff);

		if (j) {
			qz_json__begin_object(j);
			qz_json__key_str(j, "name", n->pairs[pair].name);
			if (n->perins)
				qz_json__key_u64(j, "instance", rows[i].k >> 16);
			qz_histrow__json(rows[i].h, j);
			qz_json__end_object(j);
		} else {
			if (n->perins)
				fprintf(f, "%-12" PRIu64 " ", rows[i].k >> 16);
			fprintf(f, "%-*s", n->name_len, n->pairs[pair].name);
			qz_histrow__text(rows[i].h, f, true);
			fputc('\n', f);
		}
	}
	if (j)
		qz_json__end_array(j);
	free(rows);
	free_map_ptrs(&n->rows);
}

static void nt_interval(void *ctx, struct qz_output *out, bool final)
{
	struct nested *n = ctx;
	uint64_t now = now_ns();
	struct qz_json *j = NULL;
	FILE *f = NULL;
	int width = n->name_len;

	for (int r = n->first_root; r != NONE; r = n->nodes[r].next)
		mark_active(n, r);
	for (int i = 0; i < n->nr_nodes; i++)
		if (n->nodes[i].depth * 4 + (int)strlen(n->pairs[n->nodes[i].pair].name) > width)
			width = n->nodes[i].depth * 4 + (int)strlen(n->pairs[n->nodes[i].pair].name);
	if (qz_output__json(out)) {
		j = qz_output__begin(out, "nested_trace", now);
		qz_json__key_u64(j, "interval_ns", now - n->interval_start);
		qz_json__key_bool(j, "final", final);
		qz_json__key_str(j, "impl", impl_names[n->impl]);
	} else {
		f = qz_output__file(out);
	}
	if (n->impl == NT_DELAY) {
		report_delay(n, j, f);
	} else if (j) {
		char path[1024] = "";

		qz_json__key(j, "calls");
		qz_json__begin_array(j);
		for (int r = n->first_root; r != NONE; r = n->nodes[r].next)
			tree_json(n, r, path, 0, j);
		qz_json__end_array(j);
	} else {
		fprintf(f, "\n%-*s", width, "function call");
		if (n->impl == NT_CALL)
			fprintf(f, " %8s", "calls");
		else
			qz_histrow__header(f, true);
		fputc('\n', f);
		for (int r = n->first_root; r != NONE; r = n->nodes[r].next)
			tree_text(n, r, f, width);
	}
	if (j) {
		qz_json__key_u64(j, "unmatched_exits", n->unmatched_exits);
		qz_json__key_u64(j, "unclosed", n->unclosed);
		qz_json__key_u64(j, "dropped", n->dropped);
		qz_output__end(out);
	} else if (n->unmatched_exits || n->unclosed || n->dropped) {
		fprintf(f, "exits without their entry %" PRIu64 ", entries never closed %" PRIu64
			   ", dropped (limits) %" PRIu64 "\n",
			n->unmatched_exits, n->unclosed, n->dropped);
	}
	for (int i = 0; i < n->nr_nodes; i++) {
		n->nodes[i].calls = 0;
		if (n->nodes[i].hist)
			QZ_HIST_INIT(n->nodes[i].hist);
	}
	n->unmatched_exits = n->unclosed = n->dropped = 0;
	n->interval_start = now;
}

static void nt_deinit(void *ctx)
{
	nt_free(ctx);
}

static const struct qz_option nt_options[] = {
	QZ_OPTION_ENTRY(struct nt_opts, key, "key", 'k', QZ_OPTION_STRING, "FIELD",
			"whose stack an event belongs to (default: thread with -p/-t/--, else CPU)"),
	QZ_OPTION_ENTRY(struct nt_opts, impl, "impl", 0, QZ_OPTION_STRING, "IMPL",
			"delay (default), call or call-delay"),
	QZ_OPTION_ENTRY(struct nt_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"print the spans longer than TIME"),
	QZ_OPTION_ENTRY(struct nt_opts, perins, "perins", 0, QZ_OPTION_BOOL, NULL,
			"delay: a row per key"),
	{ 0 },
};

const struct qz_profiler qz_profiler_nested_trace = {
	.name = "nested-trace",
	.help = "entry/exit pairs as nested spans: their times, or the call tree (--impl call)",
	.usage = "each -e is a pair: ENTRY,EXIT\n"
		 "examples:\n"
		 "  quazar nested-trace -e irq:softirq_entry/vec==1/,irq:softirq_exit/vec==1/ -i 1000\n"
		 "  P=./prog; quazar nested-trace -e uprobe:$P:outer,uretprobe:$P:outer \\\n"
		 "      -e uprobe:$P:inner,uretprobe:$P:inner --impl call-delay -- $P",
	.attrs = QZ_PATTR_KEY,
	.options = nt_options,
	.opts_size = sizeof(struct nt_opts),
	.ops = {
		.default_interval_ms = 1000,
		.init = nt_init,
		.sample = nt_sample,
		.interval = nt_interval,
		.deinit = nt_deinit,
	},
};
