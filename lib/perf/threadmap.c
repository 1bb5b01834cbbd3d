// SPDX-License-Identifier: MIT
/* Thread maps: tids, pids expanded to their threads, or "any". */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "perf_internal.h"

struct tid_vec {
	pid_t *v;
	int nr, cap;
};

static int vec_push(struct tid_vec *vec, pid_t tid)
{
	for (int i = 0; i < vec->nr; i++)
		if (vec->v[i] == tid)
			return 0;
	if (vec->nr == vec->cap) {
		int cap = vec->cap ? vec->cap * 2 : 16;
		pid_t *v = realloc(vec->v, (size_t)cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		vec->v = v;
		vec->cap = cap;
	}
	vec->v[vec->nr++] = tid;
	return 0;
}

static int vec_push_pid(struct tid_vec *vec, pid_t pid)
{
	char path[64];
	struct dirent *d;
	DIR *dir;
	int err = 0, n = 0;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? -ESRCH : -errno;
	while (!err && (d = readdir(dir))) {
		if (!isdigit((unsigned char)d->d_name[0]))
			continue;
		err = vec_push(vec, (pid_t)atoi(d->d_name));
		n++;
	}
	closedir(dir);
	if (!err && !n)
		err = -ESRCH;
	return err;
}

static struct qz_thread_map *map_from_vec(struct tid_vec *vec)
{
	struct qz_thread_map *m;

	m = malloc(sizeof(*m) + (size_t)vec->nr * sizeof(pid_t));
	if (m) {
		m->refcnt = 1;
		m->nr = vec->nr;
		memcpy(m->tids, vec->v, (size_t)vec->nr * sizeof(pid_t));
	}
	free(vec->v);
	return m;
}

QZ_API struct qz_thread_map *qz_thread_map__new_any(void)
{
	pid_t any = -1;

	return qz_thread_map__new_tids(&any, 1);
}

QZ_API struct qz_thread_map *qz_thread_map__new_tids(const pid_t *tids, int nr)
{
	struct tid_vec vec = {0};

	if (nr <= 0) {
		errno = EINVAL;
		return NULL;
	}
	for (int i = 0; i < nr; i++) {
		if (vec_push(&vec, tids[i])) {
			free(vec.v);
			errno = ENOMEM;
			return NULL;
		}
	}
	return map_from_vec(&vec);
}

QZ_API struct qz_thread_map *qz_thread_map__new_pids(const pid_t *pids, int nr)
{
	struct tid_vec vec = {0};
	int err = nr > 0 ? 0 : -EINVAL;

	for (int i = 0; !err && i < nr; i++)
		err = vec_push_pid(&vec, pids[i]);
	if (err) {
		free(vec.v);
		errno = -err;
		return NULL;
	}
	return map_from_vec(&vec);
}

static int push_list(struct tid_vec *vec, const char *list, bool expand,
		     char *errbuf, size_t errlen)
{
	int *ids, nr, err;

	/* Pids are no CPUs but the list syntax is the same. */
	err = qz_parse_int_list(list, INT_MAX, &ids, &nr, errbuf, errlen);
	if (err)
		return err;
	for (int i = 0; !err && i < nr; i++) {
		err = expand ? vec_push_pid(vec, ids[i])
			     : vec_push(vec, ids[i]);
		if (err == -ESRCH && errbuf && errlen)
			snprintf(errbuf, errlen, "no process with pid %d",
				 ids[i]);
	}
	free(ids);
	return err;
}

QZ_API struct qz_thread_map *qz_thread_map__new_str(const char *pids,
						    const char *tids,
						    char *errbuf, size_t errlen)
{
	struct tid_vec vec = {0};
	int err = 0;

	if (!pids && !tids)
		err = -EINVAL;
	if (!err && pids)
		err = push_list(&vec, pids, true, errbuf, errlen);
	if (!err && tids)
		err = push_list(&vec, tids, false, errbuf, errlen);
	if (err) {
		free(vec.v);
		errno = -err;
		return NULL;
	}
	return map_from_vec(&vec);
}

QZ_API struct qz_thread_map *qz_thread_map__get(struct qz_thread_map *map)
{
	if (map)
		__atomic_add_fetch(&map->refcnt, 1, __ATOMIC_RELAXED);
	return map;
}

QZ_API void qz_thread_map__put(struct qz_thread_map *map)
{
	if (map && __atomic_sub_fetch(&map->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free(map);
}

QZ_API int qz_thread_map__nr(const struct qz_thread_map *map)
{
	return map ? map->nr : 0;
}

QZ_API pid_t qz_thread_map__tid(const struct qz_thread_map *map, int idx)
{
	if (!map || idx < 0 || idx >= map->nr)
		return -1;
	return map->tids[idx];
}

struct qz_thread_map *qz__thread_map_any_n(int n)
{
	struct qz_thread_map *m;

	if (n <= 0) {
		errno = EINVAL;
		return NULL;
	}
	m = malloc(sizeof(*m) + (size_t)n * sizeof(pid_t));
	if (!m)
		return NULL;
	m->refcnt = 1;
	m->nr = n;
	for (int i = 0; i < n; i++)
		m->tids[i] = -1;
	return m;
}
