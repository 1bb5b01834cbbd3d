// SPDX-License-Identifier: MIT
/*
 * USDT notes and their arguments (sdt.h). Every offset read from the file
 * is checked against its size before use.
 */
#include <ctype.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "sdt.h"

#define NOTE_TYPE 3

struct elf_view {
	const unsigned char *d;
	size_t size;
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh;
	size_t shnum;
	const char *shstr;
	size_t shstr_size;
};

static bool in_file(const struct elf_view *v, uint64_t off, uint64_t len)
{
	return off <= v->size && len <= v->size - off;
}

static const Elf64_Shdr *section(const struct elf_view *v, const char *name, uint32_t type)
{
	for (size_t i = 0; i < v->shnum; i++) {
		const Elf64_Shdr *s = &v->sh[i];

		if (s->sh_type != type || s->sh_name >= v->shstr_size)
			continue;
		if (!strncmp(v->shstr + s->sh_name, name, v->shstr_size - s->sh_name))
			return s;
	}
	return NULL;
}

static int view(struct elf_view *v, const unsigned char *d, size_t size)
{
	const Elf64_Shdr *str;
	size_t strndx;

	memset(v, 0, sizeof(*v));
	v->d = d;
	v->size = size;
	if (size < sizeof(Elf64_Ehdr) || memcmp(d, ELFMAG, SELFMAG))
		return -ENOEXEC;
	v->eh = (const Elf64_Ehdr *)d;
	if (d[EI_CLASS] != ELFCLASS64 || d[EI_DATA] != ELFDATA2LSB)
		return -ENOTSUP;
	if (v->eh->e_shentsize != sizeof(Elf64_Shdr) || !v->eh->e_shoff)
		return -ENOEXEC;
	v->sh = (const Elf64_Shdr *)(d + v->eh->e_shoff);
	if (!in_file(v, v->eh->e_shoff, sizeof(Elf64_Shdr)))
		return -ENOEXEC;
	v->shnum = v->eh->e_shnum ? v->eh->e_shnum : v->sh[0].sh_size;
	strndx = v->eh->e_shstrndx == SHN_XINDEX ? v->sh[0].sh_link : v->eh->e_shstrndx;
	if (v->eh->e_shoff % 8 || v->shnum > size / sizeof(Elf64_Shdr) ||
	    !in_file(v, v->eh->e_shoff, v->shnum * sizeof(Elf64_Shdr)) || strndx >= v->shnum)
		return -ENOEXEC;
	str = &v->sh[strndx];
	if (!in_file(v, str->sh_offset, str->sh_size))
		return -ENOEXEC;
	v->shstr = (const char *)d + str->sh_offset;
	v->shstr_size = str->sh_size;
	return 0;
}

/* A virtual address's offset in the file, through the PT_LOAD holding it. */
static int vaddr_offset(const struct elf_view *v, uint64_t vaddr, uint64_t *off)
{
	const Elf64_Ehdr *eh = v->eh;

	if (eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    !in_file(v, eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr)) || eh->e_phoff % 8)
		return -ENOEXEC;
	for (int i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)(v->d + eh->e_phoff) + i;

		if (ph->p_type == PT_LOAD && vaddr >= ph->p_vaddr &&
		    vaddr - ph->p_vaddr < ph->p_filesz) {
			*off = vaddr - ph->p_vaddr + ph->p_offset;
			return 0;
		}
	}
	return -ENOENT;
}

/* A NUL-terminated string at p within [p, end), or NULL. */
static const char *take_str(const char **p, const char *end)
{
	const char *s = *p, *nul = memchr(s, 0, (size_t)(end - s));

	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

static int add_probe(struct sdt_file *f, const struct elf_view *v, const char *desc,
		     size_t dlen, const Elf64_Shdr *base, const Elf64_Shdr *probes)
{
	const char *p = desc + 24, *end = desc + dlen, *prov, *name, *args;
	uint64_t pc, note_base, sem;
	struct sdt_probe *grown, *pr;

	if (dlen < 24)
		return 0;
	memcpy(&pc, desc, 8);
	memcpy(&note_base, desc + 8, 8);
	memcpy(&sem, desc + 16, 8);
	prov = take_str(&p, end);
	name = prov ? take_str(&p, end) : NULL;
	args = name ? take_str(&p, end) : NULL;
	if (!args)
		return 0;
	/* A prelinked file moved .stapsdt.base: move the probe with it. */
	if (base && note_base)
		pc += base->sh_addr - note_base;
	grown = realloc(f->probes, (size_t)(f->nr + 1) * sizeof(*grown));
	if (!grown)
		return -ENOMEM;
	f->probes = grown;
	pr = &f->probes[f->nr];
	memset(pr, 0, sizeof(*pr));
	pr->pc = pc;
	if (vaddr_offset(v, pc, &pr->offset))
		return 0;	/* outside the file's code: not a probe we can place */
	if (sem) {
		if (probes && note_base && base)
			sem += base->sh_addr - note_base;
		pr->semaphore = sem;
		if (vaddr_offset(v, sem, &pr->sem_offset))
			pr->semaphore = pr->sem_offset = 0;
	}
	pr->provider = strdup(prov);
	pr->name = strdup(name);
	pr->args = strdup(args);
	if (!pr->provider || !pr->name || !pr->args) {
		free(pr->provider);
		free(pr->name);
		free(pr->args);
		return -ENOMEM;
	}
	f->nr++;
	return 0;
}

static int read_notes(struct sdt_file *f, const struct elf_view *v)
{
	const Elf64_Shdr *notes = section(v, ".note.stapsdt", SHT_NOTE);
	const Elf64_Shdr *base = section(v, ".stapsdt.base", SHT_PROGBITS);
	const Elf64_Shdr *probes = section(v, ".probes", SHT_PROGBITS);
	uint64_t off, end;

	if (!notes)
		return 0;
	if (!in_file(v, notes->sh_offset, notes->sh_size))
		return -ENOEXEC;
	off = notes->sh_offset;
	end = notes->sh_offset + notes->sh_size;
	while (end - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;
		int err;

		memcpy(&nh, v->d + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + (((uint64_t)nh.n_namesz + 3) & ~3ull);
		next = desc_off + (((uint64_t)nh.n_descsz + 3) & ~3ull);
		if (next > end || desc_off > end)
			break;
		if (nh.n_type == NOTE_TYPE && nh.n_namesz == 8 &&
		    !memcmp(v->d + name_off, "stapsdt", 8)) {
			err = add_probe(f, v, (const char *)v->d + desc_off, nh.n_descsz, base, probes);
			if (err)
				return err;
		}
		off = next;
	}
	return 0;
}

void qz_sdt__close(struct sdt_file *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nr; i++) {
		free(f->probes[i].provider);
		free(f->probes[i].name);
		free(f->probes[i].args);
	}
	free(f->probes);
	if (f->data)
		munmap((void *)f->data, f->size);
	free(f->path);
	free(f);
}

struct sdt_file *qz_sdt__open(const char *path, char *err, size_t len)
{
	struct sdt_file *f = calloc(1, sizeof(*f));
	struct elf_view v;
	struct stat st;
	int fd = -1, ret;

	if (!f)
		goto nomem;
	f->path = realpath(path, NULL);
	if (!f->path) {
		ret = -errno;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	fd = open(f->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode) || !st.st_size) {
		ret = -ENOEXEC;
		snprintf(err, len, "%s: not an ELF file", path);
		goto fail;
	}
	f->size = (size_t)st.st_size;
	f->data = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (f->data == MAP_FAILED) {
		f->data = NULL;
		ret = -errno;
		snprintf(err, len, "%s: %s", path, strerror(errno));
		goto fail;
	}
	ret = view(&v, f->data, f->size);
	if (ret) {
		snprintf(err, len, "%s: %s", path, ret == -ENOTSUP ?
			 "only 64-bit little-endian ELF files are read" : "not an ELF file");
		goto fail;
	}
	f->x86_64 = v.eh->e_machine == EM_X86_64;
	ret = read_notes(f, &v);
	if (ret) {
		snprintf(err, len, "%s: %s", path, ret == -ENOMEM ? "out of memory" :
			 "a broken .note.stapsdt section");
		goto fail;
	}
	close(fd);
	return f;
nomem:
	ret = -ENOMEM;
	snprintf(err, len, "out of memory");
fail:
	if (fd >= 0)
		close(fd);
	qz_sdt__close(f);
	errno = -ret;
	return NULL;
}

/* ---- arguments --------------------------------------------------------- */

/* The kernel's pt_regs name of an x86-64 register of any width, or NULL. */
static const char *kernel_reg(const char *r, char rn[4])
{
	static const char *const map[][5] = {
		{ "ax", "rax", "eax", "ax", "al" }, { "bx", "rbx", "ebx", "bx", "bl" },
		{ "cx", "rcx", "ecx", "cx", "cl" }, { "dx", "rdx", "edx", "dx", "dl" },
		{ "si", "rsi", "esi", "si", "sil" }, { "di", "rdi", "edi", "di", "dil" },
		{ "bp", "rbp", "ebp", "bp", "bpl" }, { "sp", "rsp", "esp", "sp", "spl" },
		{ "ip", "rip", "eip", "ip", NULL },
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		for (int w = 1; w < 5; w++)
			if (map[i][w] && !strcmp(r, map[i][w]))
				return map[i][0];
	/* r8..r15 with d/w/b suffixes */
	if (r[0] == 'r' && isdigit((unsigned char)r[1])) {
		char *end;
		long n = strtol(r + 1, &end, 10);

		if (n >= 8 && n <= 15 && (!*end || ((*end == 'd' || *end == 'w' || *end == 'b') &&
						    !end[1]))) {
			snprintf(rn, 4, "r%ld", n);
			return rn;
		}
	}
	return NULL;
}

/* A symbol's address (symtab, else dynsym). */
static int symbol_vaddr(const struct sdt_file *f, const char *name, uint64_t *vaddr)
{
	struct elf_view v;

	if (view(&v, f->data, f->size))
		return -ENOEXEC;
	for (int pass = 0; pass < 2; pass++) {
		const Elf64_Shdr *symtab = section(&v, pass ? ".dynsym" : ".symtab",
						   pass ? SHT_DYNSYM : SHT_SYMTAB);
		const Elf64_Shdr *strtab;

		if (!symtab || symtab->sh_link >= v.shnum || symtab->sh_entsize != sizeof(Elf64_Sym) ||
		    !in_file(&v, symtab->sh_offset, symtab->sh_size) || symtab->sh_offset % 8)
			continue;
		strtab = &v.sh[symtab->sh_link];
		if (!in_file(&v, strtab->sh_offset, strtab->sh_size))
			continue;
		for (uint64_t i = 0; i < symtab->sh_size / sizeof(Elf64_Sym); i++) {
			const Elf64_Sym *s = (const Elf64_Sym *)(v.d + symtab->sh_offset) + i;
			const char *sn = (const char *)v.d + strtab->sh_offset + s->st_name;

			if (s->st_name >= strtab->sh_size || s->st_shndx == SHN_UNDEF ||
			    strncmp(sn, name, strtab->sh_size - s->st_name))
				continue;
			*vaddr = s->st_value;
			return 0;
		}
	}
	return -ENOENT;
}

int qz_sdt__fetcharg(const struct sdt_file *f, const struct sdt_probe *p, const char *arg,
		     char *out, size_t len, const char **why)
{
	const char *at = strchr(arg, '@'), *op = at ? at + 1 : arg, *type = "u64";
	static const char *const types[] = { "s64", "", "", "", "s32", "", "s16", "s8", "",
					     "u8", "u16", "", "u32", "", "", "", "u64" };
	char sym[128], reg[16], rn[4];
	long long off = 0;
	int n = 0;

	if (!f->x86_64) {
		*why = "arguments are decoded for x86-64 only";
		return -ENOTSUP;
	}
	if (at) {
		long size = strtol(arg, NULL, 10);

		if (size < -8 || size > 8 || !*types[size + 8]) {
			*why = "a size that is not 1, 2, 4 or 8 bytes";
			return -ENOTSUP;
		}
		type = types[size + 8];
	}
	if (op[0] == '%') {				/* %reg */
		const char *r = kernel_reg(op + 1, rn);

		if (!r) {
			*why = "a register without a name in the kernel (%ah...)";
			return -ENOTSUP;
		}
		snprintf(out, len, "%%%s:%s", r, type);
		return 0;
	}
	if (op[0] == '$') {				/* $imm */
		char *end;
		long long v = strtoll(op + 1, &end, 0);

		if (end == op + 1 || *end) {
			*why = "an immediate that is not a number";
			return -ENOTSUP;
		}
		snprintf(out, len, "\\%lld:%s", v, type);
		return 0;
	}
	if (strchr(op, ',')) {
		*why = "index addressing (base,index,scale) has no uprobe form";
		return -ENOTSUP;
	}
	/* [sym][+-off](%reg) */
	sym[0] = 0;
	if (isalpha((unsigned char)op[0]) || op[0] == '_' || op[0] == '.') {
		while (n < (int)sizeof(sym) - 1 && (isalnum((unsigned char)op[n]) || op[n] == '_' ||
						    op[n] == '.' || op[n] == '$'))
			sym[n] = op[n], n++;
		sym[n] = 0;
		op += n;
	}
	if (*op == '+' || *op == '-' || isdigit((unsigned char)*op)) {
		char *end;

		off = strtoll(op, &end, 0);
		op = end;
	}
	if (sscanf(op, "(%%%15[a-z0-9])", reg) != 1 || op[strlen(op) - 1] != ')') {
		*why = "an operand quazar does not read";
		return -ENOTSUP;
	}
	if (sym[0]) {
		uint64_t vaddr;

		if (strcmp(reg, "rip")) {
			*why = "a symbol relative to a register other than %rip";
			return -ENOTSUP;
		}
		if (symbol_vaddr(f, sym, &vaddr)) {
			*why = "a symbol not in the file's symbol tables";
			return -ENOTSUP;
		}
		/*
		 * The kernel reads @+OFF at the probe's load base + OFF, the
		 * base being where the probe's own segment maps offset 0: so
		 * OFF is the address less the probe's address-to-offset shift,
		 * whatever segment (even .bss) the symbol is in.
		 */
		snprintf(out, len, "@+0x%llx:%s",
			 (unsigned long long)(vaddr + (uint64_t)off - (p->pc - p->offset)), type);
		return 0;
	}
	if (!kernel_reg(reg, rn) || !strcmp(reg, "rip")) {
		*why = "memory relative to a register the kernel does not name";
		return -ENOTSUP;
	}
	snprintf(out, len, "%+lld(%%%s):%s", off, kernel_reg(reg, rn), type);
	return 0;
}
