// SPDX-License-Identifier: MIT
/*
 * The selector grammar: good selectors become the expected specs, and every
 * kind of bad input is rejected with its message at its column.
 */
#include <linux/perf_event.h>
#include <quazar/select.h>
#include "../test.h"

static void test_tracepoint_filter_attrs(void)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	const struct qz_event_spec *e;
	const char *text = "sched:sched_switch/prev_pid==1,next_pid>2/stack/max-stack=32/"
			   "alias=sw/cpus=0-3,6/period=0x100/untraced/trigger/";

	CHECK_EQ(qz_selector__parse(&sel, text, &err), 0);
	CHECK_EQ(sel.nr_events, 1);
	if (sel.nr_events != 1)
		goto out;
	e = &sel.events[0];
	CHECK_EQ(e->kind, QZ_SPEC_TRACEPOINT);
	CHECK_STR(e->text, text);
	CHECK_EQ(e->column, 0);
	CHECK_STR(e->sys, "sched");
	CHECK_STR(e->name, "sched_switch");
	/* The comma inside the filter did not split the event. */
	CHECK_STR(e->filter, "prev_pid==1,next_pid>2");
	CHECK_EQ(e->filter_column, 19);
	CHECK(e->stack);
	CHECK_EQ(e->max_stack, 32);
	CHECK_EQ(e->max_stack_set, 1);
	CHECK_STR(e->alias, "sw");
	CHECK_STR(e->cpus, "0-3,6");
	CHECK_EQ(e->period, 0x100);
	CHECK(e->untraced);
	CHECK(e->trigger);
	CHECK(e->comm == NULL && e->key == NULL && e->nr_top_by == 0);
out:
	qz_selector__clear(&sel);
	CHECK(sel.events == NULL && sel.nr_events == 0);
}

static void test_top_attrs(void)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	const struct qz_event_spec *e;

	/* perf-prof's own examples: quoted values, expressions, commas in calls. */
	CHECK_EQ(qz_selector__parse(&sel,
		"sched:sched_stat_runtime//key=pid/comm=comm/top-by=\"runtime/1000\"/alias=run(us)/,"
		"irq:softirq_entry//key=(_cpu<<32)|vec/printkey=printf(\"  %03d      %d\",key>>32,(int)key)/,"
		"skb:kfree_skb//key=protocol/comm=ksymbol(location)/top-add=len,truesize/top-by=a/top-add=b/,"
		"kmem:kmalloc//ptr=ptr/size=bytes_alloc/delay=lat/role=(1<<1)|1/key=common_pid+1/",
		&err), 0);
	CHECK_EQ(sel.nr_events, 4);
	if (sel.nr_events != 4)
		goto out;
	e = &sel.events[0];
	CHECK(e->filter == NULL);
	CHECK_STR(e->key, "pid");
	CHECK_STR(e->comm, "comm");
	CHECK_EQ(e->nr_top_by, 1);
	CHECK_STR(e->top_by[0], "runtime/1000");
	CHECK_STR(e->alias, "run(us)");
	e = &sel.events[1];
	CHECK_STR(e->sys, "irq");
	CHECK_STR(e->key, "(_cpu<<32)|vec");
	CHECK_STR(e->printkey, "printf(\"  %03d      %d\",key>>32,(int)key)");
	e = &sel.events[2];
	CHECK_STR(e->comm, "ksymbol(location)");
	CHECK_EQ(e->nr_top_add, 3);
	CHECK_STR(e->top_add[0], "len");
	CHECK_STR(e->top_add[1], "truesize");
	CHECK_STR(e->top_add[2], "b");
	CHECK_EQ(e->nr_top_by, 1);
	CHECK_STR(e->top_by[0], "a");
	e = &sel.events[3];
	CHECK_STR(e->ptr, "ptr");
	CHECK_STR(e->size, "bytes_alloc");
	CHECK_STR(e->delay, "lat");
	CHECK_STR(e->role, "(1<<1)|1");
	CHECK_STR(e->key, "common_pid+1");
	CHECK_EQ(e->column, (int)strlen("sched:sched_stat_runtime//key=pid/comm=comm/top-by=\"runtime/1000\"/alias=run(us)/,"
				       "irq:softirq_entry//key=(_cpu<<32)|vec/printkey=printf(\"  %03d      %d\",key>>32,(int)key)/,"
				       "skb:kfree_skb//key=protocol/comm=ksymbol(location)/top-add=len,truesize/top-by=a/top-add=b/,"));
out:
	qz_selector__clear(&sel);
}

static void test_kinds(void)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	const struct qz_event_spec *e;

	CHECK_EQ(qz_selector__parse(&sel,
		"sched:sched_*,cycles:u,page-faults,cpu-clock:k//stack/,"
		"cpu/config=0x10,period=1000/,msr/tsc/,"
		"uprobe:/bin/bash:readline+0x10,uretprobe:/usr/lib/libc.so.6:malloc//stack/,"
		"uprobe:/bin/bash:main/common_pid>1/",
		&err), 0);
	CHECK_EQ(sel.nr_events, 9);
	if (sel.nr_events != 9)
		goto out;
	e = &sel.events[0];
	CHECK_EQ(e->kind, QZ_SPEC_TRACEPOINT);
	CHECK_STR(e->name, "sched_*");
	e = &sel.events[1];
	CHECK_EQ(e->kind, QZ_SPEC_HARDWARE);
	CHECK_STR(e->name, "cycles");
	CHECK_EQ(e->config, PERF_COUNT_HW_CPU_CYCLES);
	CHECK(e->exclude_kernel && !e->exclude_user);
	CHECK_EQ(e->column, 14);
	e = &sel.events[2];
	CHECK_EQ(e->kind, QZ_SPEC_SOFTWARE);
	CHECK_EQ(e->config, PERF_COUNT_SW_PAGE_FAULTS);
	CHECK(!e->exclude_kernel && !e->exclude_user);
	e = &sel.events[3];
	CHECK_EQ(e->kind, QZ_SPEC_SOFTWARE);
	CHECK_EQ(e->config, PERF_COUNT_SW_CPU_CLOCK);
	CHECK(e->exclude_user && !e->exclude_kernel);
	CHECK(e->stack);
	e = &sel.events[4];
	CHECK_EQ(e->kind, QZ_SPEC_PMU);
	CHECK_STR(e->sys, "cpu");
	CHECK_STR(e->pmu_terms, "config=0x10,period=1000");
	CHECK_EQ(e->period, 1000);
	e = &sel.events[5];
	CHECK_EQ(e->kind, QZ_SPEC_PMU);
	CHECK_STR(e->sys, "msr");
	CHECK_STR(e->pmu_terms, "tsc");
	e = &sel.events[6];
	CHECK_EQ(e->kind, QZ_SPEC_UPROBE);
	CHECK_STR(e->path, "/bin/bash");
	CHECK_STR(e->name, "readline");
	CHECK_EQ(e->offset, 0x10);
	e = &sel.events[7];
	CHECK_EQ(e->kind, QZ_SPEC_URETPROBE);
	CHECK_STR(e->path, "/usr/lib/libc.so.6");
	CHECK_STR(e->name, "malloc");
	CHECK(e->stack);
	e = &sel.events[8];
	CHECK_EQ(e->kind, QZ_SPEC_UPROBE);
	CHECK_STR(e->filter, "common_pid>1");
out:
	qz_selector__clear(&sel);
}

/* Repeated -e appends; a failing one leaves what was there. */
static void test_repeated(void)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;

	CHECK_EQ(qz_selector__parse(&sel, "sched:sched_switch", &err), 0);
	CHECK_EQ(qz_selector__parse(&sel, " sched:sched_wakeup , sched:sched_waking ", &err), 0);
	CHECK_EQ(sel.nr_events, 3);
	CHECK_EQ(qz_selector__parse(&sel, "sched:a,sched:b,bad", &err), -QZ_ERR_SELECTOR);
	CHECK_EQ(sel.nr_events, 3);
	if (sel.nr_events == 3) {
		CHECK_STR(sel.events[1].name, "sched_wakeup");
		CHECK_STR(sel.events[1].text, "sched:sched_wakeup");
		CHECK_EQ(sel.events[1].column, 1);
		CHECK_STR(sel.events[2].name, "sched_waking");
	}
	qz_selector__clear(&sel);
	qz_selector__clear(NULL);
}

static const struct bad {
	const char *text;
	int column;
	const char *message;
} bad[] = {
	{ "", 0, "empty event selector" },
	{ "   ", 3, "empty event selector" },
	{ "sched:sched_switch,,sched:sched_wakeup", 19, "empty event between commas" },
	{ "sched:sched_switch,", 19, "empty event after ','" },
	{ ",sched:sched_switch", 0, "empty event before ','" },
	{ "sched_switch", 12, "missing ':' in 'sched_switch': a tracepoint is written sys:name" },
	{ "sched:", 6, "missing event name after 'sched:'" },
	{ "sched:/a/", 6, "missing event name after 'sched:'" },
	{ "sch@d:sched_switch", 3, "bad character '@' in event name" },
	{ "sched:sched_sw!tch", 14, "bad character '!' in event name" },
	{ "/x/", 0, "bad character '/' in event name" },
	{ "sched:sched_switch/prev_pid==1", 18, "unterminated filter: missing closing '/'" },
	{ "sched:sched_switch/(prev_pid==1/", 19, "unbalanced '(' in filter" },
	{ "sched:sched_switch/prev_pid==1)/", 30, "unbalanced ')' in filter" },
	{ "sched:sched_switch/prev_comm==\"bash/", 30,
	  "unterminated string in filter: missing closing \"" },
	{ "sched:sched_switch/prev_pid==1/stak/", 31,
	  "unknown attribute 'stak'; did you mean 'stack'? (valid: stack, max-stack=N, alias=NAME, top-by=EXPR" },
	{ "sched:sched_switch//frobnicate/", 20, "unknown attribute 'frobnicate' (valid: stack," },
	{ "sched:sched_switch//alias/", 25, "attribute 'alias' needs a value: alias=NAME" },
	{ "sched:sched_switch//key=/", 23, "attribute 'key' needs a value: key=EXPR" },
	{ "sched:sched_switch//max-stack=abc/", 30,
	  "max-stack needs a number from 0 to 65535, got 'abc'" },
	{ "sched:sched_switch//max-stack=70000/", 30, "max-stack needs a number from 0 to 65535" },
	{ "sched:sched_switch//stack=1/", 25, "attribute 'stack' takes no value" },
	{ "sched:sched_switch//stack", 25, "missing '/' after attribute 'stack'" },
	{ "sched:sched_switch//stack//", 26, "empty attribute between '/'" },
	{ "sched:sched_switch//printkey=printf(\"%d\",key/", 35, "unbalanced '(' in attribute" },
	{ "sched:sched_switch//cpus=3-1/", 27, "cpu range 3-1 goes backwards" },
	{ "sched:sched_switch//cpus=a/", 25, "bad cpu list" },
	{ "sched:sched_switch//period=1x/", 27, "period needs a number, got '1x'" },
	{ "sched:sched_switch//top-by=a,,b/", 29, "empty top-by value" },
	{ "sched:sched_switch/a==1/ x", 25, "bad character 'x' in selector: expected ',' or the end" },
	{ "uprobe:readline", 7, "uprobe: needs PATH:SYMBOL[+OFFSET], e.g. uprobe:/bin/bash:readline" },
	{ "uprobe::readline", 7, "missing binary path in uprobe:PATH:SYMBOL" },
	{ "uprobe:/bin/bash:", 17, "missing symbol after 'uprobe:/bin/bash:'" },
	{ "uretprobe:/bin/bash:,x:y", 20, "missing symbol after 'uretprobe:/bin/bash:'" },
	{ "uprobe:/bin/bash:readline+zz", 26, "uprobe offset needs a number" },
	{ "uretprobe:/bin/bash:readline+4", 28, "a uretprobe takes no offset" },
	{ "cpu/config=/", 11, "PMU term 'config' needs a value" },
	{ "cpu/config=1", 3, "unterminated PMU terms: missing closing '/'" },
	{ "cpu/config=1,,period=2/", 13, "empty PMU term" },
	{ "cpu/config=1,/", 13, "empty PMU term before '/'" },
	{ "cpu/=1/", 4, "bad character '=' in PMU term name" },
	{ "cpu/config=1;x/", 12, "bad character ';' in PMU terms" },
	{ "cpu//", 4, "empty PMU terms: expected cpu/term=value,.../" },
	{ "cpu/period=1k/", 11, "PMU term 'period' needs a number" },
	{ "cycles:x", 7, "unknown modifier 'x' (valid: u, k)" },
	{ "cycles:", 7, "expected a modifier after ':'" },
	{ "cylces", 0, "unknown event 'cylces'; did you mean 'cycles'?" },
	{ "page-fault", 0, "unknown event 'page-fault'; did you mean 'page-faults'?" },
	{ "cpu-clock/prev_pid==1/", 10, "only tracepoints and uprobes take a filter" },
};

static void test_bad_inputs(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct qz_selector sel = { 0 };
		struct qz_parse_error err;
		int ret = qz_selector__parse(&sel, bad[i].text, &err);

		/* Unbalanced or unterminated filters are filter errors. */
		CHECK_EQ(ret, strstr(bad[i].message, "in filter") ||
				      strstr(bad[i].message, "unterminated filter")
			      ? -QZ_ERR_FILTER : -QZ_ERR_SELECTOR);
		CHECK_EQ(sel.nr_events, 0);
		if (err.column != bad[i].column || !strstr(err.message, bad[i].message)) {
			fprintf(stderr, "  input \"%s\": got column %d \"%s\"\n"
				"  want column %d \"%s\"\n", bad[i].text, err.column,
				err.message, bad[i].column, bad[i].message);
			test_failures++;
		}
		qz_selector__clear(&sel);
	}
}

static void test_format(void)
{
	const char *text = "sched:sched_switch/prev_pid==1/stak/";
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	char buf[512];

	CHECK_EQ(qz_selector__parse(&sel, text, &err), -QZ_ERR_SELECTOR);
	qz_parse_error__format(&err, text, buf, sizeof(buf));
	CHECK(!strncmp(buf, "sched:sched_switch/prev_pid==1/stak/\n"
			    "                               ^ unknown attribute 'stak'; "
			    "did you mean 'stack'? (valid: stack, max-stack=N, ",
		       strlen("sched:sched_switch/prev_pid==1/stak/\n"
			      "                               ^ unknown attribute 'stak'; "
			      "did you mean 'stack'? (valid: stack, max-stack=N, ")));
	/* A tiny buffer truncates without overrunning. */
	memset(buf, 'x', sizeof(buf));
	qz_parse_error__format(&err, text, buf, 8);
	CHECK_STR(buf, "sched:s");
	CHECK(buf[8] == 'x');
	qz_parse_error__format(NULL, text, buf, sizeof(buf));
	CHECK_STR(buf, "");
}

static void test_builtin_names(void)
{
	enum qz_spec_kind kind;
	uint64_t config;
	int n = 0;

	CHECK_EQ(qz_select__builtin_event("instructions", &kind, &config), 0);
	CHECK_EQ(kind, QZ_SPEC_HARDWARE);
	CHECK_EQ(config, PERF_COUNT_HW_INSTRUCTIONS);
	CHECK_EQ(qz_select__builtin_event("context-switches", &kind, &config), 0);
	CHECK_EQ(kind, QZ_SPEC_SOFTWARE);
	CHECK_EQ(config, PERF_COUNT_SW_CONTEXT_SWITCHES);
	CHECK_EQ(qz_select__builtin_event("sched:sched_switch", &kind, &config),
		 -QZ_ERR_UNKNOWN_EVENT);
	while (qz_select__builtin_name(n, &kind))
		n++;
	CHECK(n >= 25);
	CHECK(qz_select__builtin_name(-1, NULL) == NULL);
}

/* perf-prof's profilers as event sources: name/OPTIONS/ATTR/.../ */
static void test_profilers(void)
{
	struct qz_selector sel = { 0 };
	struct qz_parse_error err;
	const struct qz_event_spec *e;

	CHECK_EQ(qz_selector__parse(&sel,
		"task-state/--perins -m 64/,profile/-F 5000 -N 10/untraced/stack/,"
		"page-faults/-N 10/,page-faults,page-faults//stack/,"
		"top/-e 'sched:sched_wakeup//key=pid/' -i 100/alias=t/,task-state//untraced/",
		&err), 0);
	CHECK_EQ(sel.nr_events, 7);
	if (sel.nr_events != 7)
		goto out;
	e = &sel.events[0];
	CHECK_EQ(e->kind, QZ_SPEC_PROFILER);
	CHECK_STR(e->name, "task-state");
	CHECK_STR(e->profiler_opts, "--perins -m 64");
	CHECK_EQ(e->profiler_opts_column, 11);
	CHECK(e->filter == NULL);
	e = &sel.events[1];
	CHECK_EQ(e->kind, QZ_SPEC_PROFILER);
	CHECK_STR(e->profiler_opts, "-F 5000 -N 10");
	CHECK(e->untraced && e->stack);
	/* A software event's name with options is the profiler... */
	e = &sel.events[2];
	CHECK_EQ(e->kind, QZ_SPEC_PROFILER);
	CHECK_STR(e->name, "page-faults");
	CHECK_STR(e->profiler_opts, "-N 10");
	/* ...without, the event, whose filter slot stays empty. */
	CHECK_EQ(sel.events[3].kind, QZ_SPEC_SOFTWARE);
	CHECK_EQ(sel.events[4].kind, QZ_SPEC_SOFTWARE);
	CHECK(sel.events[4].stack);
	/* Quotes and slashes inside quotes stay in the options. */
	e = &sel.events[5];
	CHECK_STR(e->profiler_opts, "-e 'sched:sched_wakeup//key=pid/' -i 100");
	CHECK_STR(e->alias, "t");
	e = &sel.events[6];
	CHECK_EQ(e->kind, QZ_SPEC_PROFILER);
	CHECK(e->profiler_opts == NULL && e->untraced);
	qz_selector__clear(&sel);

	/* A bare name that is no event: a profiler where the caller asks. */
	CHECK_EQ(qz_selector__parse_flags(&sel, "task-state,sched:sched_switch,cycles",
					  QZ_SELECTOR_PROFILERS, &err), 0);
	CHECK_EQ(sel.nr_events, 3);
	if (sel.nr_events == 3) {
		CHECK_EQ(sel.events[0].kind, QZ_SPEC_PROFILER);
		CHECK_STR(sel.events[0].name, "task-state");
		CHECK_EQ(sel.events[2].kind, QZ_SPEC_HARDWARE);
	}
	qz_selector__clear(&sel);
	CHECK_EQ(qz_selector__parse(&sel, "task-state", &err), -QZ_ERR_SELECTOR);
	CHECK(strstr(err.message, "missing ':' in 'task-state'") != NULL);
	/* A glob is never a profiler's name. */
	CHECK_EQ(qz_selector__parse_flags(&sel, "sched_*", QZ_SELECTOR_PROFILERS, &err),
		 -QZ_ERR_SELECTOR);
	/* Unbalanced quotes in the options point at them. */
	CHECK_EQ(qz_selector__parse(&sel, "top/-e 'x/", &err), -QZ_ERR_SELECTOR);
	CHECK_EQ(err.column, 7);
	CHECK(strstr(err.message, "unterminated string in options") != NULL);
	/* A PMU keeps its terms; cpu// with nothing after stays a PMU error. */
	CHECK_EQ(qz_selector__parse(&sel, "cpu//", &err), -QZ_ERR_SELECTOR);
	CHECK(strstr(err.message, "empty PMU terms") != NULL);
out:
	qz_selector__clear(&sel);
}

int main(void)
{
	RUN(test_tracepoint_filter_attrs);
	RUN(test_top_attrs);
	RUN(test_kinds);
	RUN(test_repeated);
	RUN(test_bad_inputs);
	RUN(test_format);
	RUN(test_builtin_names);
	RUN(test_profilers);
	return test_result();
}
