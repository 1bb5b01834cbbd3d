// SPDX-License-Identifier: MIT
/*
 * kvm-exit: how long KVM takes to handle each exit, by reason. The time
 * from kvm:kvm_exit to the next kvm:kvm_entry of the same vCPU thread goes
 * into a histogram per (ISA, reason); each interval prints count, total,
 * min, avg, p50, p95, p99 and max. --than prints each exit slower than a
 * threshold, with its reason and guest RIP, as it happens.
 *
 * An exit to user space is handled there: its latency includes the VMM's
 * work, as it delays the guest all the same.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <quazar/tp.h>
#include "exit_reason.h"
#include "profiler_table.h"
#include "exit_lat.h"

struct kx_opts {
	uint64_t than;		/* ns; 0: print no single exit */
};

struct kx {
	struct qz_session *session;
	struct qz_output *out;
	uint64_t than;
	int exit_idx, entry_idx;
	struct kvm_exit_fields f;
	struct exit_lat lat;
	uint64_t interval_start;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void kx_free(struct kx *k)
{
	if (!k)
		return;
	qz_exit_lat__free(&k->lat);
	free(k);
}

static int kx_init(struct qz_session *s, void **ctx)
{
	const struct kx_opts *o = qz_session__ops_opts(s);
	struct qz_env *env = qz_session__env(s);
	char mod[64];
	struct kx *k;
	int err;

	if (env->events.n) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kvm-exit: its events are kvm:kvm_exit and kvm:kvm_entry; it takes no -e '%s'",
				env->events.v[0]);
		return -EINVAL;
	}
	k = calloc(1, sizeof(*k));
	if (!k || qz_exit_lat__init(&k->lat)) {
		free(k);
		return -ENOMEM;
	}
	k->session = s;
	k->out = qz_session__output(s);
	k->than = o->than;
	k->exit_idx = qz_session__add_events(s, "kvm:kvm_exit", 0);
	k->entry_idx = k->exit_idx < 0 ? k->exit_idx : qz_session__add_events(s, "kvm:kvm_entry", 0);
	err = k->entry_idx < 0 ? k->entry_idx : 0;
	if (!err && qz_kvm_exit_fields__init(&k->f, qz_session__tp_event(s, k->exit_idx),
					     qz_kvm_host_isa("/proc/cpuinfo"))) {
		qz_session__log(s, QZ_LOG_ERROR,
				"kvm-exit: kvm:kvm_exit has no exit_reason field on this kernel; 'quazar list -v kvm:kvm_exit' shows its fields");
		err = -QZ_ERR_UNKNOWN_FIELD;
	}
	if (err) {
		kx_free(k);
		return err;
	}
	qz_kvm_vendor_module("/sys/module", mod, sizeof(mod));
	if (mod[0] && strcmp(mod, "kvm_intel") && strcmp(mod, "kvm_amd"))
		qz_session__log(s, QZ_LOG_WARN,
				"kvm-exit: this host's KVM module is %s, which raises no kvm:kvm_exit or kvm_entry: the table will stay empty",
				mod);
	k->interval_start = now_ns();
	*ctx = k;
	return 0;
}

static void print_slow(struct kx *k, const struct qz_event *ev, uint64_t ts,
		       const struct kvm_exit_info *p, uint64_t delta)
{
	const struct qz_sample *smp = ev->sample;
	char name[KVM_REASON_NAME_LEN];
	FILE *f;

	qz_kvm_exit__name(p->isa, p->code, name, sizeof(name));
	if (qz_output__json(k->out)) {
		struct qz_json *j = qz_output__begin(k->out, "kvm-exit-slow", ts);
		char rip[24];

		qz_json__key_u64(j, "pid", smp->pid);
		qz_json__key_u64(j, "tid", smp->tid);
		qz_json__key_str(j, "comm", qz_event__comm(ev));
		qz_json__key_u64(j, "vcpu", p->vcpu);
		qz_json__key_str(j, "isa", qz_kvm_isa__name(p->isa));
		qz_json__key_str(j, "reason", name);
		qz_json__key_u64(j, "code", p->code);
		snprintf(rip, sizeof(rip), "0x%" PRIx64, p->rip);
		qz_json__key_str(j, "rip", rip);
		qz_json__key_u64(j, "latency_ns", delta);
		qz_output__end(k->out);
		return;
	}
	f = qz_output__file(k->out);
	if (f)
		fprintf(f, "%" PRIu64 ".%06" PRIu64 " %s %u/%u vcpu %u %s %s rip 0x%" PRIx64
			" %.3f us\n", ts / 1000000000, ts % 1000000000 / 1000,
			qz_event__comm(ev), smp->pid, smp->tid, p->vcpu, qz_kvm_isa__name(p->isa),
			name, p->rip, delta / 1e3);
}

static void kx_sample(void *ctx, const struct qz_event *ev)
{
	struct kx *k = ctx;
	const struct qz_sample *smp = ev->sample;
	struct kvm_exit_info x;
	int64_t delta;

	if (ev->index == k->exit_idx) {
		qz_kvm_exit__decode(&k->f, smp->raw, smp->raw_size, &x);
		qz_exit_lat__exit(&k->lat, (int)smp->tid, smp->time, &x);
		return;
	}
	delta = qz_exit_lat__entry(&k->lat, (int)smp->tid, smp->time, &x);
	if (k->than && delta >= 0 && (uint64_t)delta >= k->than)
		print_slow(k, ev, smp->time - (uint64_t)delta, &x, (uint64_t)delta);
}

/* A lost entry would pair an old exit with a later one: forget them all. */
static void kx_lost(void *ctx, int cpu, uint64_t lost)
{
	struct kx *k = ctx;

	(void)cpu;
	(void)lost;
	qz_exit_lat__forget(&k->lat);
}

static void kx_interval(void *ctx, struct qz_output *out, bool final)
{
	struct kx *k = ctx;
	uint64_t now = now_ns(), total = 0;
	size_t n = 0;
	struct exit_lat_reason **rows = qz_exit_lat__rows(&k->lat, &n);
	char name[KVM_REASON_NAME_LEN];
	FILE *f = qz_output__file(out);

	(void)final;
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		total += rows[i]->hist.count;
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "kvm-exit", now);

		qz_json__key_u64(j, "interval_ns", now - k->interval_start);
		qz_json__key_u64(j, "exits", total);
		qz_json__key(j, "reasons");
		qz_json__begin_array(j);
		for (size_t i = 0; i < n; i++) {
			const struct qz_hist *h = &rows[i]->hist;

			qz_json__begin_object(j);
			qz_json__key_str(j, "isa", qz_kvm_isa__name(rows[i]->isa));
			qz_json__key_str(j, "reason", qz_kvm_exit__name(rows[i]->isa, rows[i]->code,
									name, sizeof(name)));
			qz_json__key_u64(j, "code", rows[i]->code);
			qz_json__key_u64(j, "count", h->count);
			qz_json__key_u64(j, "total_ns", h->sum);
			qz_json__key_u64(j, "min_ns", h->min);
			qz_json__key_u64(j, "avg_ns", h->sum / h->count);
			qz_json__key_u64(j, "p50_ns", qz_hist__quantile(h, 0.50));
			qz_json__key_u64(j, "p95_ns", qz_hist__quantile(h, 0.95));
			qz_json__key_u64(j, "p99_ns", qz_hist__quantile(h, 0.99));
			qz_json__key_u64(j, "max_ns", h->max);
			qz_json__end_object(j);
		}
		qz_json__end_array(j);
		qz_output__end(out);
	} else if (f) {
		fprintf(f, "%" PRIu64 " exits in %.3f s\n%-4s %-28s %10s %12s %9s %9s %9s %9s %9s %9s\n",
			total, (now - k->interval_start) / 1e9, "ISA", "REASON", "COUNT",
			"TOTAL(us)", "MIN(us)", "AVG(us)", "P50(us)", "P95(us)", "P99(us)", "MAX(us)");
		for (size_t i = 0; i < n; i++) {
			const struct qz_hist *h = &rows[i]->hist;

			fprintf(f, "%-4s %-28s %10" PRIu64 " %12.1f %9.2f %9.2f %9.2f %9.2f %9.2f %9.2f\n",
				qz_kvm_isa__name(rows[i]->isa),
				qz_kvm_exit__name(rows[i]->isa, rows[i]->code, name, sizeof(name)),
				h->count, h->sum / 1e3, h->min / 1e3, (double)h->sum / h->count / 1e3,
				qz_hist__quantile(h, 0.50) / 1e3, qz_hist__quantile(h, 0.95) / 1e3,
				qz_hist__quantile(h, 0.99) / 1e3, h->max / 1e3);
		}
	}
	qz_exit_lat__reset(&k->lat);
	free(rows);
	k->interval_start = now;
}

static void kx_deinit(void *ctx)
{
	kx_free(ctx);
}

static const struct qz_option kx_options[] = {
	QZ_OPTION_ENTRY(struct kx_opts, than, "than", 0, QZ_OPTION_TIME, "TIME",
			"print each exit slower than TIME (10us, 1ms, ...) with its reason and guest RIP"),
	{ 0 },
};

const struct qz_profiler qz_profiler_kvm_exit = {
	.name = "kvm-exit",
	.help = "KVM exit latency by reason: kvm_exit to kvm_entry per vCPU thread, p50/p95/p99/max",
	.usage = "Built-in events: kvm:kvm_exit and kvm:kvm_entry. An exit handled in user\n"
		 "space counts the VMM's time too.\n"
		 "examples:\n"
		 "  quazar kvm-exit -i 1000\n"
		 "  quazar kvm-exit -p $(pidof qemu-system-x86_64) --than 100us",
	.options = kx_options,
	.opts_size = sizeof(struct kx_opts),
	.ops = {
		.default_interval_ms = 1000,
		.init = kx_init,
		.sample = kx_sample,
		.lost = kx_lost,
		.interval = kx_interval,
		.deinit = kx_deinit,
	},
};
