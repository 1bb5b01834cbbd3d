// SPDX-License-Identifier: MIT
/*
 * Mapped files by identity, shared by every process that maps them, their
 * symbols loaded on the first address that needs them. The file is looked
 * for where the process sees it: /proc/PID/root/PATH (another mount
 * namespace), /proc/PID/map_files/START-END (a deleted file, still
 * mapped), then PATH, then the debuginfo named by its build-id alone; each
 * checked to be the file the kernel reported. At most max_dsos symbol
 * tables are kept; the least recently used go first, and are counted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/auxv.h>
#include "stack_internal.h"

#define DELETED " (deleted)"

static uint64_t key_hash(const struct qz__dso_key *k)
{
	uint64_t h = 1469598103934665603ull;

	if (k->build_id_size) {
		for (size_t i = 0; i < k->build_id_size; i++)
			h = (h ^ k->build_id[i]) * 1099511628211ull;
		return h;
	}
	h = (h ^ k->ino) * 1099511628211ull;
	h = (h ^ ((uint64_t)k->dev_major << 32 | k->dev_minor)) * 1099511628211ull;
	for (const char *p = k->path; *p; p++)
		h = (h ^ (uint8_t)*p) * 1099511628211ull;
	return h;
}

static size_t path_len(const char *path)
{
	size_t n = strlen(path), d = strlen(DELETED);

	return n > d && !strcmp(path + n - d, DELETED) ? n - d : n;
}

static bool key_match(const struct qz__dso *d, const struct qz__dso_key *k)
{
	size_t n;

	if (k->build_id_size)
		return d->by_build_id && d->build_id_size == k->build_id_size &&
		       !memcmp(d->build_id, k->build_id, k->build_id_size);
	n = path_len(k->path);
	return !d->by_build_id && d->ino == k->ino && d->dev_major == k->dev_major &&
	       d->dev_minor == k->dev_minor && !strncmp(d->path, k->path, n) && !d->path[n];
}

static void grow_hash(struct qz_symbolizer *sym)
{
	size_t n = sym->nr_dso_buckets ? sym->nr_dso_buckets * 2 : 1024;
	struct qz__dso **b = calloc(n, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i < sym->nr_dso_buckets; i++) {
		struct qz__dso *d = sym->dsos[i], *next;

		for (; d; d = next) {
			next = d->hnext;
			d->hnext = b[d->hash & (n - 1)];
			b[d->hash & (n - 1)] = d;
		}
	}
	free(sym->dsos);
	sym->dsos = b;
	sym->nr_dso_buckets = n;
}

struct qz__dso *qz__dso__get(struct qz_symbolizer *sym, const struct qz__dso_key *key)
{
	uint64_t h = key_hash(key);
	struct qz__dso *d;
	const char *slash;
	size_t n;

	if (!sym->dsos || sym->nr_dsos >= sym->nr_dso_buckets * 2)
		grow_hash(sym);
	if (!sym->dsos)
		return NULL;
	for (d = sym->dsos[h & (sym->nr_dso_buckets - 1)]; d; d = d->hnext)
		if (d->hash == h && key_match(d, key)) {
			d->refs++;
			return d;
		}
	if (!(d = calloc(1, sizeof(*d))))
		return NULL;
	n = path_len(key->path);
	if (!(d->path = strndup(key->path, n))) {
		free(d);
		return NULL;
	}
	d->deleted = n != strlen(key->path);
	slash = strrchr(d->path, '/');
	d->name = slash ? slash + 1 : d->path;
	d->hash = h;
	d->dev_major = key->dev_major;
	d->dev_minor = key->dev_minor;
	d->ino = key->ino;
	if (key->build_id_size) {
		d->by_build_id = true;
		d->build_id_size = key->build_id_size;
		memcpy(d->build_id, key->build_id, key->build_id_size);
		qz__build_id_hex(d->build_id, d->build_id_size, d->build_id_hex);
	}
	d->refs = 1;
	d->hnext = sym->dsos[h & (sym->nr_dso_buckets - 1)];
	sym->dsos[h & (sym->nr_dso_buckets - 1)] = d;
	sym->nr_dsos++;
	return d;
}

static void lru_del(struct qz_symbolizer *sym, struct qz__dso *d)
{
	if (d->lru_prev)
		d->lru_prev->lru_next = d->lru_next;
	else if (sym->lru_head == d)
		sym->lru_head = d->lru_next;
	else
		return;	/* not on the list */
	if (d->lru_next)
		d->lru_next->lru_prev = d->lru_prev;
	else
		sym->lru_tail = d->lru_prev;
	d->lru_prev = d->lru_next = NULL;
	sym->nr_loaded--;
}

static void lru_add(struct qz_symbolizer *sym, struct qz__dso *d)
{
	d->lru_prev = sym->lru_tail;
	d->lru_next = NULL;
	if (sym->lru_tail)
		sym->lru_tail->lru_next = d;
	else
		sym->lru_head = d;
	sym->lru_tail = d;
	sym->nr_loaded++;
}

static void dso_free(struct qz__dso *d)
{
	qz__dso__unload(d);
	free(d->path);
	free(d);
}

void qz__dso__put(struct qz_symbolizer *sym, struct qz__dso *d)
{
	struct qz__dso **pp;

	if (!d || --d->refs > 0)
		return;
	lru_del(sym, d);
	if (d == sym->vdso) {
		sym->vdso = NULL;
	} else {
		pp = &sym->dsos[d->hash & (sym->nr_dso_buckets - 1)];
		while (*pp != d)
			pp = &(*pp)->hnext;
		*pp = d->hnext;
		sym->nr_dsos--;
	}
	dso_free(d);
}

struct qz__dso *qz__dso__vdso(struct qz_symbolizer *sym)
{
	if (!sym->vdso) {
		struct qz__dso *d = calloc(1, sizeof(*d));

		if (!d || !(d->path = strdup("[vdso]"))) {
			free(d);
			return NULL;
		}
		d->name = d->path;
		d->refs = 1;	/* the symbolizer's own, dropped at free */
		sym->vdso = d;
	}
	sym->vdso->refs++;
	return sym->vdso;
}

/* Our own vDSO: every process of this kernel maps the same image. */
static int load_vdso(struct qz__dso *d)
{
	unsigned long base = getauxval(AT_SYSINFO_EHDR);
	unsigned long long start, end;
	char line[512];
	int err = -ENOENT;
	FILE *f;

	d->loaded = true;
	if (!base || !(f = fopen("/proc/self/maps", "re")))
		return -ENOENT;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vdso]") && sscanf(line, "%llx-%llx", &start, &end) == 2 &&
		    start == base) {
			err = qz__dso__load_mem(d, (const void *)base, (size_t)(end - start));
			break;
		}
	fclose(f);
	return err;
}

static void make_room(struct qz_symbolizer *sym, const struct qz__dso *keep)
{
	while (sym->nr_loaded > sym->max_dsos && sym->lru_head && sym->lru_head != keep) {
		struct qz__dso *d = sym->lru_head;

		lru_del(sym, d);
		qz__dso__unload(d);
		sym->stats.dsos_evicted++;
	}
}

/* Try one place for the file: 0 when its symbols are in. */
static int try_path(struct qz_symbolizer *sym, struct qz__dso *d, const char *path,
		    bool from_map_files)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	/* A map_files link is the mapped file itself, whatever fs it is on. */
	return qz__dso__load_fd(d, fd, !d->by_build_id && !from_map_files,
				sym->debug_dir);
}

void qz__dso__ensure(struct qz_symbolizer *sym, struct qz__dso *d,
		     const struct qz__proc *p, const struct qz__map *map)
{
	bool alive = p && p->state == QZ__PROC_LIVE;
	char path[4096 + 64];
	int err = -ENOENT;

	if (d->has_syms) {
		lru_del(sym, d);
		lru_add(sym, d);
		return;
	}
	/* A file not found is looked for again in the next epoch only. */
	if (d->loaded && d->tried_epoch == sym->epoch)
		return;
	if (d == sym->vdso) {
		err = load_vdso(d);
	} else {
		/* Past -ENODATA (the file, without symbols) no place is better. */
		if (alive) {
			snprintf(path, sizeof(path), "%s/%d/root%s", sym->proc_root, (int)p->pid,
				 d->path);
			err = try_path(sym, d, path, false);
		}
		if (err && err != -ENODATA && alive) {
			snprintf(path, sizeof(path), "%s/%d/map_files/%llx-%llx", sym->proc_root,
				 (int)p->pid, (unsigned long long)map->start,
				 (unsigned long long)map->end);
			err = try_path(sym, d, path, true);
		}
		if (err && err != -ENODATA && d->path[0] == '/')
			err = try_path(sym, d, d->path, false);
		if (err && err != -ENODATA && d->build_id_size)
			err = qz__dso__load_fd(d, -1, false, sym->debug_dir);
	}
	d->loaded = true;
	d->load_err = err;
	d->tried_epoch = sym->epoch;
	if (d->has_syms) {
		lru_add(sym, d);
		make_room(sym, d);
	} else if (err) {
		qz_log(&sym->log, QZ_LOG_DEBUG, "no symbols for %s%s: %s", d->path,
		       d->deleted ? " (deleted)" : "", qz_strerror(err));
	}
}

void qz__dsos__free_all(struct qz_symbolizer *sym)
{
	for (size_t i = 0; i < sym->nr_dso_buckets; i++) {
		struct qz__dso *d = sym->dsos[i], *next;

		for (; d; d = next) {
			next = d->hnext;
			dso_free(d);
		}
	}
	free(sym->dsos);
	sym->dsos = NULL;
	sym->nr_dso_buckets = sym->nr_dsos = 0;
	if (sym->vdso)
		dso_free(sym->vdso);
	sym->vdso = NULL;
	sym->lru_head = sym->lru_tail = NULL;
	sym->nr_loaded = 0;
}
