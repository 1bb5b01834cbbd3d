// SPDX-License-Identifier: MIT
/*
 * Each collector's last seq on disk (global.state_dir), so seq carries on
 * across agent restarts and a consumer sees a gap for reports lost in a
 * crash. One small file per collector, rewritten in place with one
 * pwrite per report: no lock, no rename.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "agent_internal.h"

#define SEQ_TEXT_LEN 21		/* 20 digits and a newline */

/* "seq.NAME", with bytes other than [A-Za-z0-9._-] as %XX. */
static void state_path(const char *dir, const char *name, char *path, size_t len)
{
	size_t n = (size_t)snprintf(path, len, "%s/seq.", dir);

	for (const unsigned char *p = (const unsigned char *)name; *p && n + 4 < len; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("._-", *p))
			path[n++] = (char)*p;
		else
			n += (size_t)snprintf(path + n, len - n, "%%%02X", *p);
	}
	path[n] = '\0';
}

int qz_seq_state__open(struct qz_agent *a, const char *dir, const char *name, uint64_t *seq)
{
	char path[4096], text[SEQ_TEXT_LEN + 1] = "", *end;
	ssize_t got;
	int fd;

	if (mkdir(dir, 0750) && errno != EEXIST)
		goto fail;
	state_path(dir, name, path, sizeof(path));
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0)
		goto fail;
	got = pread(fd, text, SEQ_TEXT_LEN, 0);
	if (got > 0) {
		errno = 0;
		*seq = strtoull(text, &end, 10);
		if (errno || end == text || *end != '\n') {
			qz_log(&a->log, QZ_LOG_WARN,
			       "collector '%s': %s does not hold a seq (\"%.20s\"); seq starts again at 1",
			       name, path, text);
			*seq = 0;
		}
	}
	return fd;
fail:
	qz_log(&a->log, QZ_LOG_WARN,
	       "collector '%s': cannot keep its seq in %s (%s); it starts at 1 at each start",
	       name, dir, strerror(errno));
	return -1;
}

void qz_seq_state__store(int fd, uint64_t seq)
{
	char text[SEQ_TEXT_LEN + 1];

	snprintf(text, sizeof(text), "%020llu\n", (unsigned long long)seq);
	(void)!pwrite(fd, text, SEQ_TEXT_LEN, 0);
}
