// SPDX-License-Identifier: MIT
/*
 * Arbitrary bytes as a folded file (read as one side, then as the base of
 * a diff), and each line of them as a stack added straight to a tree; both
 * trees drawn as SVG. Nothing may crash, leak or read out of bounds, and
 * the SVG may hold no control byte (XML forbids them) and must be whole.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "flame_svg.h"
#include "flame_tree.h"

static void draw(struct qz_flame_tree *t, int diff)
{
	struct qz_flame_svg_opts o = { .diff = diff, .negate = diff > 1, .title = "t<&>" };
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	int err;

	if (!out || qz_flame_tree__sort(t))
		abort();
	err = qz_flame_svg__write(t, &o, out);
	fclose(out);
	if (!err) {
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)buf[i] < 0x20 && buf[i] != '\n' && buf[i] != '\t')
				abort();
		if (len < 7 || strcmp(buf + len - 7, "</svg>\n"))
			abort();
	} else if (err != -ENODATA) {
		abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qz_flame_tree *t = qz_flame_tree__new();
	char path[64], err[512];
	int fd = memfd_create("folded", 0);
	const char *p = (const char *)data, *end = p + size;

	if (!t || fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!qz_flame_tree__read(t, path, QZ_FLAME_NEW, err, sizeof(err)) &&
	    !qz_flame_tree__read(t, path, QZ_FLAME_BASE, err, sizeof(err)))
		draw(t, 1 + (size & 1));
	else if (!strstr(err, path))
		abort();	/* an error names the file */
	close(fd);
	qz_flame_tree__free(t);

	/* Each line a stack, whatever its bytes: names the parser would refuse. */
	t = qz_flame_tree__new();
	if (!t)
		abort();
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (qz_flame_tree__add(t, p, len, len % 7 + 1, (int)(len & 1)))
			abort();
		p += len + 1;
	}
	draw(t, 0);
	draw(t, 1);
	qz_flame_tree__free(t);
	return 0;
}
