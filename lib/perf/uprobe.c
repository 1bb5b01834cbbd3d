// SPDX-License-Identifier: MIT
/*
 * uprobes through the uprobe PMU: config1 points at the path, config2 is the
 * file offset, and the retprobe bit comes from the PMU's format directory.
 * Symbols are resolved to file offsets with libelf.
 */
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "perf_internal.h"

static int find_symbol(Elf *elf, Elf64_Word sh_type, const char *symbol,
		       uint64_t *vaddr)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn))) {
		Elf_Data *data;
		size_t n;

		if (!gelf_getshdr(scn, &shdr) || shdr.sh_type != sh_type ||
		    !shdr.sh_entsize)
			continue;
		data = elf_getdata(scn, NULL);
		if (!data)
			continue;
		n = shdr.sh_size / shdr.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			const char *name;

			if (!gelf_getsym(data, (int)i, &sym) ||
			    sym.st_shndx == SHN_UNDEF || !sym.st_value)
				continue;
			name = elf_strptr(elf, shdr.sh_link, sym.st_name);
			if (name && !strcmp(name, symbol)) {
				*vaddr = sym.st_value;
				return 0;
			}
		}
	}
	return -ENOENT;
}

static int vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *offset)
{
	size_t nr;

	if (elf_getphdrnum(elf, &nr))
		return -EINVAL;
	for (size_t i = 0; i < nr; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (vaddr >= ph.p_vaddr && vaddr < ph.p_vaddr + ph.p_filesz) {
			*offset = vaddr - ph.p_vaddr + ph.p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

QZ_API int qz_elf__symbol_offset(const char *path, const char *symbol,
				 uint64_t *offset)
{
	uint64_t vaddr;
	Elf *elf;
	int fd, err;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		err = -ENOEXEC;
		goto out;
	}
	err = find_symbol(elf, SHT_SYMTAB, symbol, &vaddr);
	if (err)
		err = find_symbol(elf, SHT_DYNSYM, symbol, &vaddr);
	if (!err)
		err = vaddr_to_offset(elf, vaddr, offset);
out:
	elf_end(elf);
	close(fd);
	return err;
}

QZ_API int qz_attr__uprobe(struct perf_event_attr *attr, const char *path,
			   const char *symbol, uint64_t offset, bool retprobe,
			   const struct qz_attr_opts *opts)
{
	uint64_t base = 0;
	struct qz_pmu *pmu;
	int err = 0;

	if (!path || !*path) {
		qz_set_err(opts, "uprobe needs a binary path");
		return -EINVAL;
	}
	if (symbol && *symbol) {
		err = qz_elf__symbol_offset(path, symbol, &base);
		if (err) {
			qz_set_err(opts, "uprobe: %s in %s: %s", symbol, path,
				   err == -ENOENT ? "no such symbol"
						  : qz_strerror(err));
			return err == -ENOENT ? -QZ_ERR_UNKNOWN_EVENT : err;
		}
	}
	pmu = qz_pmu__new("uprobe", opts);
	if (!pmu) {
		err = -errno;
		qz_set_err(opts, "uprobes are not supported on this machine");
		return err == -QZ_ERR_UNKNOWN_EVENT ? -QZ_ERR_NOT_SUPPORTED
						    : err;
	}
	attr->size = sizeof(*attr);
	attr->type = qz_pmu__type(pmu);
	attr->config = 0;
	if (retprobe)
		err = qz_pmu__apply_terms(pmu, attr, "retprobe=1", opts);
	qz_pmu__free(pmu);
	if (err)
		return err;
	attr->config1 = (uint64_t)(uintptr_t)path;
	attr->config2 = base + offset;
	return 0;
}
