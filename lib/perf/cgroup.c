// SPDX-License-Identifier: MIT
/*
 * cgroup scoping: events take a cgroup directory fd as pid with
 * PERF_FLAG_PID_CGROUP. Relative paths are looked up under the cgroup
 * mount that carries perf_event: the v2 one, else the v1 perf_event one.
 */
#include <errno.h>
#include <fcntl.h>
#include <mntent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "perf_internal.h"

static int perf_cgroup_mount(char *buf, size_t len)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	struct mntent *m;
	bool found = false;

	if (!f)
		return -errno;
	while ((m = getmntent(f))) {
		if (!strcmp(m->mnt_type, "cgroup2")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			found = true;
			break; /* v2 wins: it always has perf_event */
		}
		if (!found && !strcmp(m->mnt_type, "cgroup") &&
		    hasmntopt(m, "perf_event")) {
			snprintf(buf, len, "%s", m->mnt_dir);
			found = true;
		}
	}
	endmntent(f);
	return found ? 0 : -ENOENT;
}

QZ_API int qz_cgroup__open(const char *path)
{
	char full[4096], mnt[2048];
	int fd, err;

	if (!path || !*path)
		return -EINVAL;
	if (path[0] == '/') {
		snprintf(full, sizeof(full), "%s", path);
	} else {
		err = perf_cgroup_mount(mnt, sizeof(mnt));
		if (err)
			return err;
		snprintf(full, sizeof(full), "%s/%s", mnt, path);
	}
	fd = open(full, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
