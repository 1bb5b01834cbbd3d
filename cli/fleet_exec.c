// SPDX-License-Identifier: MIT
/*
 * `quazar agent|ingest|fleet`: exec quazar-fleet, git-style, with the same
 * argv. execv, not a child: the pid stays the one users and tests signal
 * (HUP reloads, USR1/USR2, TERM). Looked for beside this executable first
 * (the build tree, and installs that put both in one folder), then where
 * meson installs it (QZ_FLEET_LIBEXEC, set in meson.build).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "commands.h"

#define FLEET_NAME "quazar-fleet"

/* The folder of /proc/self/exe + "/quazar-fleet"; "" if unreadable. */
static void beside_self(char *path, size_t size)
{
	size_t room = size - sizeof(FLEET_NAME);	/* for the name and its NUL */
	ssize_t n = readlink("/proc/self/exe", path, room);
	char *slash = n > 0 && (size_t)n < room ? memrchr(path, '/', (size_t)n) : NULL;

	if (slash)
		strcpy(slash + 1, FLEET_NAME);
	else
		path[0] = '\0';
}

/*
 * argv[0] is the command's name: main passed its own argv + 1, so argv - 1
 * is the argv quazar got, its [0] included: `ps` shows the same command line.
 */
int cmd_fleet_exec(int argc, char **argv)
{
	char beside[PATH_MAX];
	const char *const tried[] = { beside, QZ_FLEET_LIBEXEC };

	(void)argc;
	beside_self(beside, sizeof(beside));
	for (size_t i = 0; i < sizeof(tried) / sizeof(tried[0]); i++) {
		if (!tried[i][0])
			continue;
		execv(tried[i], argv - 1);
		/* Only a missing file moves on: one that is there but fails is told. */
		if (errno != ENOENT) {
			fprintf(stderr, "quazar: cannot run %s: %s\n", tried[i], strerror(errno));
			return 126;	/* the shell's: found but not runnable */
		}
	}
	fprintf(stderr, "quazar: '%s' lives in " FLEET_NAME ", found at neither %s nor %s: "
		"reinstall quazar (make install)\n",
		argv[0], beside[0] ? beside : "(no /proc/self/exe)", QZ_FLEET_LIBEXEC);
	return 127;
}
