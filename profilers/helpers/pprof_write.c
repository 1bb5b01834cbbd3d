// SPDX-License-Identifier: MIT
/*
 * The pprof profile's tables, built once at write time: each location
 * symbolized, functions and mappings interned, build-ids read from the
 * mapped files' ELF notes; then protobuf-c packs it and zlib gzips it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gzip.h"
#include "pprof.h"
#include "pprof_internal.h"
#include "pprof.pb-c.h"

/* A mapping's key; pid is where its build-id is looked up. */
struct map_key {
	uint64_t start, limit, offset;
	int64_t file;
};

struct tables {
	struct qz_blobtab *funcs;	/* {name, file} string indices */
	struct qz_blobtab *maps;	/* struct map_key */
	int32_t *map_pid;		/* per mapping */
	size_t map_cap;
	QzPprof__Location *locs;
	QzPprof__Line *lines, **line_ptrs;
	QzPprof__Function *funcs_v;
	QzPprof__Mapping *maps_v;
	QzPprof__Sample *samples;
	QzPprof__Label *labels, **label_ptrs;
	uint64_t *loc_ids;
	int64_t *values;
	char **strings;
	uint64_t kmin, kmax;		/* kernel addresses seen */
	int64_t kernel_map;		/* its number, or -1 */
};

static int64_t intern_map(struct tables *t, const struct map_key *k, pid_t pid)
{
	int64_t i = qz_blobtab__intern(t->maps, k, sizeof(*k));

	if (i >= 0 && (size_t)i >= t->map_cap) {
		size_t cap = t->map_cap ? t->map_cap * 2 : 64;
		int32_t *p = realloc(t->map_pid, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->map_pid = p;
		t->map_cap = cap;
	}
	if (i >= 0)
		t->map_pid[i] = pid;
	return i;
}

static int64_t kernel_map(struct qz_pprof *pp, struct tables *t)
{
	if (t->kernel_map < 0) {
		struct map_key k = { t->kmin, t->kmax + 1, 0,
				     qz_pprof__string(pp, "[kernel.kallsyms]") };

		t->kernel_map = k.file < 0 ? k.file : intern_map(t, &k, -1);
	}
	return t->kernel_map;
}

/* Location i's symbol, function and mapping. */
static int locate(struct qz_pprof *pp, struct tables *t, size_t i)
{
	const struct pprof_loc *l = qz_blobtab__key(pp->locs, i, NULL);
	struct qz_symbolizer *sym = qz_stack_printer__symbolizer(pp->printer);
	QzPprof__Location *loc = &t->locs[i];
	struct qz_proc_map map;
	struct qz_symbol s;
	int64_t file = 0, m = -1;
	int found;

	qz_pprof__location__init(loc);
	loc->id = i + 1;
	loc->address = l->addr;
	if (l->pid < 0) {
		found = !qz_symbolizer__kernel(sym, l->addr, &s);
		file = qz_pprof__string(pp, "[kernel.kallsyms]");
		m = kernel_map(pp, t);
	} else {
		found = !qz_symbolizer__user(sym, l->pid, l->addr, &s);
		if (!qz_proc_maps__find(pp->maps, l->pid, l->addr, &map)) {
			struct map_key k = { map.start, map.end, map.offset,
					     qz_pprof__string(pp, map.path) };

			file = k.file;
			m = k.file < 0 ? k.file : intern_map(t, &k, l->pid);
		} else if (found && s.module) {
			file = qz_pprof__string(pp, s.module);
		}
	}
	if (file < 0 || m < -1)
		return -ENOMEM;
	loc->mapping_id = m >= 0 ? (uint64_t)m + 1 : 0;
	if (found && s.name) {
		int64_t k[2] = { qz_pprof__string(pp, s.name), file };
		int64_t f = k[0] < 0 ? -ENOMEM : qz_blobtab__intern(t->funcs, k, sizeof(k));

		if (f < 0)
			return -ENOMEM;
		qz_pprof__line__init(&t->lines[i]);
		t->lines[i].function_id = (uint64_t)f + 1;
		t->line_ptrs[i] = &t->lines[i];
		loc->line = &t->line_ptrs[i];
		loc->n_line = 1;
	}
	return 0;
}

/* Locate the busiest process's executable's locations before the rest. */
static void main_first(struct qz_pprof *pp, struct tables *t)
{
	size_t nr = qz_blobtab__nr(pp->stacks);
	uint64_t best = 0;
	const char *exe;
	int32_t pid = -1;

	for (size_t i = 0; i < nr; i++) {
		const struct pprof_stack *k = qz_blobtab__key(pp->stacks, i, NULL);

		if (pp->counts[i] > best && k->pid > 0) {
			best = pp->counts[i];
			pid = k->pid;
		}
	}
	exe = pid > 0 ? qz_proc_maps__exe(pp->maps, pid) : NULL;
	for (size_t i = 0; exe && i < qz_blobtab__nr(pp->locs); i++) {
		const struct pprof_loc *l = qz_blobtab__key(pp->locs, i, NULL);
		struct qz_proc_map map;

		if (l->pid == pid && !qz_proc_maps__find(pp->maps, pid, l->addr, &map) &&
		    !strcmp(map.path, exe) && locate(pp, t, i))
			t->locs[i].id = 0;	/* failed: tried again below */
	}
}

/* Everything but the samples, into p; strings last, when all are in. */
static int build(struct qz_pprof *pp, struct tables *t, QzPprof__Profile *p)
{
	size_t nr_locs = qz_blobtab__nr(pp->locs);

	t->locs = calloc(nr_locs, sizeof(*t->locs));
	t->lines = calloc(nr_locs, sizeof(*t->lines));
	t->line_ptrs = calloc(nr_locs, sizeof(*t->line_ptrs));
	p->location = calloc(nr_locs, sizeof(*p->location));
	if (!t->locs || !t->lines || !t->line_ptrs || !p->location)
		return -ENOMEM;
	t->kernel_map = -1;
	t->kmin = UINT64_MAX;
	for (size_t i = 0; i < nr_locs; i++) {
		const struct pprof_loc *l = qz_blobtab__key(pp->locs, i, NULL);

		if (l->pid < 0) {
			t->kmin = l->addr < t->kmin ? l->addr : t->kmin;
			t->kmax = l->addr > t->kmax ? l->addr : t->kmax;
		}
	}
	/* pprof takes mapping[0] for the main binary: the busiest process's. */
	main_first(pp, t);
	for (size_t i = 0; i < nr_locs; i++) {
		int err = t->locs[i].id ? 0 : locate(pp, t, i);

		if (err)
			return err;
		p->location[i] = &t->locs[i];
	}
	p->n_location = nr_locs;
	return 0;
}

static int functions(struct tables *t, QzPprof__Profile *p)
{
	size_t nr = qz_blobtab__nr(t->funcs);
	QzPprof__Function *f = t->funcs_v = calloc(nr, sizeof(*f));

	p->function = calloc(nr, sizeof(*p->function));
	if (!f || !p->function)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		const int64_t *k = qz_blobtab__key(t->funcs, i, NULL);

		qz_pprof__function__init(&f[i]);
		f[i].id = i + 1;
		f[i].name = f[i].system_name = k[0];
		f[i].filename = k[1];
		p->function[i] = &f[i];
	}
	p->n_function = nr;
	return 0;
}

static int mappings(struct qz_pprof *pp, struct tables *t, QzPprof__Profile *p)
{
	size_t nr = qz_blobtab__nr(t->maps);
	QzPprof__Mapping *m = t->maps_v = calloc(nr, sizeof(*m));

	p->mapping = calloc(nr, sizeof(*p->mapping));
	if (!m || !p->mapping)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		const struct map_key *k = qz_blobtab__key(t->maps, i, NULL);
		const char *file = qz_blobtab__key(pp->strings, (size_t)k->file, NULL);
		char hex[128];
		int err = t->map_pid[i] < 0 ? qz_build_id__kernel(hex, sizeof(hex)) :
			  qz_build_id__file(t->map_pid[i], file, hex, sizeof(hex));
		int64_t bid = err ? 0 : qz_pprof__string(pp, hex);

		if (bid < 0)
			return -ENOMEM;
		qz_pprof__mapping__init(&m[i]);
		m[i].id = i + 1;
		m[i].memory_start = k->start;
		m[i].memory_limit = k->limit;
		m[i].file_offset = k->offset;
		m[i].filename = k->file;
		m[i].build_id = bid;
		/* Symbolized here: pprof must not look for the binaries. */
		m[i].has_functions = true;
		p->mapping[i] = &m[i];
	}
	p->n_mapping = nr;
	return 0;
}

/* One sample per distinct stack: [samples, samples x period], comm and pid. */
static int samples(struct qz_pprof *pp, struct tables *t, QzPprof__Profile *p)
{
	size_t nr = qz_blobtab__nr(pp->stacks), nr_ids = 0, used = 0;
	int64_t comm = qz_pprof__string(pp, "comm"), pid = qz_pprof__string(pp, "pid");

	for (size_t i = 0; i < nr; i++) {
		size_t len;

		qz_blobtab__key(pp->stacks, i, &len);
		nr_ids += (len - sizeof(struct pprof_stack)) / sizeof(uint32_t);
	}
	t->samples = calloc(nr, sizeof(*t->samples));
	t->labels = calloc(2 * nr, sizeof(*t->labels));
	t->label_ptrs = calloc(2 * nr, sizeof(*t->label_ptrs));
	t->values = calloc(2 * nr, sizeof(*t->values));
	t->loc_ids = calloc(nr_ids + 1, sizeof(*t->loc_ids));
	p->sample = calloc(nr, sizeof(*p->sample));
	if (comm < 0 || pid < 0 || !t->samples || !t->labels || !t->label_ptrs ||
	    !t->values || !t->loc_ids || !p->sample)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++) {
		size_t len;
		const struct pprof_stack *k = qz_blobtab__key(pp->stacks, i, &len);
		size_t n = (len - sizeof(*k)) / sizeof(uint32_t);
		QzPprof__Sample *s = &t->samples[i];
		QzPprof__Label *l = &t->labels[2 * i];

		qz_pprof__sample__init(s);
		for (size_t j = 0; j < n; j++)
			t->loc_ids[used + j] = (uint64_t)k->loc[j] + 1;
		s->location_id = &t->loc_ids[used];
		s->n_location_id = n;
		used += n;
		t->values[2 * i] = (int64_t)pp->counts[i];
		t->values[2 * i + 1] = (int64_t)(pp->counts[i] * pp->period_ns);
		s->value = &t->values[2 * i];
		s->n_value = 2;
		qz_pprof__label__init(&l[0]);
		l[0].key = comm;
		l[0].str = k->comm;
		qz_pprof__label__init(&l[1]);
		l[1].key = pid;
		l[1].num = k->pid;
		t->label_ptrs[2 * i] = &l[0];
		t->label_ptrs[2 * i + 1] = &l[1];
		s->label = &t->label_ptrs[2 * i];
		s->n_label = 2;
		p->sample[i] = s;
	}
	p->n_sample = nr;
	return 0;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The header fields; the string table last, once every string is in. */
static int finish(struct qz_pprof *pp, struct tables *t, QzPprof__Profile *p,
		  QzPprof__ValueType vt[3], QzPprof__ValueType *vtp[2])
{
	int64_t s[4] = {
		qz_pprof__string(pp, "samples"), qz_pprof__string(pp, "count"),
		qz_pprof__string(pp, "cpu"), qz_pprof__string(pp, "nanoseconds"),
	};
	size_t nr;

	for (int i = 0; i < 4; i++)
		if (s[i] < 0)
			return -ENOMEM;
	for (int i = 0; i < 3; i++)
		qz_pprof__value_type__init(&vt[i]);
	vt[0].type = s[0];
	vt[0].unit = s[1];
	vt[1].type = vt[2].type = s[2];
	vt[1].unit = vt[2].unit = s[3];
	vtp[0] = &vt[0];
	vtp[1] = &vt[1];
	p->sample_type = vtp;
	p->n_sample_type = 2;
	p->period_type = &vt[2];
	p->period = (int64_t)pp->period_ns;
	p->time_nanos = (int64_t)pp->start_ns;
	p->duration_nanos = (int64_t)(mono_ns() - pp->start_mono_ns);
	nr = qz_blobtab__nr(pp->strings);
	t->strings = calloc(nr, sizeof(char *));
	if (!t->strings)
		return -ENOMEM;
	for (size_t i = 0; i < nr; i++)
		t->strings[i] = (char *)qz_blobtab__key(pp->strings, i, NULL);
	p->string_table = t->strings;
	p->n_string_table = nr;
	return 0;
}

static void free_tables(struct tables *t, QzPprof__Profile *p)
{
	qz_blobtab__free(t->funcs);
	qz_blobtab__free(t->maps);
	free(t->map_pid);
	free(t->locs);
	free(t->lines);
	free(t->line_ptrs);
	free(t->funcs_v);
	free(t->maps_v);
	free(t->samples);
	free(t->labels);
	free(t->label_ptrs);
	free(t->loc_ids);
	free(t->values);
	free(t->strings);
	free(p->location);
	free(p->function);
	free(p->mapping);
	free(p->sample);
}

int qz_pprof__write(struct qz_pprof *pp, const char *path, char *err, size_t err_len)
{
	QzPprof__Profile p = QZ_PPROF__PROFILE__INIT;
	QzPprof__ValueType vt[3], *vtp[2];
	struct tables t = { 0 };
	uint8_t *buf = NULL;
	size_t len;
	int ret = -ENOMEM;

	if (!(t.funcs = qz_blobtab__new()) || !(t.maps = qz_blobtab__new()))
		goto out;
	if ((ret = build(pp, &t, &p)) || (ret = functions(&t, &p)) ||
	    (ret = mappings(pp, &t, &p)) || (ret = samples(pp, &t, &p)) ||
	    (ret = finish(pp, &t, &p, vt, vtp)))
		goto out;
	len = qz_pprof__profile__get_packed_size(&p);
	buf = malloc(len ? len : 1);
	ret = -ENOMEM;
	if (!buf)
		goto out;
	qz_pprof__profile__pack(&p, buf);
	ret = qz_gzip__write_file(path, buf, len);
out:
	if (ret)
		snprintf(err, err_len, "%s: %s", path, strerror(-ret));
	free(buf);
	free_tables(&t, &p);
	return ret;
}
