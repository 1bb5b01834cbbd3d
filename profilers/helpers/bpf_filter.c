// SPDX-License-Identifier: MIT
/*
 * perf-prof's BPF filters: the options parsed into the programs' config,
 * and bpf/filter.bpf.c loaded and attached to a session's events, one
 * program per kind of event (sampled, tracepoint, uprobe).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <quazar/select.h>
#include <quazar/tp.h>
#include "bpf_config.h"
#include "bpf_filter.h"
#if QZ_HAVE_BPF_SKELETONS
#include "bpf_internal.h"
#include "filter.skel.h"
#endif

bool qz_bpf_filter__wanted(const struct bpf_filter_opts *o)
{
	return o->irqs_disabled || o->tif_need_resched || o->exclude_pid ||
	       o->nr_running_min || o->nr_running_max || o->sched_policy || o->prio;
}

bool qz_bpf__usable(char *why, size_t len)
{
#if QZ_HAVE_BPF_SKELETONS
	return qz__bpf_kernel_btf(why, len);
#else
	snprintf(why, len, "%s", QZ_BPF_MISSING);
	return false;
#endif
}

static int yes_no(struct qz_session *s, const char *opt, const char *v, __u8 *out)
{
	if (!v) {
		*out = QZ_FILTER_OFF;
	} else if (!v[0] || !strcmp(v, "1")) {
		*out = QZ_FILTER_WANT_1;
	} else if (!strcmp(v, "0")) {
		*out = QZ_FILTER_WANT_0;
	} else {
		qz_session__log(s, QZ_LOG_ERROR, "--%s=%s: give --%s, --%s=1 or --%s=0", opt, v,
				opt, opt, opt);
		return -EINVAL;
	}
	return 0;
}

static int number(struct qz_session *s, const char *opt, const char *v, unsigned long max,
		  __u32 *out)
{
	char *end;
	unsigned long n;

	errno = 0;
	n = strtoul(v, &end, 0);
	if (errno || end == v || *end || v[0] == '-' || n > max) {
		qz_session__log(s, QZ_LOG_ERROR, "--%s '%s': give a number from 0 to %lu", opt, v,
				max);
		return -EINVAL;
	}
	*out = (__u32)n;
	return 0;
}

/* "0-99,120": a bit per priority. */
static int prio_list(struct qz_session *s, const char *list, __u64 bits[3])
{
	const char *p = list;

	memset(bits, 0, 3 * sizeof(bits[0]));
	while (*p) {
		char *end;
		unsigned long lo, hi;

		errno = 0;
		lo = strtoul(p, &end, 10);
		hi = lo;
		if (end == p || errno)
			goto bad;
		if (*end == '-') {
			p = end + 1;
			hi = strtoul(p, &end, 10);
			if (end == p || errno)
				goto bad;
		}
		if (lo > hi || hi >= QZ_FILTER_MAX_PRIO)
			goto bad;
		for (unsigned long i = lo; i <= hi; i++)
			bits[i / 64] |= 1ull << (i % 64);
		if (*end == ',')
			end++;
		else if (*end)
			goto bad;
		p = end;
	}
	if (bits[0] | bits[1] | bits[2])
		return 0;
bad:
	qz_session__log(s, QZ_LOG_ERROR,
			"--prio '%s': give priorities from 0 to %d, as a list of numbers and "
			"ranges: 0-99 (real time), 120 (nice 0), 100-139 (normal)",
			list, QZ_FILTER_MAX_PRIO - 1);
	return -EINVAL;
}

/*
 * TIF_NEED_RESCHED's bit on x86: 3 until the generic TIF bits of 6.18,
 * 4 since. BTF has no trace of it, so the kernel's version decides.
 */
static int tif_bit(struct qz_session *s, __u8 *bit)
{
	struct utsname u;
	int major = 0, minor = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &major, &minor) != 2) {
		qz_session__log(s, QZ_LOG_ERROR, "--tif_need_resched: cannot read the kernel version");
		return -EINVAL;
	}
#if defined(__x86_64__)
	*bit = major > 6 || (major == 6 && minor >= 18) ? 4 : 3;
	return 0;
#else
	qz_session__log(s, QZ_LOG_ERROR,
			"--tif_need_resched: TIF_NEED_RESCHED's bit is known on x86-64 only");
	return -EOPNOTSUPP;
#endif
}

int qz_bpf_filter__config(struct qz_session *s, const struct bpf_filter_opts *o,
			  struct qz_filter_cfg *cfg)
{
	int err;

	memset(cfg, 0, sizeof(*cfg));
	err = yes_no(s, "irqs_disabled", o->irqs_disabled, &cfg->irqs_disabled);
	if (!err)
		err = yes_no(s, "tif_need_resched", o->tif_need_resched, &cfg->tif_need_resched);
	if (!err && cfg->tif_need_resched)
		err = tif_bit(s, &cfg->tif_bit);
	if (!err && o->exclude_pid) {
		cfg->exclude_pid_set = 1;
		err = number(s, "exclude_pid", o->exclude_pid, 0x7fffffff, &cfg->exclude_pid);
	}
	cfg->nr_running_max = UINT32_MAX;
	if (!err && o->nr_running_min) {
		cfg->nr_running_set = 1;
		err = number(s, "nr_running_min", o->nr_running_min, UINT32_MAX,
			     &cfg->nr_running_min);
	}
	if (!err && o->nr_running_max) {
		cfg->nr_running_set = 1;
		err = number(s, "nr_running_max", o->nr_running_max, UINT32_MAX,
			     &cfg->nr_running_max);
	}
	if (!err && cfg->nr_running_min > cfg->nr_running_max) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--nr_running_min %u is above --nr_running_max %u: no sample could pass",
				cfg->nr_running_min, cfg->nr_running_max);
		err = -EINVAL;
	}
	if (!err && o->sched_policy) {
		cfg->policy_set = 1;
		err = number(s, "sched_policy", o->sched_policy, 7, &cfg->policy);
	}
	if (!err && o->prio) {
		cfg->prio_set = 1;
		err = prio_list(s, o->prio, cfg->prio);
	}
	return err;
}

#define TRACE_FLAG_IRQS_OFF 0x01		/* common_flags: include/linux/trace_events.h */
#define TRACE_FLAG_NEED_RESCHED 0x04

struct bpf_filter {
	struct qz_filter_cfg cfg;
	bool user;			/* some events are filtered here */
#if QZ_HAVE_BPF_SKELETONS
	struct qz_filter_bpf *skel;
#endif
};

void qz_bpf_filter__free(struct bpf_filter *f)
{
	if (!f)
		return;
#if QZ_HAVE_BPF_SKELETONS
	qz_filter_bpf__destroy(f->skel);
#endif
	free(f);
}

static bool want(__u8 how, bool value)
{
	return how == QZ_FILTER_OFF || (how == QZ_FILTER_WANT_1) == value;
}

bool qz_bpf_filter__keep(const struct bpf_filter *f, const struct qz_event *ev)
{
	const struct qz_tp_field *flags;
	uint64_t v;

	if (!f->user || !ev->tp)
		return true;
	if (f->cfg.exclude_pid_set && ev->sample->pid == f->cfg.exclude_pid)
		return false;
	if (!f->cfg.irqs_disabled && !f->cfg.tif_need_resched)
		return true;
	flags = qz_tp_event__field(ev->tp, "common_flags");
	if (!flags)
		return true;
	v = qz_tp_field__u64(flags, ev->sample->raw, ev->sample->raw_size);
	return want(f->cfg.irqs_disabled, v & TRACE_FLAG_IRQS_OFF) &&
	       want(f->cfg.tif_need_resched, v & TRACE_FLAG_NEED_RESCHED);
}

enum { PROG_PE, PROG_TP, PROG_UP };

static int prog_kind(const struct qz_event_spec *spec)
{
	switch (spec->kind) {
	case QZ_SPEC_TRACEPOINT:
		return PROG_TP;
	case QZ_SPEC_UPROBE:
	case QZ_SPEC_URETPROBE:
		return PROG_UP;
	default:
		return PROG_PE;
	}
}

#if QZ_HAVE_BPF_SKELETONS
static int load(struct qz_session *s, struct bpf_filter *f, const bool need[3])
{
	struct qz_bpf_capture cap;
	char why[4096];
	int err;

	if (!qz_bpf__usable(why, sizeof(why))) {
		qz_session__log(s, QZ_LOG_ERROR, "the BPF filters are unavailable: %s", why);
		return -EOPNOTSUPP;
	}
	qz__bpf_capture_begin(&cap);
	f->skel = qz_filter_bpf__open();
	if (!f->skel) {
		err = -errno;
		qz__bpf_capture_free(&cap);
		qz_session__log(s, QZ_LOG_ERROR, "the BPF filter program: %s", strerror(-err));
		return err;
	}
	f->skel->rodata->qz_filter = f->cfg;
	bpf_program__set_autoload(f->skel->progs.qz_filter_pe, need[PROG_PE]);
	bpf_program__set_autoload(f->skel->progs.qz_filter_up, need[PROG_UP]);
	err = qz_filter_bpf__load(f->skel);
	qz__bpf_capture_end(&cap);
	if (err) {
		qz__bpf_explain(cap.text, err, NULL, why, sizeof(why));
		qz_session__log(s, QZ_LOG_ERROR, "quazar's BPF filter program (filter.bpf.c): %s",
				why);
	}
	qz__bpf_capture_free(&cap);
	return err;
}

static int prog_fd(struct bpf_filter *f, int kind)
{
	return bpf_program__fd(kind == PROG_UP ? f->skel->progs.qz_filter_up :
						f->skel->progs.qz_filter_pe);
}
#else
static int load(struct qz_session *s, struct bpf_filter *f, const bool need[3])
{
	(void)f;
	(void)need;
	qz_session__log(s, QZ_LOG_ERROR, "the BPF filters are unavailable: %s", QZ_BPF_MISSING);
	return -EOPNOTSUPP;
}

static int prog_fd(struct bpf_filter *f, int kind)
{
	(void)f;
	(void)kind;
	return -EOPNOTSUPP;
}
#endif

/*
 * Event i's own session and index: a nested profiler's events are opened
 * as its session has them (-e 'profile/-F 99/'), so the program goes there.
 */
static struct qz_session *owner(struct qz_session *s, int i, int *index)
{
	struct qz_session *n = qz_session__nested(s, i, index);

	if (n)
		return n;
	*index = i;
	return s;
}

static int event_kind(struct qz_session *s, int i)
{
	int index;
	struct qz_session *o = owner(s, i, &index);

	return prog_kind(qz_session__spec(o, index));
}

struct bpf_filter *qz_bpf_filter__attach(struct qz_session *s, const struct qz_filter_cfg *cfg)
{
	struct bpf_filter *f = calloc(1, sizeof(*f));
	bool need[3] = { false };
	int err = 0, n = qz_session__nr_events(s);

	if (!f)
		return NULL;
	f->cfg = *cfg;
	for (int i = 0; i < n; i++)
		need[event_kind(s, i)] = true;
	if (need[PROG_TP] && (cfg->nr_running_set || cfg->policy_set || cfg->prio_set)) {
		qz_session__log(s, QZ_LOG_ERROR,
				"--nr_running_min/max, --sched_policy and --prio read the task in a BPF "
				"program, which quazar attaches to sampled events and uprobes only: on a "
				"tracepoint the kernel runs one program array for every perf user of it, "
				"so a dropped event would be dropped for all of them; filter the "
				"tracepoint on its fields instead (e.g. /prio<100/)");
		err = -EINVAL;
		goto fail;
	}
	f->user = need[PROG_TP];
	if (need[PROG_PE] || need[PROG_UP]) {
		err = load(s, f, need);
		if (err)
			goto fail;
	}
	for (int i = 0; i < n; i++) {
		int kind = event_kind(s, i), index;
		struct qz_session *o = owner(s, i, &index);

		if (kind == PROG_TP)
			continue;
		err = qz_session__set_bpf(o, index, prog_fd(f, kind));
		if (err == -EEXIST)
			qz_session__log(s, QZ_LOG_ERROR,
					"%s: it runs a BPF program already (its profiler counts in the kernel, or filters it): give the BPF filters once",
					qz_session__event_name(s, i));
		if (err)
			goto fail;
	}
	return f;
fail:
	qz_bpf_filter__free(f);
	errno = -err;
	return NULL;
}
