// SPDX-License-Identifier: MIT
/* CPU maps: "0-3,6" lists and the online CPUs. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "perf_internal.h"

#define MAX_CPU 65536

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static int list_err(char *errbuf, size_t errlen, const char *list,
		    const char *at, const char *why)
{
	if (errbuf && errlen)
		snprintf(errbuf, errlen, "bad list \"%s\" at column %d: %s",
			 list, (int)(at - list), why);
	return -EINVAL;
}

/*
 * Parse "A[-B][,...]" into a sorted array without duplicates. Shared by CPU
 * lists and by sysfs files such as devices/system/cpu/online.
 */
int qz_parse_int_list(const char *list, long max, int **out, int *nr,
		      char *errbuf, size_t errlen)
{
	const char *p = list;
	int *v = NULL, n = 0, cap = 0, err;

	while (isspace((unsigned char)*p))
		p++;
	if (!*p) {
		err = list_err(errbuf, errlen, list, p, "empty list");
		goto fail;
	}
	while (*p) {
		long a, b;
		char *end;

		while (isspace((unsigned char)*p))
			p++;
		if (!isdigit((unsigned char)*p)) {
			err = list_err(errbuf, errlen, list, p,
				       "expected a number");
			goto fail;
		}
		errno = 0;
		a = strtol(p, &end, 10);
		b = a;
		p = end;
		if (*p == '-') {
			p++;
			if (!isdigit((unsigned char)*p)) {
				err = list_err(errbuf, errlen, list, p,
					       "expected a number after '-'");
				goto fail;
			}
			b = strtol(p, &end, 10);
			p = end;
		}
		if (a > b || b > max || errno == ERANGE) {
			err = list_err(errbuf, errlen, list, p,
				       a > b ? "range runs backwards"
					     : "number too large");
			goto fail;
		}
		for (long i = a; i <= b; i++) {
			if (n == cap) {
				int *nv;

				cap = cap ? cap * 2 : 16;
				nv = realloc(v, (size_t)cap * sizeof(*v));
				if (!nv) {
					err = -ENOMEM;
					goto fail;
				}
				v = nv;
			}
			v[n++] = (int)i;
		}
		while (isspace((unsigned char)*p))
			p++;
		if (*p == ',') {
			p++;
			if (!*p) {
				err = list_err(errbuf, errlen, list, p,
					       "trailing ','");
				goto fail;
			}
		} else if (*p) {
			err = list_err(errbuf, errlen, list, p,
				       "expected ',' or '-'");
			goto fail;
		}
	}
	qsort(v, (size_t)n, sizeof(*v), cmp_int);
	{
		int w = 0;

		for (int i = 0; i < n; i++)
			if (!w || v[w - 1] != v[i])
				v[w++] = v[i];
		n = w;
	}
	*out = v;
	*nr = n;
	return 0;
fail:
	free(v);
	return err;
}

static struct qz_cpu_map *cpu_map_alloc(int nr)
{
	struct qz_cpu_map *m = malloc(sizeof(*m) + (size_t)nr * sizeof(int));

	if (!m)
		return NULL;
	m->refcnt = 1;
	m->nr = nr;
	return m;
}

QZ_API struct qz_cpu_map *qz_cpu_map__new(const char *list, char *errbuf,
					  size_t errlen)
{
	struct qz_cpu_map *m;
	int *cpus, nr, err;

	if (!list)
		return qz_cpu_map__new_online();
	err = qz_parse_int_list(list, MAX_CPU - 1, &cpus, &nr, errbuf, errlen);
	if (err) {
		errno = -err;
		return NULL;
	}
	m = cpu_map_alloc(nr);
	if (m)
		memcpy(m->cpus, cpus, (size_t)nr * sizeof(int));
	free(cpus);
	return m;
}

QZ_API struct qz_cpu_map *qz_cpu_map__new_online(void)
{
	char buf[4096];
	int err = qz_read_file("/sys/devices/system/cpu/online", buf,
			       sizeof(buf));

	if (err < 0) {
		errno = -err;
		return NULL;
	}
	return qz_cpu_map__new(buf, NULL, 0);
}

QZ_API struct qz_cpu_map *qz_cpu_map__new_any(void)
{
	struct qz_cpu_map *m = cpu_map_alloc(1);

	if (m)
		m->cpus[0] = -1;
	return m;
}

QZ_API struct qz_cpu_map *qz_cpu_map__get(struct qz_cpu_map *map)
{
	if (map)
		__atomic_add_fetch(&map->refcnt, 1, __ATOMIC_RELAXED);
	return map;
}

QZ_API void qz_cpu_map__put(struct qz_cpu_map *map)
{
	if (map && __atomic_sub_fetch(&map->refcnt, 1, __ATOMIC_ACQ_REL) == 0)
		free(map);
}

QZ_API int qz_cpu_map__nr(const struct qz_cpu_map *map)
{
	return map ? map->nr : 0;
}

QZ_API int qz_cpu_map__cpu(const struct qz_cpu_map *map, int idx)
{
	if (!map || idx < 0 || idx >= map->nr)
		return -1;
	return map->cpus[idx];
}

QZ_API int qz_cpu_map__idx(const struct qz_cpu_map *map, int cpu)
{
	for (int i = 0; map && i < map->nr; i++)
		if (map->cpus[i] == cpu)
			return i;
	return -ENOENT;
}
