// SPDX-License-Identifier: MIT
/*
 * The kvm profiler's records: one `vm` record per lifecycle step as it
 * happens, and each interval a `vms` report of every VM with what it did:
 * exits by reason (the (vm, reason) table), user-space exits, halt
 * polling, injected interrupts and its vCPU threads' CPU time.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "kvm_priv.h"

static const char *const step_names[] = {
	[KVM_STEP_CREATE] = "create",
	[KVM_STEP_VCPU] = "vcpu",
	[KVM_STEP_DESTROY] = "destroy",
	[KVM_STEP_PRESENT] = "present",
};

static void vm_identity(struct qz_json *j, const struct kvm_vm *vm)
{
	qz_json__key_u64(j, "pid", (uint64_t)vm->pid);
	qz_json__key_str(j, "comm", vm->comm);
	qz_json__key_str(j, "vmm", vm->ident.vmm);
	qz_json__key_str(j, "name", vm->ident.name);
	qz_json__key_str(j, "id", vm->ident.id);
}

void qz_kvm_report__step(struct kvm *k, const struct kvm_step_info *st)
{
	const struct kvm_vm *vm = st->vm;
	uint64_t age = st->ts > vm->created ? st->ts - vm->created : 0;
	unsigned held = qz_kvm_life__held(k->life, vm->pid);
	const char *what = step_names[st->step];
	FILE *f;

	if (qz_output__json(k->out)) {
		struct qz_json *j = qz_output__begin(k->out, "vm", st->ts);

		qz_json__key_str(j, "event", what);
		vm_identity(j, vm);
		qz_json__key_i64(j, "fd", vm->nr_fds ? vm->fds[0] : -1);
		qz_json__key_u64(j, "vms", held);
		qz_json__key_u64(j, "vcpus", vm->vcpus);
		qz_json__key_u64(j, "age_ns", age);
		if (st->tid >= 0)
			qz_json__key_u64(j, "tid", (uint64_t)st->tid);
		if (st->step == KVM_STEP_VCPU) {
			qz_json__key_i64(j, "vcpu_id", st->vcpu_id);
			qz_json__key_i64(j, "vcpu_fd", st->vcpu_fd);
		} else if (st->step == KVM_STEP_DESTROY) {
			qz_json__key_str(j, "cause", st->why);
		} else if (st->step == KVM_STEP_PRESENT) {
			qz_json__key_str(j, "discovery", st->why);
		}
		qz_output__end(k->out);
		return;
	}
	f = qz_output__file(k->out);
	if (!f)
		return;
	fprintf(f, "%" PRIu64 ".%06" PRIu64 " %-7s %s pid %d (%s) vmm=%s id=%s vcpus=%u age=%.3f s",
		st->ts / 1000000000, st->ts % 1000000000 / 1000, what, vm->ident.name,
		vm->pid, vm->comm, vm->ident.vmm[0] ? vm->ident.vmm : "-", vm->ident.id,
		vm->vcpus, age / 1e9);
	if (st->step == KVM_STEP_VCPU)
		fprintf(f, " vcpu %d (fd %d)", st->vcpu_id, st->vcpu_fd);
	else if (st->step == KVM_STEP_DESTROY)
		fprintf(f, " cause=%s", st->why);
	else if (st->step == KVM_STEP_PRESENT)
		fprintf(f, " discovery=%s", st->why);
	fputc('\n', f);
}

struct exit_row {
	uint32_t serial;
	int isa;
	uint32_t code;
	uint64_t count;
};

static int cmp_rows(const void *a, const void *b)
{
	const struct exit_row *x = a, *y = b;

	if (x->serial != y->serial)
		return x->serial < y->serial ? -1 : 1;
	if ((x->isa == KVM_ISA_USER) != (y->isa == KVM_ISA_USER))
		return x->isa == KVM_ISA_USER ? 1 : -1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->code < y->code ? -1 : x->code > y->code;
}

/* The (vm, reason) table as rows sorted by VM, then count. */
static struct exit_row *exit_rows(struct kvm *k, size_t *nr)
{
	struct exit_row *rows = malloc((k->exits.nr ?: 1) * sizeof(*rows));
	size_t pos = 0, n = 0;
	uint64_t key;
	void *val;

	if (!rows)
		return NULL;
	while (qz_u64map__next(&k->exits, &pos, &key, &val))
		rows[n++] = (struct exit_row){ .serial = (uint32_t)(key >> 40),
					      .isa = (int)(key >> 32 & 0xff),
					      .code = (uint32_t)key,
					      .count = *(uint64_t *)val };
	qsort(rows, n, sizeof(*rows), cmp_rows);
	*nr = n;
	return rows;
}

struct vm_sums {
	uint64_t exits, user_exits, guest_ns;
};

static struct vm_sums sums_of(struct kvm_vm *vm, const struct exit_row *rows, size_t nr)
{
	struct kvm_vm_stats *st = vm->priv;
	struct vm_sums s = { 0 };

	for (size_t i = 0; i < nr; i++) {
		if (rows[i].isa == KVM_ISA_USER)
			s.user_exits += rows[i].count;
		else
			s.exits += rows[i].count;
	}
	for (int i = 0; st && i < st->nr_threads; i++)
		s.guest_ns += qz_kvm_clock__delta(&st->threads[i]);
	return s;
}

static void json_vm(struct qz_json *j, struct kvm_vm *vm, const struct exit_row *rows,
		    size_t nr, uint64_t now)
{
	struct kvm_vm_stats *st = vm->priv;
	struct vm_sums s = sums_of(vm, rows, nr);
	char name[KVM_REASON_NAME_LEN];

	qz_json__begin_object(j);
	vm_identity(j, vm);
	qz_json__key_i64(j, "fd", vm->nr_fds ? vm->fds[0] : -1);
	qz_json__key_bool(j, "alive", vm->alive);
	qz_json__key_u64(j, "vcpus", vm->vcpus);
	qz_json__key_u64(j, "age_ns", (vm->alive ? now : vm->ended) - vm->created);
	qz_json__key_u64(j, "exits", s.exits);
	qz_json__key(j, "exit_reasons");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		if (rows[i].isa == KVM_ISA_USER)
			continue;
		qz_json__begin_object(j);
		qz_json__key_str(j, "isa", qz_kvm_isa__name(rows[i].isa));
		qz_json__key_str(j, "reason",
				 qz_kvm_exit__name(rows[i].isa, rows[i].code, name, sizeof(name)));
		qz_json__key_u64(j, "code", rows[i].code);
		qz_json__key_u64(j, "count", rows[i].count);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key_u64(j, "user_exits", s.user_exits);
	qz_json__key(j, "user_exit_reasons");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr; i++) {
		if (rows[i].isa != KVM_ISA_USER)
			continue;
		qz_json__begin_object(j);
		qz_json__key_str(j, "reason",
				 qz_kvm_exit__name(KVM_ISA_USER, rows[i].code, name, sizeof(name)));
		qz_json__key_u64(j, "count", rows[i].count);
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
	qz_json__key_u64(j, "halt_poll_success", st ? st->halt_poll_ok : 0);
	qz_json__key_u64(j, "halt_poll_fail", st ? st->halt_poll_fail : 0);
	qz_json__key_u64(j, "irqs_injected", st ? st->irqs : 0);
	qz_json__key_u64(j, "guest_ns", s.guest_ns);
	qz_json__key_u64(j, "vcpu_threads", st ? (uint64_t)st->nr_threads : 0);
	qz_json__end_object(j);
}

static void text_vm(FILE *f, struct kvm_vm *vm, const struct exit_row *rows, size_t nr,
		    uint64_t now, bool stats)
{
	struct kvm_vm_stats *st = vm->priv;
	struct vm_sums s = sums_of(vm, rows, nr);

	fprintf(f, "%-20.20s %-16.16s %8d %5u %-7s %10.1f", vm->ident.name,
		vm->ident.vmm[0] ? vm->ident.vmm : "-", vm->pid, vm->vcpus,
		vm->alive ? "alive" : "ended", ((vm->alive ? now : vm->ended) - vm->created) / 1e9);
	if (stats)
		fprintf(f, " %10.2f %10" PRIu64 " %10" PRIu64 " %8" PRIu64 " %7" PRIu64 "/%" PRIu64,
			s.guest_ns / 1e6, s.exits, s.user_exits, st ? st->irqs : 0,
			st ? st->halt_poll_ok : 0, st ? st->halt_poll_fail : 0);
	fputc('\n', f);
}

static void text_reasons(FILE *f, struct kvm_vm *vm, const struct exit_row *rows, size_t nr)
{
	char name[KVM_REASON_NAME_LEN];

	for (size_t i = 0; i < nr; i++)
		fprintf(f, "%-20.20s %8d %-5s %-28s %10" PRIu64 "\n", vm->ident.name,
			vm->pid, qz_kvm_isa__name(rows[i].isa),
			qz_kvm_exit__name(rows[i].isa, rows[i].code, name, sizeof(name)),
			rows[i].count);
}

/* Rows [*first, *end) of VM serial, rows being sorted by serial. */
static void rows_of(const struct exit_row *rows, size_t nr, uint32_t serial,
		    size_t *first, size_t *end)
{
	size_t lo = 0, hi = nr;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (rows[mid].serial < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	*first = lo;
	while (lo < nr && rows[lo].serial == serial)
		lo++;
	*end = lo;
}

static void reset_stats(struct kvm_vm *vm)
{
	struct kvm_vm_stats *st = vm->priv;

	if (st)
		st->halt_poll_ok = st->halt_poll_fail = st->irqs = 0;
}

void qz_kvm_report__vms(struct kvm *k, struct qz_output *out, uint64_t now)
{
	const struct kvm_life_stats *ls = qz_kvm_life__stats(k->life);
	size_t nr = 0, pos = 0, a, b;
	struct exit_row *rows = exit_rows(k, &nr);
	struct kvm_vm *vm;
	FILE *f = qz_output__file(out);

	if (!rows)
		return;
	if (qz_output__json(out)) {
		struct qz_json *j = qz_output__begin(out, "vms", now);

		qz_json__key_u64(j, "interval_ns", now - k->interval_start);
		qz_json__key_bool(j, "stats", k->opts->stats);
		qz_json__key_u64(j, "alive", qz_kvm_life__alive(k->life));
		qz_json__key_u64(j, "created", ls->created);
		qz_json__key_u64(j, "destroyed", ls->destroyed);
		qz_json__key_u64(j, "present", ls->present);
		qz_json__key_u64(j, "unverified", ls->unverified);
		qz_json__key_u64(j, "unattributed", k->unattributed);
		qz_json__key(j, "vms");
		qz_json__begin_array(j);
		while (qz_kvm_life__next(k->life, &pos, &vm)) {
			rows_of(rows, nr, vm->serial & 0xffffff, &a, &b);
			json_vm(j, vm, rows + a, b - a, now);
			reset_stats(vm);
		}
		qz_json__end_array(j);
		qz_output__end(out);
	} else if (f) {
		fprintf(f, "%zu VMs alive; %" PRIu64 " created, %" PRIu64 " destroyed, %" PRIu64
			" present (interval %.3f s)\n", qz_kvm_life__alive(k->life), ls->created,
			ls->destroyed, ls->present, (now - k->interval_start) / 1e9);
		if (ls->unverified || k->unattributed)
			fprintf(f, "%" PRIu64 " creates unverified, %" PRIu64
				" KVM events of no VM known\n", ls->unverified, k->unattributed);
		if (qz_kvm_life__next(k->life, &pos, &vm)) {
			fprintf(f, "%-20s %-16s %8s %5s %-7s %10s", "NAME", "VMM", "PID", "VCPUS",
				"STATE", "AGE_S");
			if (k->opts->stats)
				fprintf(f, " %10s %10s %10s %8s %s", "GUEST_MS", "EXITS",
					"USER_EXITS", "IRQS", "POLL_OK/FAIL");
			fputc('\n', f);
			pos = 0;
			while (qz_kvm_life__next(k->life, &pos, &vm)) {
				rows_of(rows, nr, vm->serial & 0xffffff, &a, &b);
				text_vm(f, vm, rows + a, b - a, now, k->opts->stats);
			}
		}
		if (nr) {
			fprintf(f, "%-20s %8s %-5s %-28s %10s\n", "NAME", "PID", "ISA", "REASON",
				"COUNT");
			pos = 0;
			while (qz_kvm_life__next(k->life, &pos, &vm)) {
				rows_of(rows, nr, vm->serial & 0xffffff, &a, &b);
				text_reasons(f, vm, rows + a, b - a);
				reset_stats(vm);
			}
		} else {
			pos = 0;
			while (qz_kvm_life__next(k->life, &pos, &vm))
				reset_stats(vm);
		}
	}
	free(rows);
}
