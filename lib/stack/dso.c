// SPDX-License-Identifier: MIT
/*
 * One ELF file's function symbols, read once through libelf and kept as a
 * sorted array with a string blob, so the file is closed right after:
 * .symtab of the separate debuginfo named by the build-id when it exists
 * (/usr/lib/debug/.build-id/ab/cdef....debug), else the file's own
 * .symtab, else its .dynsym. The file must be the one the kernel said was
 * mapped: same device and inode, or same build-id.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <gelf.h>
#include <elfutils/libdwelf.h>
#include "stack_internal.h"

#define MAX_SYMS (4u << 20)	/* a hostile file cannot make us allocate more */
#define MAX_LOADS 64

void qz__build_id_hex(const uint8_t *id, size_t len, char *hex)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < len; i++) {
		hex[2 * i] = digits[id[i] >> 4];
		hex[2 * i + 1] = digits[id[i] & 15];
	}
	hex[2 * len] = 0;
}

struct sym_build {
	struct qz__dso_sym *syms;
	uint8_t *rank;		/* per sym: which to keep of aliases */
	size_t nr, cap;
	char *strs;
	size_t strs_len, strs_cap;
};

/* Global beats weak beats local; then fewer leading '_'; then shorter. */
static uint8_t sym_rank(const GElf_Sym *s, const char *name)
{
	int bind = GELF_ST_BIND(s->st_info);
	int r = bind == STB_GLOBAL ? 0 : bind == STB_WEAK ? 1 : 2;
	size_t u = strspn(name, "_");

	return (uint8_t)(r * 64 + (u < 8 ? u : 7) * 8 + (strlen(name) < 64 ? 0 : 1));
}

static int add_sym(struct sym_build *b, const GElf_Sym *s, const char *name)
{
	size_t len = strlen(name);

	if (b->nr == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		struct qz__dso_sym *syms;
		uint8_t *rank;

		if (cap > MAX_SYMS)
			return -E2BIG;
		if (!(syms = realloc(b->syms, cap * sizeof(*syms))))
			return -ENOMEM;
		b->syms = syms;
		if (!(rank = realloc(b->rank, cap)))
			return -ENOMEM;
		b->rank = rank;
		b->cap = cap;
	}
	if (b->strs_len + len + 1 > b->strs_cap) {
		size_t cap = b->strs_cap ? b->strs_cap * 2 : 16384;
		char *strs;

		while (cap < b->strs_len + len + 1)
			cap *= 2;
		if (cap > UINT32_MAX || !(strs = realloc(b->strs, cap)))
			return -ENOMEM;
		b->strs = strs;
		b->strs_cap = cap;
	}
	memcpy(b->strs + b->strs_len, name, len + 1);
	b->syms[b->nr] = (struct qz__dso_sym){
		.start = s->st_value,
		.end = s->st_value + s->st_size,
		.name = (uint32_t)b->strs_len,
	};
	b->rank[b->nr++] = sym_rank(s, name);
	b->strs_len += len + 1;
	return 0;
}

/* Function symbols of every section of type (SHT_SYMTAB or SHT_DYNSYM). */
static int read_syms(Elf *elf, Elf64_Word type, struct sym_build *b)
{
	Elf_Scn *scn = NULL;
	int err = 0;

	while (!err && (scn = elf_nextscn(elf, scn))) {
		GElf_Shdr shdr;
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != type || !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = data->d_size / gelf_fsize(elf, ELF_T_SYM, 1, EV_CURRENT);
		for (size_t i = 0; i < n && !err; i++) {
			GElf_Sym s;
			const char *name;
			int t;

			if (!gelf_getsym(data, (int)i, &s))
				break;
			t = GELF_ST_TYPE(s.st_info);
			if ((t != STT_FUNC && t != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
			    !s.st_value)
				continue;
			name = elf_strptr(elf, shdr.sh_link, s.st_name);
			if (name && *name)
				err = add_sym(b, &s, name);
		}
	}
	return err;
}

static int cmp_start(const void *a, const void *b)
{
	const struct qz__dso_sym *x = a, *y = b;

	return (x->start > y->start) - (x->start < y->start);
}

/*
 * Sort by start, keep the best name of each address, and give sizeless
 * symbols (hand-written assembly) the room up to the next one.
 */
static void finish_syms(struct qz__dso *dso, struct sym_build *b)
{
	size_t n = 0;

	/* While sorting, end holds the size and, in its low byte, the rank. */
	for (size_t i = 0; i < b->nr; i++)
		b->syms[i].end = (b->syms[i].end - b->syms[i].start) << 8 | b->rank[i];
	qsort(b->syms, b->nr, sizeof(*b->syms), cmp_start);
	for (size_t i = 0; i < b->nr; i++) {
		struct qz__dso_sym *s = &b->syms[i];

		if (n && b->syms[n - 1].start == s->start) {
			if ((s->end & 0xff) < (b->syms[n - 1].end & 0xff))
				b->syms[n - 1] = *s;
			continue;
		}
		b->syms[n++] = *s;
	}
	for (size_t i = 0; i < n; i++) {
		struct qz__dso_sym *s = &b->syms[i];
		uint64_t size = s->end >> 8;

		if (!size && i + 1 < n)
			size = b->syms[i + 1].start - s->start;
		s->end = s->start + (size ?: 1);
	}
	free(b->rank);
	dso->syms = b->syms;
	dso->nr_syms = n;
	dso->strs = b->strs;
	dso->has_syms = n > 0;
}

static int read_loads(struct qz__dso *dso, Elf *elf)
{
	size_t nr;

	if (elf_getphdrnum(elf, &nr))
		return -ENOEXEC;
	free(dso->loads);
	dso->nr_loads = 0;
	dso->loads = calloc(MAX_LOADS, sizeof(*dso->loads));
	if (!dso->loads)
		return -ENOMEM;
	for (size_t i = 0; i < nr && dso->nr_loads < MAX_LOADS; i++) {
		GElf_Phdr ph;

		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD)
			dso->loads[dso->nr_loads++] = (struct qz__dso_load){
				ph.p_offset, ph.p_vaddr, ph.p_filesz };
	}
	return 0;
}

/* The build-id in the file must be the one the kernel reported, if any. */
static int check_build_id(struct qz__dso *dso, Elf *elf)
{
	const void *id;
	ssize_t len = dwelf_elf_gnu_build_id(elf, &id);

	if (len <= 0)
		return dso->build_id_size ? -ESTALE : 0;
	if (len > QZ_BUILD_ID_MAX)
		len = QZ_BUILD_ID_MAX;
	if (dso->build_id_size)
		return dso->build_id_size == len && !memcmp(dso->build_id, id, (size_t)len) ?
			       0 : -ESTALE;
	memcpy(dso->build_id, id, (size_t)len);
	dso->build_id_size = (uint8_t)len;
	qz__build_id_hex(dso->build_id, (size_t)len, dso->build_id_hex);
	return 0;
}

static Elf *elf_open(int fd)
{
	Elf *elf;

	elf_version(EV_CURRENT);
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (elf && elf_kind(elf) != ELF_K_ELF) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

/* Symbols of the separate debuginfo file, when one is installed. */
static int load_debuginfo(struct qz__dso *dso, const char *debug_dir, bool need_loads)
{
	struct sym_build b = { 0 };
	char path[4096];
	Elf *elf;
	int fd, err;

	if (!dso->build_id_size || !debug_dir)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/.build-id/%.2s/%s.debug", debug_dir,
		 dso->build_id_hex, dso->build_id_hex + 2);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_open(fd);
	err = elf ? check_build_id(dso, elf) : -ENOEXEC;
	if (!err && need_loads)
		err = read_loads(dso, elf);
	if (!err)
		err = read_syms(elf, SHT_SYMTAB, &b);
	if (!err && b.nr) {
		finish_syms(dso, &b);
		dso->from_debuginfo = true;
	} else {
		free(b.syms);
		free(b.rank);
		free(b.strs);
		err = err ?: -ENOENT;
	}
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int qz__dso__load_fd(struct qz__dso *dso, int fd, bool check_inode,
		     const char *debug_dir)
{
	struct sym_build b = { 0 };
	struct stat st;
	Elf *elf = NULL;
	int err = 0;

	dso->loaded = true;
	if (fd < 0)	/* no file: the debuginfo alone, found by build-id */
		return load_debuginfo(dso, debug_dir, true);
	if (check_inode && (fstat(fd, &st) || major(st.st_dev) != dso->dev_major ||
			    minor(st.st_dev) != dso->dev_minor || st.st_ino != dso->ino)) {
		err = -ESTALE;
		goto out;
	}
	elf = elf_open(fd);
	if (!elf) {
		err = -ENOEXEC;
		goto out;
	}
	err = check_build_id(dso, elf);
	if (!err)
		err = read_loads(dso, elf);
	if (err)
		goto out;
	if (!load_debuginfo(dso, debug_dir, false))
		goto out;
	err = read_syms(elf, SHT_SYMTAB, &b);
	if (!err && !b.nr)
		err = read_syms(elf, SHT_DYNSYM, &b);
	if (!err && b.nr) {
		finish_syms(dso, &b);
		b.syms = NULL;
		b.rank = NULL;
		b.strs = NULL;
	}
	err = err ?: dso->has_syms ? 0 : -ENODATA;
out:
	free(b.syms);
	free(b.rank);
	free(b.strs);
	if (elf)
		elf_end(elf);
	close(fd);
	return err;
}

int qz__dso__load_mem(struct qz__dso *dso, const void *image, size_t size)
{
	struct sym_build b = { 0 };
	char *copy = malloc(size);
	Elf *elf;
	int err;

	dso->loaded = true;
	if (!copy)
		return -ENOMEM;
	memcpy(copy, image, size);
	elf_version(EV_CURRENT);
	elf = elf_memory(copy, size);
	err = elf && elf_kind(elf) == ELF_K_ELF ? check_build_id(dso, elf) : -ENOEXEC;
	if (!err)
		err = read_loads(dso, elf);
	if (!err)
		err = read_syms(elf, SHT_DYNSYM, &b);
	if (!err && b.nr) {
		finish_syms(dso, &b);
	} else {
		free(b.syms);
		free(b.rank);
		free(b.strs);
		err = err ?: -ENODATA;
	}
	if (elf)
		elf_end(elf);
	free(copy);
	return err;
}

int qz__dso__vaddr(const struct qz__dso *dso, uint64_t offset, uint64_t *vaddr)
{
	for (size_t i = 0; i < dso->nr_loads; i++) {
		const struct qz__dso_load *l = &dso->loads[i];

		if (offset >= l->offset && offset - l->offset < l->size) {
			*vaddr = offset - l->offset + l->vaddr;
			return 0;
		}
	}
	return -ENOENT;
}

const struct qz__dso_sym *qz__dso__find(const struct qz__dso *dso, uint64_t vaddr)
{
	size_t lo = 0, hi = dso->nr_syms;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (dso->syms[mid].start <= vaddr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || vaddr >= dso->syms[lo - 1].end)
		return NULL;
	return &dso->syms[lo - 1];
}

void qz__dso__unload(struct qz__dso *dso)
{
	free(dso->syms);
	free(dso->strs);
	free(dso->loads);
	dso->syms = NULL;
	dso->strs = NULL;
	dso->loads = NULL;
	dso->nr_syms = dso->nr_loads = 0;
	dso->has_syms = dso->loaded = dso->from_debuginfo = false;
}
