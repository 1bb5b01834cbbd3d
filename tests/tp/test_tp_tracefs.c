// SPDX-License-Identifier: MIT
/*
 * Tracepoints on the real kernel: tracefs found (or mounted), globs
 * expanded, formats loaded on demand, typos answered with the right name,
 * and a filter compiled against a live format.
 */
#include <errno.h>
#include <stdio.h>
#include <quazar/filter.h>
#include <quazar/tp.h>
#include "../test.h"

static int collect(const char *sys, const char *name, void *ctx)
{
	char *out = ctx;
	size_t n = strlen(out);

	snprintf(out + n, 8192 - n, "%s:%s\n", sys, name);
	return 0;
}

static int read_id(const char *dir, const char *sys, const char *name)
{
	char path[512];
	int id = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/events/%s/%s/id", dir, sys, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &id) != 1)
		id = -1;
	fclose(f);
	return id;
}

int main(void)
{
	static char got[8192];
	struct qz_tp *tp;
	struct qz_tp_event *ev;
	const struct qz_tp_field *f;
	struct qz_filter *filter;
	struct qz_parse_error err;
	char buf[256];
	int n;

	if (!test_require_root())
		return test_skip("needs root for tracefs");
	tp = qz_tp__new(NULL);
	CHECK(tp != NULL);
	if (!tp)
		return test_result();
	CHECK(qz_tp__tracing_dir(tp) != NULL);

	n = qz_tp__expand(tp, "sched:sched_*", collect, got);
	CHECK(n >= 5);
	CHECK(strstr(got, "sched:sched_switch\n") != NULL);
	CHECK(strstr(got, "sched:sched_wakeup\n") != NULL);
	CHECK(strstr(got, "sched:sched_process_exec\n") != NULL);
	CHECK(strstr(got, "syscalls:") == NULL);
	CHECK(strstr(got, "sched:enable") == NULL);

	ev = qz_tp__event(tp, "syscalls", "sys_enter_getppid");
	CHECK(ev != NULL);
	CHECK_EQ(qz_tp_event__id(ev), read_id(qz_tp__tracing_dir(tp), "syscalls",
					      "sys_enter_getppid"));
	f = qz_tp_event__field(ev, "__syscall_nr");
	CHECK(f && (qz_tp_field__flags(f) & QZ_TP_FIELD_SIGNED) && qz_tp_field__size(f) == 4);
	/* On demand: the second lookup is the same object. */
	CHECK(qz_tp__event(tp, "syscalls", "sys_enter_getppid") == ev);

	ev = qz_tp__event(tp, "sched", "sched_switch");
	CHECK(ev != NULL);
	filter = qz_filter__compile("next_pid<next_prio&&next_pid>0 && prev_comm ~ \"*\"", ev, &err);
	CHECK(filter != NULL);
	CHECK(qz_filter__needs_user_space(filter));
	qz_filter__free(filter);

	errno = 0;
	CHECK(qz_tp__event(tp, "sched", "sched_swich") == NULL);
	CHECK_EQ(errno, QZ_ERR_UNKNOWN_EVENT);
	CHECK(qz_tp__event(tp, "..", "sched_switch") == NULL);
	CHECK_EQ(qz_tp__suggest(tp, "sched:sched_swich", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean sched:sched_switch?");
	CHECK_EQ(qz_tp__suggest(tp, "syscalls:sys_entr_getppid", buf, sizeof(buf)), 0);
	CHECK_STR(buf, "did you mean syscalls:sys_enter_getppid?");
	CHECK_EQ(qz_tp__expand(tp, "sched:no_such_*", NULL, NULL), -QZ_ERR_UNKNOWN_EVENT);
	qz_tp__free(tp);
	return test_result();
}
