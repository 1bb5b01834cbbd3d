// SPDX-License-Identifier: MIT
/*
 * kvm: the VMs of this host and what they do. The lifecycle comes from the
 * calls that make and end a VM, each checked against /proc (life.c); VMs
 * already running are found in /proc at start and at every agent reload.
 * Each interval, the `vms` report says per VM what the kvm: tracepoints
 * counted, aggregated in a (vm, reason) table so an exit costs one lookup.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <quazar/evsel.h>
#include <quazar/tp.h>
#include "kvm_priv.h"
#include "procfs.h"
#include "profiler_table.h"

static const char *const event_text[NR_EV] = {
	/* The kernel passes only KVM's two create calls. */
	[EV_IOCTL_ENTER] = "syscalls:sys_enter_ioctl/cmd==0xae01||cmd==0xae41/",
	/* Not KVM_RUN's 0 or its -EINTR: a busy VM makes millions. */
	[EV_IOCTL_EXIT] = "syscalls:sys_exit_ioctl/ret!=0&&ret!=-4/",
	[EV_CLOSE] = "syscalls:sys_enter_close",
	[EV_CLOSE_RANGE] = "syscalls:sys_enter_close_range",
	[EV_EXEC] = "sched:sched_process_exec",
	[EV_EXIT] = "sched:sched_process_exit/group_dead==1/",
	[EV_KVM_EXIT] = "kvm:kvm_exit",
	[EV_USER_EXIT] = "kvm:kvm_userspace_exit",
	[EV_WAKEUP] = "kvm:kvm_vcpu_wakeup",
	[EV_INJ_VIRQ] = "kvm:kvm_inj_virq",
};

/* Traced only where the kernel has them. */
static const bool event_optional[NR_EV] = {
	[EV_CLOSE_RANGE] = true, [EV_KVM_EXIT] = true, [EV_USER_EXIT] = true,
	[EV_WAKEUP] = true, [EV_INJ_VIRQ] = true,
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * close and close_range are sampled only while a VM is alive: each close
 * of the host costs a sample, and a host without VMs need not pay it. A
 * VM closed within ~0.1 s of its create (before the create is processed
 * and the events enabled) ends at the next interval's /proc check.
 */
static void gate_close(struct kvm *k)
{
	bool want = qz_kvm_life__alive(k->life) > 0;

	k->gated = true;
	if (want == k->close_on)
		return;
	k->close_on = want;
	for (int ev = EV_CLOSE; ev <= EV_CLOSE_RANGE; ev++) {
		struct qz_evsel *e = k->idx[ev] >= 0 ? qz_session__evsel(k->session, k->idx[ev]) : NULL;

		if (e)
			(void)(want ? qz_evsel__enable(e) : qz_evsel__disable(e));
	}
}

static void on_step(const struct kvm_step_info *step, void *ctx)
{
	struct kvm *k = ctx;

	k->last_pid = -1;	/* which VM a pid's events count for may change */
	qz_kvm_report__step(k, step);
	if (k->gated)
		gate_close(k);
}

static void life_log(enum qz_log_level level, const char *msg, void *ctx)
{
	struct kvm *k = ctx;

	qz_session__log(k->session, level, "kvm: %s", msg);
}

static void kvm_free(struct kvm *k)
{
	if (!k)
		return;
	qz_kvm_life__free(k->life);
	qz_u64map__free(&k->exits);
	free(k->pids);
	free(k);
}

static int add_event(struct kvm *k, struct qz_tp *tp, int ev)
{
	char sys[32], name[64];

	if (event_optional[ev] &&
	    (sscanf(event_text[ev], "%31[^:]:%63[^/]", sys, name) != 2 ||
	     !qz_tp__event(tp, sys, name))) {
		k->idx[ev] = -1;
		return 0;
	}
	k->idx[ev] = qz_session__add_events(k->session, event_text[ev], 0);
	if (k->idx[ev] < 0)
		return k->idx[ev];
	if (k->idx[ev] >= KVM_MAX_SESSION_EVENTS)
		return -E2BIG;
	k->ev_of[k->idx[ev]] = (signed char)ev;
	return 0;
}

static const struct qz_tp_field *field(struct kvm *k, int ev, const char *name)
{
	const struct qz_tp_event *tp;

	if (k->idx[ev] < 0)
		return NULL;
	tp = qz_session__tp_event(k->session, k->idx[ev]);
	return tp ? qz_tp_event__field(tp, name) : NULL;
}

/* An event traced after all but not read (a field it lacks): ignore it. */
static void drop_event(struct kvm *k, int ev)
{
	if (k->idx[ev] >= 0)
		k->ev_of[k->idx[ev]] = -1;
	k->idx[ev] = -1;
}

static int resolve_fields(struct kvm *k)
{
	k->ioctl_fd = field(k, EV_IOCTL_ENTER, "fd");
	k->ioctl_cmd = field(k, EV_IOCTL_ENTER, "cmd");
	k->ioctl_arg = field(k, EV_IOCTL_ENTER, "arg");
	k->ioctl_ret = field(k, EV_IOCTL_EXIT, "ret");
	k->close_fd = field(k, EV_CLOSE, "fd");
	k->cr_fd = field(k, EV_CLOSE_RANGE, "fd");
	k->cr_max = field(k, EV_CLOSE_RANGE, "max_fd");
	k->cr_flags = field(k, EV_CLOSE_RANGE, "flags");
	k->user_reason = field(k, EV_USER_EXIT, "reason");
	k->user_errno = field(k, EV_USER_EXIT, "errno");
	k->waited = field(k, EV_WAKEUP, "waited");
	if (!k->ioctl_fd || !k->ioctl_cmd || !k->ioctl_ret || !k->close_fd) {
		qz_session__log(k->session, QZ_LOG_ERROR,
				"kvm: the syscalls tracepoints lack fd/cmd/ret fields; 'quazar list -v syscalls:sys_enter_ioctl' shows them");
		return -QZ_ERR_UNKNOWN_FIELD;
	}
	if (k->idx[EV_KVM_EXIT] >= 0 &&
	    qz_kvm_exit_fields__init(&k->exit_f, qz_session__tp_event(k->session, k->idx[EV_KVM_EXIT]),
				     qz_kvm_host_isa("/proc/cpuinfo")))
		drop_event(k, EV_KVM_EXIT);
	/* Older kernels name them differently: leave those events out. */
	if (!k->user_reason || !k->user_errno)
		drop_event(k, EV_USER_EXIT);
	if (!k->waited)
		drop_event(k, EV_WAKEUP);
	if (!k->cr_fd || !k->cr_max || !k->cr_flags)
		drop_event(k, EV_CLOSE_RANGE);
	return 0;
}

/* -p and -t name the processes to walk; -- cmd has none running yet. */
static int scan_targets(struct kvm *k)
{
	struct qz_env *env = qz_session__env(k->session);
	const char *lists[2] = { env->pids, env->tids };

	k->scan_none = env->workload != NULL;
	for (int l = 0; l < 2; l++) {
		char *copy = lists[l] ? strdup(lists[l]) : NULL, *save = NULL;

		if (lists[l] && !copy)
			return -ENOMEM;
		for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t;
		     t = strtok_r(NULL, ",", &save)) {
			int pid = atoi(t), *v;

			if (l == 1)
				pid = qz_kvm_proc__tgid(k->opts->proc ?: "/proc", pid);
			if (pid <= 0)
				continue;
			v = realloc(k->pids, (size_t)(k->nr_pids + 1) * sizeof(*v));
			if (!v) {
				free(copy);
				return -ENOMEM;
			}
			k->pids = v;
			k->pids[k->nr_pids++] = pid;
		}
		free(copy);
	}
	return 0;
}

static int scan(struct kvm *k, uint64_t now, const char *why)
{
	struct qz_env *env = qz_session__env(k->session);
	int n;

	if (k->scan_none)
		return 0;
	n = qz_kvm_life__scan(k->life, now, why, env->pids || env->tids ? k->pids : NULL,
			      k->nr_pids);
	if (n < 0)
		qz_session__log(k->session, QZ_LOG_ERROR,
				"kvm: cannot list processes in %s: %s; give the host's /proc with --proc DIR",
				k->opts->proc ?: "/proc", qz_strerror(n));
	return n < 0 ? n : 0;
}

static void warn_no_kvm_exit(struct kvm *k)
{
	char mod[64];

	qz_kvm_vendor_module("/sys/module", mod, sizeof(mod));
	if (mod[0] && strcmp(mod, "kvm_intel") && strcmp(mod, "kvm_amd"))
		qz_session__log(k->session, QZ_LOG_WARN,
				"kvm: this host's KVM module is %s, which raises no kvm:kvm_exit: exits by reason stay empty (user-space exits, halt polling and interrupts are still counted)",
				mod);
}

static int kvm_init(struct qz_session *s, void **ctx)
{
	struct qz_env *env = qz_session__env(s);
	struct kvm *k;
	struct qz_tp *tp;
	int err = 0;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kvm: its events are built in and it takes no -e '%s'; trace them with 'quazar trace -e ...'",
				env->events.v[0]);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k || qz_u64map__init(&k->exits, sizeof(uint64_t))) {
		free(k);
		return -ENOMEM;
	}
	k->session = s;
	k->out = qz_session__output(s);
	k->opts = qz_session__ops_opts(s);
	k->last_pid = -1;
	k->close_on = true;	/* as the session will enable them */
	memset(k->ev_of, -1, sizeof(k->ev_of));
	k->reloads_seen = __atomic_load_n(&k->opts->reloads, __ATOMIC_RELAXED);
	k->life = qz_kvm_life__new(&(struct kvm_life_opts){
		.proc = k->opts->proc, .emit = on_step, .release = qz_kvm_stats__release,
		.log = life_log, .ctx = k });
	tp = qz_tp__new(NULL);
	if (!k->life || !tp) {
		err = -errno ?: -ENOMEM;
		goto fail;
	}
	for (int ev = 0; ev < NR_EV && !err; ev++)
		if (ev < EV_KVM_EXIT || k->opts->stats)
			err = add_event(k, tp, ev);
		else
			k->idx[ev] = -1;
	qz_tp__free(tp);
	if (!err)
		err = resolve_fields(k);
	if (!err)
		err = scan_targets(k);
	if (err)
		goto fail;
	if (k->idx[EV_KVM_EXIT] >= 0)
		warn_no_kvm_exit(k);
	else if (k->opts->stats && k->idx[EV_USER_EXIT] < 0)
		qz_session__log(s, QZ_LOG_WARN,
				"kvm: this kernel has no kvm: tracepoints (is the kvm module loaded?): the per-VM statistics stay empty; --no-stats says you know");
	k->interval_start = now_ns();
	/* Before the events open: a VM made in between is adopted later. */
	err = scan(k, k->interval_start, "start");
	if (err)
		goto fail;
	*ctx = k;
	return 0;
fail:
	kvm_free(k);
	return err;
}

static void check_reload(struct kvm *k)
{
	unsigned r = __atomic_load_n(&k->opts->reloads, __ATOMIC_RELAXED);

	if (r == k->reloads_seen)
		return;
	k->reloads_seen = r;
	scan(k, now_ns(), "reload");
}

static void kvm_sample(void *ctx, const struct qz_event *ev)
{
	struct kvm *k = ctx;
	const struct qz_sample *smp = ev->sample;
	const void *raw = smp->raw;
	size_t size = smp->raw_size;
	int pid = (int)smp->pid, tid = (int)smp->tid;

	check_reload(k);
	if (!k->gated)
		gate_close(k);	/* the session enabled every event */
	if (ev->index < 0 || ev->index >= KVM_MAX_SESSION_EVENTS)
		return;
	switch (k->ev_of[ev->index]) {
	case EV_KVM_EXIT:
	case EV_USER_EXIT:
	case EV_WAKEUP:
	case EV_INJ_VIRQ:
		qz_kvm_stats__event(k, k->ev_of[ev->index], smp);
		break;
	case EV_IOCTL_ENTER:
		qz_kvm_life__ioctl_enter(k->life, smp->time, pid, tid,
					 qz_tp_field__u64(k->ioctl_fd, raw, size),
					 qz_tp_field__u64(k->ioctl_cmd, raw, size),
					 k->ioctl_arg ? qz_tp_field__u64(k->ioctl_arg, raw, size) : 0);
		break;
	case EV_IOCTL_EXIT:
		qz_kvm_life__ioctl_exit(k->life, smp->time, pid, tid,
					qz_tp_field__s64(k->ioctl_ret, raw, size),
					qz_kvm_life__awaits(k->life, tid) ? qz_event__comm(ev) : NULL);
		break;
	case EV_CLOSE:
		qz_kvm_life__close(k->life, smp->time, pid, qz_tp_field__u64(k->close_fd, raw, size));
		break;
	case EV_CLOSE_RANGE:
		qz_kvm_life__close_range(k->life, smp->time, pid,
					 qz_tp_field__u64(k->cr_fd, raw, size),
					 qz_tp_field__u64(k->cr_max, raw, size),
					 qz_tp_field__u64(k->cr_flags, raw, size));
		break;
	case EV_EXEC:
		qz_kvm_life__exec(k->life, smp->time, pid);
		break;
	case EV_EXIT:
		qz_kvm_life__exit(k->life, smp->time, pid);
		break;
	}
}

static void kvm_lost(void *ctx, int cpu, uint64_t lost)
{
	struct kvm *k = ctx;

	(void)cpu;
	(void)lost;
	/* A lost close or exit leaves a VM behind: /proc settles it. */
	qz_kvm_life__check(k->life, now_ns());
}

static void kvm_interval(void *ctx, struct qz_output *out, bool final)
{
	struct kvm *k = ctx;
	uint64_t now = now_ns();

	(void)final;
	check_reload(k);
	qz_kvm_life__check(k->life, now);
	gate_close(k);
	qz_kvm_report__vms(k, out, now);
	qz_kvm_life__reap(k->life, now);
	qz_u64map__clear(&k->exits);
	k->last_pid = -1;
	k->last_vm = NULL;
	k->unattributed = 0;
	k->interval_start = now;
}

static void kvm_deinit(void *ctx)
{
	kvm_free(ctx);
}

/* From the agent's thread: the collector's own thread rescans. */
static void kvm_reload(void *opts)
{
	__atomic_fetch_add(&((struct kvm_opts *)opts)->reloads, 1, __ATOMIC_RELAXED);
}

static const struct kvm_opts kvm_defaults = { .stats = true };

static const struct qz_option kvm_options[] = {
	QZ_OPTION_ENTRY(struct kvm_opts, proc, "proc", 0, QZ_OPTION_STRING, "DIR",
			"read processes from DIR instead of /proc (the host's /proc seen from a container)"),
	QZ_OPTION_ENTRY(struct kvm_opts, stats, "stats", 0, QZ_OPTION_BOOL, NULL,
			"per-VM statistics from the kvm: tracepoints (default on; --no-stats: the lifecycle only)"),
	{ 0 },
};

const struct qz_profiler qz_profiler_kvm = {
	.name = "kvm",
	.help = "KVM VMs: created, vCPUs, destroyed, already running, and what each does",
	.usage = "Built-in events: KVM_CREATE_VM/KVM_CREATE_VCPU ioctls (entry and exit),\n"
		 "close, exec and exit of the processes holding VMs; kvm:kvm_exit,\n"
		 "kvm_userspace_exit, kvm_vcpu_wakeup and kvm_inj_virq for the statistics.\n"
		 "VMs running at start are reported once as `present` (from /proc).\n"
		 "examples:\n"
		 "  quazar kvm -i 10000\n"
		 "  quazar kvm --json -- qemu-system-x86_64 -enable-kvm -name guest=web-1 ...\n"
		 "  quazar kvm --proc /host/proc --no-stats",
	.nest = true,
	.options = kvm_options,
	.opts_size = sizeof(struct kvm_opts),
	.opts_defaults = &kvm_defaults,
	.reload = kvm_reload,
	.ops = {
		.default_interval_ms = 1000,
		.init = kvm_init,
		.sample = kvm_sample,
		.lost = kvm_lost,
		.interval = kvm_interval,
		.deinit = kvm_deinit,
	},
};
