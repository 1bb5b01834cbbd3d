// SPDX-License-Identifier: MIT
/*
 * top: key-value statistics refreshed every interval. Each event adds one
 * to its key's count and its top-by/top-add fields to the key's columns.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/session.h>
#include <quazar/tp.h>
#include <quazar/filter.h>
#include "profiler_table.h"
#include "keytable.h"

/* Options beyond the common ones (top_options below). */
struct top_opts {
	char *key;
	bool only_comm;
};

#define TEXT_ROWS 20
#define JSON_ROWS 100

/* A number of an event: a field, or an expression over its fields. */
struct top_value {
	const struct qz_tp_field *field;
	const struct qz_filter *expr;
};

/* Per event: where its key, name and columns come from. */
struct top_event {
	struct top_value key;			/* neither: the sample's pid */
	const struct qz_tp_field *comm;		/* comm=FIELD, or NULL */
	const struct qz_filter *comm_expr;	/* comm=EXPR: ksymbol(function), ... */
	struct top_value cols[KEYTABLE_MAX_COLUMNS];
	int col_of[KEYTABLE_MAX_COLUMNS];	/* column index of cols[i] */
	int nr_cols;
};

struct top {
	struct qz_session *session;
	struct qz_output *out;
	struct keytable table;
	struct top_event *events;
	const char *columns[KEYTABLE_MAX_COLUMNS];
	int nr_columns;
	int sort_col;			/* first top-by column, or -1 */
	const char *key_name;
	bool only_comm;
	const struct qz_filter *printkey;	/* printkey=: the key as text */
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int column_index(struct top *t, const char *name)
{
	for (int i = 0; i < t->nr_columns; i++)
		if (!strcmp(t->columns[i], name))
			return i;
	if (t->nr_columns == KEYTABLE_MAX_COLUMNS)
		return -E2BIG;
	t->columns[t->nr_columns] = name;
	return t->nr_columns++;
}

static int resolve_field(struct top *t, int idx, const char *name,
			 const struct qz_tp_field **out)
{
	const struct qz_tp_event *tp = qz_session__tp_event(t->session, idx);

	*out = tp ? qz_tp_event__field(tp, name) : NULL;
	if (!*out) {
		qz_session__log(t->session, QZ_LOG_ERROR,
				"%s has no field '%s'%s; 'quazar list -v %s' shows its fields",
				qz_session__event_name(t->session, idx), name,
				tp ? "" : " (only tracepoints have fields)",
				qz_session__event_name(t->session, idx));
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	return 0;
}

static uint64_t value_of(const struct top_value *v, const struct qz_sample *smp)
{
	if (v->field)
		return qz_tp_field__u64(v->field, smp->raw, smp->raw_size);
	return (uint64_t)qz_filter__eval_sample(v->expr, smp);
}

/*
 * A field name reads the field; anything else (perf-prof's
 * top-by="runtime/1000", key=_cpu) is compiled as an expression over the
 * fields and the variables.
 */
static int resolve_value(struct top *t, int idx, const char *attr, const char *text,
			 struct top_value *v)
{
	if (!qz_mt__is_field(t->session, idx, text))
		return (v->expr = qz_session__expr(t->session, idx, attr, text)) ? 0 : -errno;
	return resolve_field(t, idx, text, &v->field);
}

static int add_columns(struct top *t, int idx, const char *attr, char *const *fields,
		       int nr, bool sort)
{
	struct top_event *te = &t->events[idx];

	for (int i = 0; i < nr; i++) {
		int col, err;

		if (te->nr_cols == KEYTABLE_MAX_COLUMNS)
			return -E2BIG;
		err = resolve_value(t, idx, attr, fields[i], &te->cols[te->nr_cols]);
		if (err)
			return err;
		col = column_index(t, fields[i]);
		if (col < 0)
			return col;
		if (sort && t->sort_col < 0)
			t->sort_col = col;
		te->col_of[te->nr_cols++] = col;
	}
	return 0;
}

/* A string field names keys itself; anything else goes through comm=EXPR. */
static bool string_field(struct top *t, int idx, const char *name)
{
	const struct qz_tp_event *tp = qz_session__tp_event(t->session, idx);
	const struct qz_tp_field *f = tp ? qz_tp_event__field(tp, name) : NULL;

	return !f || (qz_tp_field__flags(f) & QZ_TP_FIELD_STRING);
}

static int setup_event(struct top *t, int idx)
{
	const struct qz_event_spec *spec = qz_session__spec(t->session, idx);
	const struct top_opts *opts = qz_session__ops_opts(t->session);
	const char *key = spec->key ? spec->key : opts->key;
	struct top_event *te = &t->events[idx];
	int err = 0;

	if (key) {
		err = resolve_value(t, idx, "key", key, &te->key);
		t->key_name = key;
	}
	if (!err && spec->comm && qz_mt__is_field(t->session, idx, spec->comm) &&
	    string_field(t, idx, spec->comm)) {
		err = resolve_field(t, idx, spec->comm, &te->comm);
	} else if (!err && spec->comm) {
		/* perf-prof's comm=ksymbol(call_site), comm=comm_get(pid), ... */
		te->comm_expr = qz_session__expr_flags(t->session, idx, "comm", spec->comm, 0);
		if (!te->comm_expr)
			return -errno;
		if (!qz_filter__is_str(te->comm_expr)) {
			qz_session__log(t->session, QZ_LOG_ERROR,
					"comm=%s on %s: comm= names a key with a string: a string field, ksymbol(ADDR), comm_get(PID) or syscall_name(NR)",
					spec->comm, qz_session__event_name(t->session, idx));
			return -QZ_ERR_FILTER;
		}
	}
	if (!err && spec->printkey && !t->printkey) {
		/* Rows merge every event's keys: the first printkey= prints them. */
		t->printkey = qz_session__expr_flags(t->session, idx, "printkey", spec->printkey,
						     QZ_FILTER_KEY | QZ_FILTER_PRINTF);
		if (!t->printkey)
			return -errno;
	}
	if (!err)
		err = add_columns(t, idx, "top-by", spec->top_by, spec->nr_top_by, true);
	if (!err)
		err = add_columns(t, idx, "top-add", spec->top_add, spec->nr_top_add, false);
	return err;
}

/*
 * What top_sample reads: the pid (the default key), the tid (comm) and the
 * tracepoint fields. An expression may read anything.
 */
static uint64_t sample_fields(const struct top *t, int nr_events)
{
	if (t->printkey)
		return ~0ull;
	for (int i = 0; i < nr_events; i++) {
		const struct top_event *te = &t->events[i];

		if (te->key.expr || te->comm_expr)
			return ~0ull;
		for (int c = 0; c < te->nr_cols; c++)
			if (te->cols[c].expr)
				return ~0ull;
	}
	return PERF_SAMPLE_TID | PERF_SAMPLE_RAW;
}

static void top_free(struct top *t)
{
	qz_keytable__free(&t->table);
	free(t->events);
	free(t);
}

static int top_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	const struct top_opts *opts = qz_session__ops_opts(s);
	struct top *t;
	int err = 0;

	if (!env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"top needs events: -e 'sys:name//top-by=FIELD/'");
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t || qz_keytable__init(&t->table)) {
		free(t);
		return -ENOMEM;
	}
	t->session = s;
	t->out = qz_session__output(s);
	t->sort_col = -1;
	t->key_name = opts->only_comm ? "comm" : "pid";
	t->only_comm = opts->only_comm;
	t->interval_start = now_ns();
	for (int i = 0; i < env->events.n && !err; i++)
		err = qz_session__add_events(s, env->events.v[i], 0);
	if (err >= 0) {
		err = 0;
		t->events = calloc((size_t)qz_session__nr_events(s), sizeof(*t->events));
		if (!t->events)
			err = -ENOMEM;
	}
	for (int i = 0; !err && i < qz_session__nr_events(s); i++)
		err = setup_event(t, i);
	if (err) {
		top_free(t);
		return err;
	}
	qz_session__set_sample_fields(s, sample_fields(t, qz_session__nr_events(s)));
	*ctx = t;
	return 0;
}

/* A new row's name: comm=FIELD, comm=ksymbol(FIELD), else the thread's comm. */
static __attribute__((noinline)) void name_row(struct top *t, const struct top_event *te,
					       const struct qz_event *ev,
					       struct keytable_row *row)
{
	const struct qz_sample *smp = ev->sample;
	const char *name = NULL;
	size_t len = 0;

	(void)t;
	if (te->comm_expr) {
		qz_filter__eval_str(te->comm_expr, smp, 0, row->name, sizeof(row->name));
		if (row->name[0])
			return;	/* written in place */
	} else if (te->comm) {
		name = qz_tp_field__str(te->comm, smp->raw, smp->raw_size, &len);
	}
	if (name)
		snprintf(row->name, sizeof(row->name), "%.*s", (int)len, name);
	else
		snprintf(row->name, sizeof(row->name), "%s", qz_event__comm(ev));
}

static void top_sample(void *ctx, const struct qz_event *ev)
{
	struct top *t = ctx;
	const struct top_event *te = &t->events[ev->index];
	const struct qz_sample *smp = ev->sample;
	struct keytable_row *row;
	uint64_t key;

	if (t->only_comm)
		key = qz_keytable__hash_str(qz_event__comm(ev));
	else if (te->key.field || te->key.expr)
		key = value_of(&te->key, smp);
	else
		key = smp->pid;
	row = qz_keytable__get(&t->table, key);
	if (!row)
		return;
	if (!row->name[0])
		name_row(t, te, ev, row);
	row->count++;
	for (int i = 0; i < te->nr_cols; i++)
		row->sums[te->col_of[i]] += value_of(&te->cols[i], smp);
}

/* printkey=: the key as the user formats it. */
static const char *print_key(struct top *t, uint64_t key, char *buf, size_t len)
{
	qz_filter__eval_str(t->printkey, NULL, key, buf, len);
	return buf;
}

static void print_text(struct top *t, struct keytable_row **rows, size_t nr,
		       FILE *f)
{
	char key[128];

	fprintf(f, "\n%-12s %-16s %12s", t->key_name, "COMM", "COUNT");
	for (int c = 0; c < t->nr_columns; c++)
		fprintf(f, " %16s", t->columns[c]);
	fputc('\n', f);
	for (size_t i = 0; i < nr && i < TEXT_ROWS; i++) {
		if (t->only_comm)
			fprintf(f, "%-12s %-16s %12" PRIu64, "-", rows[i]->name,
				rows[i]->count);
		else if (t->printkey)
			fprintf(f, "%-12s %-16s %12" PRIu64, print_key(t, rows[i]->key, key,
								 sizeof(key)),
				rows[i]->name, rows[i]->count);
		else
			fprintf(f, "%-12" PRIu64 " %-16s %12" PRIu64, rows[i]->key,
				rows[i]->name, rows[i]->count);
		for (int c = 0; c < t->nr_columns; c++)
			fprintf(f, " %16" PRIu64, rows[i]->sums[c]);
		fputc('\n', f);
	}
}

static void print_json(struct top *t, struct keytable_row **rows, size_t nr,
		       uint64_t now)
{
	struct qz_json *j = qz_output__begin(t->out, "top", now);
	char key[128];

	qz_json__key_u64(j, "interval_ns", now - t->interval_start);
	qz_json__key_str(j, "key", t->key_name);
	qz_json__key_u64(j, "keys", nr);
	qz_json__key(j, "rows");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr && i < JSON_ROWS; i++) {
		qz_json__begin_object(j);
		if (!t->only_comm)
			qz_json__key_u64(j, t->key_name, rows[i]->key);
		if (!t->only_comm && t->printkey)
			qz_json__key_str(j, "printkey", print_key(t, rows[i]->key, key, sizeof(key)));
		qz_json__key_str(j, "comm", rows[i]->name);
		qz_json__key_u64(j, "count", rows[i]->count);
		for (int c = 0; c < t->nr_columns; c++)
			qz_json__key_u64(j, t->columns[c], rows[i]->sums[c]);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_output__end(t->out);
}

static void top_interval(void *ctx, struct qz_output *out, bool final)
{
	struct top *t = ctx;
	uint64_t now = now_ns();
	struct keytable_row **rows;
	size_t nr;

	(void)final;
	rows = qz_keytable__sorted(&t->table, t->sort_col, &nr);
	if (!rows)
		return;
	if (qz_output__json(out))
		print_json(t, rows, nr, now);
	else
		print_text(t, rows, nr, qz_output__file(out));
	free(rows);
	qz_keytable__reset(&t->table);
	t->interval_start = now;
}

/* SIGUSR1: the rows of the interval so far, not reset. */
static void top_status(void *ctx, struct qz_output *out)
{
	struct top *t = ctx;
	struct keytable_row **rows;
	struct qz_output *saved = t->out;
	size_t nr;

	rows = qz_keytable__sorted(&t->table, t->sort_col, &nr);
	if (!rows)
		return;
	if (qz_output__json(out)) {
		t->out = out;
		print_json(t, rows, nr, now_ns());
		t->out = saved;
	} else if (qz_output__file(out)) {
		print_text(t, rows, nr, qz_output__file(out));
	}
	free(rows);
}

static void top_deinit(void *ctx)
{
	top_free(ctx);
}

static const struct qz_option top_options[] = {
	QZ_OPTION_ENTRY(struct top_opts, key, "key", 'k', QZ_OPTION_STRING, "EXPR",
			"key of events without key= (a field or an expression: -k '(_cpu<<16)|vec')"),
	QZ_OPTION_ENTRY(struct top_opts, only_comm, "only-comm", 0, QZ_OPTION_BOOL, NULL,
			"key by comm only, not pid"),
	{ 0 },
};

const struct qz_profiler qz_profiler_top = {
	.name = "top",
	.help = "key-value statistics per interval: count and summed fields per key",
	.usage = "attrs: key=EXPR (default pid), top-by=EXPR (sum and sort),\n"
		 "       top-add=EXPR (sum), comm=EXPR (name the key: a string),\n"
		 "       printkey=EXPR (print the key: printkey=printf(\"%d\",key>>16))\n"
		 "examples:\n"
		 "  quazar top -e 'sched:sched_stat_runtime//top-by=runtime/' -i 1000\n"
		 "  quazar top -e 'kmem:kmalloc//key=call_site/top-by=bytes_alloc/'",
	.options = top_options,
	.opts_size = sizeof(struct top_opts),
	.attrs = QZ_PATTR_KEY | QZ_PATTR_PRINTKEY | QZ_PATTR_TOP_BY | QZ_PATTR_TOP_ADD | QZ_PATTR_COMM,
	.nest = true,
	.ops = {
		.default_interval_ms = 1000,
		.any_order = true,	/* sums per key */
		.init = top_init,
		.sample = top_sample,
		.interval = top_interval,
		.deinit = top_deinit,
		.status = top_status,
	},
};
