// SPDX-License-Identifier: MIT
/* /proc/PID/maps, read once per process, and ELF build-id notes. */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "blobtab.h"
#include "proc_maps.h"

/* Bounded: processes past this many keep no mappings (their frames still resolve). */
#define MAX_PIDS 32768

struct map {
	uint64_t start, end, offset;
	size_t path;		/* in paths: the arena moves as it grows */
};

struct maps {
	struct map *v;
	size_t nr;
	int64_t exe;		/* in paths, or -1 */
};

struct qz_proc_maps {
	struct qz_blobtab *pids;	/* pid -> index in procs */
	struct maps *procs;
	struct qz_blobtab *paths;	/* interned file names */
};

struct qz_proc_maps *qz_proc_maps__new(void)
{
	struct qz_proc_maps *m = calloc(1, sizeof(*m));

	if (m && (!(m->pids = qz_blobtab__new()) || !(m->paths = qz_blobtab__new()) ||
		  !(m->procs = calloc(MAX_PIDS, sizeof(*m->procs))))) {
		qz_proc_maps__free(m);
		return NULL;
	}
	return m;
}

void qz_proc_maps__free(struct qz_proc_maps *m)
{
	if (!m)
		return;
	for (size_t i = 0; m->procs && i < qz_blobtab__nr(m->pids); i++)
		free(m->procs[i].v);
	free(m->procs);
	qz_blobtab__free(m->pids);
	qz_blobtab__free(m->paths);
	free(m);
}

/* One "start-end perms offset dev inode path" line, if executable. */
static int parse(struct qz_proc_maps *m, const char *line, struct map *out)
{
	char perms[8];
	int pos = 0;
	int64_t p;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %7s %" SCNx64 " %*s %*s %n",
		   &out->start, &out->end, perms, &out->offset, &pos) < 4 ||
	    !pos || !strchr(perms, 'x'))
		return -1;
	line += pos;
	p = qz_blobtab__intern(m->paths, line, strcspn(line, "\n"));
	if (p < 0)
		return -1;
	out->path = (size_t)p;
	return 0;
}

void qz_proc_maps__prepare(struct qz_proc_maps *m, pid_t pid)
{
	struct maps *mp;
	char path[64], *line = NULL;
	size_t cap = 0;
	int64_t i;
	FILE *f;

	if (qz_blobtab__find(m->pids, &pid, sizeof(pid)) >= 0 ||
	    qz_blobtab__nr(m->pids) >= MAX_PIDS)
		return;
	i = qz_blobtab__intern(m->pids, &pid, sizeof(pid));
	if (i < 0)
		return;
	mp = &m->procs[i];
	mp->exe = -1;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	{
		char exe[4096];
		ssize_t n = readlink(path, exe, sizeof(exe));

		if (n > 0 && n < (ssize_t)sizeof(exe))
			mp->exe = qz_blobtab__intern(m->paths, exe, (size_t)n);
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	while (getline(&line, &cap, f) > 0) {
		struct map map, *v;

		if (parse(m, line, &map))
			continue;
		v = realloc(mp->v, (mp->nr + 1) * sizeof(*v));
		if (!v)
			break;
		mp->v = v;
		mp->v[mp->nr++] = map;
	}
	free(line);
	fclose(f);
}

const char *qz_proc_maps__exe(const struct qz_proc_maps *m, pid_t pid)
{
	int64_t i = qz_blobtab__find(m->pids, &pid, sizeof(pid));

	return i >= 0 && m->procs[i].exe >= 0 ?
		       qz_blobtab__key(m->paths, (size_t)m->procs[i].exe, NULL) : NULL;
}

int qz_proc_maps__find(const struct qz_proc_maps *m, pid_t pid, uint64_t addr,
		       struct qz_proc_map *out)
{
	int64_t i = qz_blobtab__find(m->pids, &pid, sizeof(pid));

	for (size_t k = 0; i >= 0 && k < m->procs[i].nr; k++) {
		const struct map *map = &m->procs[i].v[k];

		if (addr >= map->start && addr < map->end) {
			out->start = map->start;
			out->end = map->end;
			out->offset = map->offset;
			out->path = qz_blobtab__key(m->paths, map->path, NULL);
			return 0;
		}
	}
	return -ENOENT;
}

static void to_hex(const unsigned char *b, size_t n, char *hex, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; i < n && j + 3 <= len; i++)
		j += (size_t)snprintf(hex + j, len - j, "%02x", b[i]);
	if (len)
		hex[j < len ? j : len - 1] = 0;
}

/* The NT_GNU_BUILD_ID note in d, as hex. */
static int note_build_id(Elf_Data *d, char *hex, size_t len)
{
	GElf_Nhdr nh;
	size_t off = 0, name, desc;

	while (d && (off = gelf_getnote(d, off, &nh, &name, &desc)) > 0) {
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp((char *)d->d_buf + name, "GNU", 4) && nh.n_descsz) {
			to_hex((unsigned char *)d->d_buf + desc, nh.n_descsz, hex, len);
			return 0;
		}
	}
	return -ENOENT;
}

static int elf_build_id(int fd, char *hex, size_t len)
{
	Elf *e;
	size_t n = 0;
	int ret = -ENOENT;

	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -ENOEXEC;
	if (!elf_getphdrnum(e, &n)) {
		for (size_t i = 0; i < n && ret; i++) {
			GElf_Phdr ph;

			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_NOTE)
				ret = note_build_id(elf_getdata_rawchunk(e, (int64_t)ph.p_offset,
									 ph.p_filesz, ELF_T_NHDR),
						    hex, len);
		}
	}
	/* Separate debug files and objects keep it in a section only. */
	for (Elf_Scn *s = NULL; ret && (s = elf_nextscn(e, s));) {
		GElf_Shdr sh;

		if (gelf_getshdr(s, &sh) && sh.sh_type == SHT_NOTE)
			ret = note_build_id(elf_getdata(s, NULL), hex, len);
	}
	elf_end(e);
	return ret;
}

int qz_build_id__file(pid_t pid, const char *path, char *hex, size_t len)
{
	char root[4200];
	int fd = -1, ret;

	if (path[0] != '/')
		return -ENOENT;	/* [vdso], [anon], ... */
	if (pid > 0) {
		snprintf(root, sizeof(root), "/proc/%d/root%s", (int)pid, path);
		fd = open(root, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = elf_build_id(fd, hex, len);
	close(fd);
	return ret;
}

int qz_build_id__kernel(char *hex, size_t len)
{
	unsigned char buf[4096];
	int fd = open("/sys/kernel/notes", O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t off = 0;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	/* Raw notes: namesz, descsz, type, then name and desc, 4-aligned. */
	while (n > 0 && off + 12 <= (size_t)n) {
		uint32_t nsz, dsz, type;
		size_t name = off + 12, desc;

		memcpy(&nsz, buf + off, 4);
		memcpy(&dsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		desc = name + ((nsz + 3) & ~3u);
		if (desc + dsz > (size_t)n)
			break;
		if (type == NT_GNU_BUILD_ID && nsz == 4 && !memcmp(buf + name, "GNU", 4)) {
			to_hex(buf + desc, dsz, hex, len);
			return 0;
		}
		off = desc + ((dsz + 3) & ~3u);
	}
	return -ENOENT;
}
