/* SPDX-License-Identifier: MIT */
/*
 * USDT probes of an ELF file (its .note.stapsdt notes, as sys/sdt.h writes
 * them), and their arguments turned into uprobe fetch arguments. The file
 * is read by hand, bounds-checked, with <elf.h> only: ELF64 little-endian.
 */
#ifndef QUAZAR_PROFILERS_SDT_H
#define QUAZAR_PROFILERS_SDT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sdt_probe {
	char *provider, *name, *args;	/* args as the note has them: "-4@%edi 8@..." */
	uint64_t pc, offset;		/* address, and its offset in the file */
	uint64_t semaphore, sem_offset;	/* 0: none */
};

struct sdt_file {
	char *path;			/* absolute */
	bool x86_64;			/* arguments are decoded for x86-64 only */
	struct sdt_probe *probes;
	int nr;
	/* the mapped file, for symbol look-ups */
	const unsigned char *data;
	size_t size;
};

/* Read path's probes. NULL + errno; *err (len bytes) says why. */
struct sdt_file *qz_sdt__open(const char *path, char *err, size_t len);
void qz_sdt__close(struct sdt_file *f);

/*
 * One argument ("-4@-8(%rbp)") as a uprobe fetch argument
 * ("+-8(%bp):s32"). 0, or -ENOTSUP with *why set (index addressing, a
 * high byte register, a symbol not found).
 */
int qz_sdt__fetcharg(const struct sdt_file *f, const struct sdt_probe *p, const char *arg,
		     char *out, size_t len, const char **why);

#endif
