// SPDX-License-Identifier: MIT
/*
 * Kernel text symbols from /proc/kallsyms, modules' included: a line
 * "ffffffffc0a01000 t ext4_fill_super\t[ext4]" names its module. Names go
 * to one string blob, so loading is a few allocations, not 200,000.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "stack_internal.h"

struct ksym {
	uint64_t addr;
	uint32_t name;		/* offset in strs */
	uint32_t module;	/* offset in strs; 0: "[kernel]" */
};

struct qz__ksyms {
	struct ksym *syms;
	size_t nr, cap;
	char *strs;
	size_t strs_len, strs_cap;
	uint32_t last_module;	/* modules come in runs: reuse the string */
	bool unsorted;		/* the kernel's own order is by address, mostly */
};

/* Append s (and its NUL); returns its offset, or UINT32_MAX. */
static uint32_t add_str(struct qz__ksyms *k, const char *s, size_t len)
{
	uint32_t off;

	if (k->strs_len + len + 1 > k->strs_cap) {
		size_t cap = k->strs_cap ? k->strs_cap * 2 : 1 << 20;
		char *grown;

		while (cap < k->strs_len + len + 1)
			cap *= 2;
		if (cap > UINT32_MAX || !(grown = realloc(k->strs, cap)))
			return UINT32_MAX;
		k->strs = grown;
		k->strs_cap = cap;
	}
	off = (uint32_t)k->strs_len;
	memcpy(k->strs + off, s, len);
	k->strs[off + len] = 0;
	k->strs_len += len + 1;
	return off;
}

static int ksym_cmp(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	return (x->addr > y->addr) - (x->addr < y->addr);
}

/* "[ext4]" for a module name; the kernel's own is offset 0, "[kernel]". */
static uint32_t module_str(struct qz__ksyms *k, const char *mod, size_t len)
{
	char buf[80];

	if (!len)
		return 0;
	if (k->last_module && !strncmp(k->strs + k->last_module + 1, mod, len) &&
	    k->strs[k->last_module + 1 + len] == ']')
		return k->last_module;
	snprintf(buf, sizeof(buf), "[%.*s]", (int)(len < 64 ? len : 64), mod);
	k->last_module = add_str(k, buf, strlen(buf));
	return k->last_module;
}

static int add_line(struct qz__ksyms *k, char *line)
{
	unsigned long long addr;
	char type, *name, *end, *mod = NULL;
	size_t mod_len = 0;
	struct ksym *s;

	addr = strtoull(line, &end, 16);
	if (end == line || *end != ' ' || !addr)
		return 0;	/* zero addresses: no privilege, nothing resolves */
	type = end[1];
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name = end + 2;
	if (*name++ != ' ')
		return 0;
	end = name + strcspn(name, "\t\n");
	if (*end == '\t' && end[1] == '[') {
		mod = end + 2;
		mod_len = strcspn(mod, "]\n");
	}
	*end = 0;
	if (k->nr == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 65536;

		if (!(s = realloc(k->syms, cap * sizeof(*s))))
			return -ENOMEM;
		k->syms = s;
		k->cap = cap;
	}
	s = &k->syms[k->nr];
	if (k->nr && addr < s[-1].addr)
		k->unsorted = true;
	s->addr = addr;
	s->module = module_str(k, mod, mod_len);
	s->name = add_str(k, name, (size_t)(end - name));
	if (s->name == UINT32_MAX || s->module == UINT32_MAX)
		return -ENOMEM;
	k->nr++;
	return 0;
}

struct qz__ksyms *qz__ksyms__load(const char *path)
{
	struct qz__ksyms *k = calloc(1, sizeof(*k));
	char line[512];
	FILE *f;

	if (!k)
		return NULL;
	/* Offset 0 is "[kernel]", the module of the kernel's own symbols. */
	if (add_str(k, "[kernel]", 8) == UINT32_MAX)
		goto fail;
	f = fopen(path, "re");
	if (!f)
		return k;	/* nothing resolves: still an answer */
	while (fgets(line, sizeof(line), f))
		if (add_line(k, line)) {
			fclose(f);
			goto fail;
		}
	fclose(f);
	if (k->unsorted)
		qsort(k->syms, k->nr, sizeof(*k->syms), ksym_cmp);
	return k;
fail:
	qz__ksyms__free(k);
	errno = ENOMEM;
	return NULL;
}

void qz__ksyms__free(struct qz__ksyms *k)
{
	if (!k)
		return;
	free(k->syms);
	free(k->strs);
	free(k);
}

int qz__ksyms__find(const struct qz__ksyms *k, uint64_t addr, const char **name,
		    uint64_t *offset, const char **module)
{
	size_t lo = 0, hi = k->nr;

	/* The last symbol starting at or below addr. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return -ENOENT;
	*name = k->strs + k->syms[lo - 1].name;
	*offset = addr - k->syms[lo - 1].addr;
	*module = k->strs + k->syms[lo - 1].module;
	return 0;
}

size_t qz__ksyms__nr(const struct qz__ksyms *k)
{
	return k->nr;
}

/* /sys/kernel/notes: ELF notes, 4-byte aligned; the GNU build-id is type 3. */
int qz__kernel_build_id(const char *notes_path, char *hex, size_t len)
{
	uint8_t buf[4096];
	ssize_t n;
	size_t off = 0;
	int fd = open(notes_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return -errno;
	while (off + 12 <= (size_t)n) {
		uint32_t namesz, descsz, type;
		size_t name_off = off + 12, desc_off;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		if (namesz > (size_t)n || descsz > (size_t)n)
			break;
		desc_off = name_off + ((namesz + 3u) & ~3u);
		if (desc_off + descsz > (size_t)n)
			break;
		if (type == 3 && namesz == 4 && !memcmp(buf + name_off, "GNU", 4) &&
		    descsz && descsz <= QZ_BUILD_ID_MAX && len > 2 * descsz) {
			qz__build_id_hex(buf + desc_off, descsz, hex);
			return 0;
		}
		off = desc_off + ((descsz + 3u) & ~3u);
	}
	return -ENOENT;
}
