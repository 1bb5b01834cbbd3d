// SPDX-License-Identifier: MIT
/*
 * The map cache's start: what runs already is read from /proc/PID/maps
 * (executable mappings only), once the events are on so that no mmap
 * falls in between; after that, records keep it.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "stack_internal.h"

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One /proc/PID/maps line: executable mappings only. */
static void seed_line(struct qz_symbolizer *sym, struct qz__proc *p, char *line)
{
	unsigned long long start, end, pgoff, ino;
	unsigned int maj, min;
	char perms[8], *path;
	struct qz__dso *dso = NULL;
	int n = 0;

	if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu %n", &start, &end, perms, &pgoff,
		   &maj, &min, &ino, &n) < 7 || !n || strlen(perms) < 3 || perms[2] != 'x')
		return;
	path = line + n;
	path[strcspn(path, "\n")] = 0;
	if (!strcmp(path, "[vdso]")) {
		dso = qz__dso__vdso(sym);
	} else if (path[0] == '[') {
		return;	/* [vsyscall]: the kernel's, not a file */
	} else if (path[0]) {
		struct qz__dso_key key = { .dev_major = maj, .dev_minor = min,
					   .ino = ino, .path = path };

		if (!(dso = qz__dso__get(sym, &key)))
			return;
	}
	qz__proc__mmap(sym, p, start, end - start, pgoff, dso);
	qz__dso__put(sym, dso);
}

int qz__maps__seed(struct qz_symbolizer *sym, pid_t pid, bool force)
{
	struct qz__proc *p = qz__proc__find(sym, pid);
	char path[512], line[4096 + 256];
	FILE *f;

	if (pid <= 0 || (p && p->complete && !force))
		return 0;
	snprintf(path, sizeof(path), "%s/%d/maps", sym->proc_root, (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	p = qz__proc__get(sym, pid);
	if (!p) {
		fclose(f);
		return -ENOMEM;
	}
	qz__proc__revive(sym, p);
	if (force)
		qz__proc__retire_all(sym, p);
	while (fgets(line, sizeof(line), f))
		seed_line(sym, p, line);
	fclose(f);
	p->complete = true;
	p->seeded_ns = now_ns();
	return 0;
}

int qz_symbolizer__seed(struct qz_symbolizer *sym, pid_t pid)
{
	struct dirent *d;
	DIR *dir;

	if (pid != -1)
		return qz__maps__seed(sym, pid, false);
	dir = opendir(sym->proc_root);
	if (!dir)
		return -errno;
	while ((d = readdir(dir)))
		if (isdigit((unsigned char)d->d_name[0]))
			qz__maps__seed(sym, (pid_t)atoi(d->d_name), false);
	closedir(dir);
	return 0;
}
