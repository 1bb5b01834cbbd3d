// SPDX-License-Identifier: MIT
/*
 * The object's maps as JSON (for machines and the agent) or text (for
 * people), keys and values decoded through the object's BTF, and its
 * output records the same way.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include "bpf_internal.h"

#define MAX_ENTRIES 65536	/* of one map per dump; more are counted, not shown */

struct entry {
	uint8_t *key, *value;	/* value: one per possible CPU for per-CPU maps */
	int64_t sort;		/* integer value (summed), for the order */
	bool has_sort;
};

struct dump {
	struct qz_bpf *b;
	struct bpf_map *map;
	const struct btf *btf;
	uint32_t key_id, value_id;
	size_t key_size, value_size, value_stride;
	int ncpus;		/* 1, or the possible CPUs of a per-CPU map */
	struct entry *e;
	size_t n, cap;
	uint64_t more;		/* entries past MAX_ENTRIES */
};

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_HASH || t == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static bool is_array(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_ARRAY || t == BPF_MAP_TYPE_PERCPU_ARRAY;
}

/* Maps worth showing: hashes, arrays and the writable globals. */
static bool shown(struct bpf_map *map)
{
	enum bpf_map_type t = bpf_map__type(map);
	const char *name = bpf_map__name(map);
	const char *dot = strrchr(name, '.');

	if (bpf_map__is_internal(map))
		return dot && (!strncmp(dot, ".bss", 4) || !strncmp(dot, ".data", 5)) &&
		       !strstr(name, ".rodata") && !strstr(name, ".kconfig");
	return t == BPF_MAP_TYPE_HASH || t == BPF_MAP_TYPE_LRU_HASH || is_percpu(t) ||
	       t == BPF_MAP_TYPE_ARRAY;
}

/* The name to show: a global section as ".bss", a map as it is. */
static const char *map_label(struct bpf_map *map)
{
	const char *name = bpf_map__name(map);
	const char *dot = strrchr(name, '.');

	return bpf_map__is_internal(map) && dot ? dot : name;
}

static const char *map_kind(enum bpf_map_type t)
{
	return libbpf_bpf_map_type_str(t) ?: "map";
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static int add_entry(struct dump *d, const void *key, const void *value)
{
	struct entry *e;
	size_t vlen = d->value_stride * (size_t)d->ncpus;

	if (d->n == MAX_ENTRIES) {
		d->more++;
		return 0;
	}
	if (d->n == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 64;
		struct entry *grown = realloc(d->e, cap * sizeof(*grown));

		if (!grown)
			return -ENOMEM;
		d->e = grown;
		d->cap = cap;
	}
	e = &d->e[d->n];
	memset(e, 0, sizeof(*e));
	e->key = malloc(d->key_size ? d->key_size : 1);
	e->value = malloc(vlen ? vlen : 1);
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		return -ENOMEM;
	}
	memcpy(e->key, key, d->key_size);
	memcpy(e->value, value, vlen);
	d->n++;
	if (d->btf && d->value_id) {
		int64_t sum = 0, v;

		e->has_sort = true;
		for (int c = 0; c < d->ncpus && e->has_sort; c++) {
			e->has_sort = qz__btf_integer(d->btf, d->value_id,
						      e->value + (size_t)c * d->value_stride,
						      d->value_size, &v);
			sum += v;
		}
		e->sort = sum;
	}
	return 0;
}

static int collect(struct dump *d)
{
	enum bpf_map_type t = bpf_map__type(d->map);
	int fd = bpf_map__fd(d->map);
	uint8_t *key = calloc(1, d->key_size + 8), *next = calloc(1, d->key_size + 8);
	uint8_t *value = calloc((size_t)d->ncpus, d->value_stride);
	int err = 0;

	if (!key || !next || !value) {
		err = -ENOMEM;
		goto out;
	}
	if (is_array(t)) {
		uint32_t n = bpf_map__max_entries(d->map);

		for (uint32_t i = 0; i < n && !err; i++) {
			if (bpf_map_lookup_elem(fd, &i, value))
				continue;
			if (all_zero(value, d->value_stride * (size_t)d->ncpus))
				continue;
			err = add_entry(d, &i, value);
		}
		goto out;
	}
	for (void *prev = NULL; !err; prev = key) {
		if (bpf_map_get_next_key(fd, prev, next))
			break;
		memcpy(key, next, d->key_size);
		if (bpf_map_lookup_elem(fd, key, value))
			continue;	/* deleted meanwhile */
		err = add_entry(d, key, value);
	}
out:
	free(key);
	free(next);
	free(value);
	return err;
}

static int by_value(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;

	if (x->has_sort != y->has_sort)
		return x->has_sort ? -1 : 1;
	return (x->sort < y->sort) - (x->sort > y->sort);
}

static void dump_free(struct dump *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->e[i].key);
		free(d->e[i].value);
	}
	free(d->e);
}

/* map's entries read, decoded and sorted, largest first. */
static int dump_init(struct dump *d, struct qz_bpf *b, struct bpf_map *map)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->b = b;
	d->map = map;
	d->btf = bpf_object__btf(b->obj);
	d->key_id = bpf_map__btf_key_type_id(map);
	d->value_id = bpf_map__btf_value_type_id(map);
	d->key_size = bpf_map__key_size(map);
	d->value_size = bpf_map__value_size(map);
	d->ncpus = is_percpu(bpf_map__type(map)) ? b->nr_possible_cpus : 1;
	d->value_stride = d->ncpus > 1 ? (d->value_size + 7) / 8 * 8 : d->value_size;
	if (bpf_map__is_internal(map) && d->btf) {
		/* A global section: its value is the DATASEC of its variables. */
		int id = btf__find_by_name_kind(d->btf, map_label(map), BTF_KIND_DATASEC);

		d->value_id = id > 0 ? (uint32_t)id : 0;
		d->key_id = 0;
	}
	err = collect(d);
	if (!err && d->n)	/* an empty map has no array at all */
		qsort(d->e, d->n, sizeof(*d->e), by_value);
	return err;
}

/* bytes as a string of hex digits */
static void hex(struct qz_json *j, const uint8_t *p, size_t n)
{
	char buf[2 * 256 + 1];
	size_t max = n < 256 ? n : 256;

	for (size_t i = 0; i < max; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	buf[2 * max] = 0;
	qz_json__str(j, buf);
}

static void value_json(const struct dump *d, uint32_t id, const uint8_t *p, size_t n,
		       struct qz_json *j)
{
	if (d->btf && id)
		qz__btf_json(d->btf, id, p, n, j);
	else if (n == 8 || n == 4) {
		uint64_t v = 0;

		memcpy(&v, p, n);
		qz_json__u64(j, v);
	} else {
		hex(j, p, n);
	}
}

static void key_json(const struct dump *d, const struct entry *e, struct qz_json *j)
{
	if (is_array(bpf_map__type(d->map))) {
		uint32_t i;

		memcpy(&i, e->key, sizeof(i));
		qz_json__u64(j, i);
	} else {
		value_json(d, d->key_id, e->key, d->key_size, j);
	}
}

static void entry_value_json(const struct dump *d, const struct entry *e, struct qz_json *j)
{
	if (d->ncpus == 1) {
		value_json(d, d->value_id, e->value, d->value_size, j);
		return;
	}
	if (e->has_sort)
		qz_json__i64(j, e->sort);
	else
		qz_json__null(j);
}

static void entry_cpus_json(const struct dump *d, const struct entry *e, struct qz_json *j)
{
	qz_json__begin_array(j);
	for (int c = 0; c < d->ncpus; c++)
		value_json(d, d->value_id, e->value + (size_t)c * d->value_stride,
			   d->value_size, j);
	qz_json__end_array(j);
}

QZ_API int qz_bpf__maps_dump(struct qz_bpf *b, struct qz_json *j)
{
	struct bpf_map *map;
	int err = 0;

	qz_json__begin_object(j);
	bpf_object__for_each_map(map, b->obj) {
		struct dump d;

		if (!shown(map))
			continue;
		err = dump_init(&d, b, map);
		if (!err) {
			qz_json__key(j, map_label(map));
			qz_json__begin_array(j);
			for (size_t i = 0; i < d.n; i++) {
				qz_json__begin_object(j);
				if (!bpf_map__is_internal(map)) {
					qz_json__key(j, "key");
					key_json(&d, &d.e[i], j);
				}
				qz_json__key(j, "value");
				entry_value_json(&d, &d.e[i], j);
				if (d.ncpus > 1) {
					qz_json__key(j, "cpus");
					entry_cpus_json(&d, &d.e[i], j);
				}
				qz_json__end_object(j);
			}
			qz_json__end_array(j);
			if (d.more) {
				char key[300];

				snprintf(key, sizeof(key), "%s:not_shown", map_label(map));
				qz_json__key_u64(j, key, d.more);
			}
		}
		dump_free(&d);
		if (err)
			break;
	}
	qz_json__end_object(j);
	return err ? err : qz_json__error(j);
}

QZ_API int qz_bpf__maps_print(struct qz_bpf *b, FILE *f)
{
	struct qz_json *j = qz_json__new();
	struct bpf_map *map;
	int err = 0;

	if (!j)
		return -ENOMEM;
	bpf_object__for_each_map(map, b->obj) {
		struct dump d;

		if (!shown(map))
			continue;
		err = dump_init(&d, b, map);
		if (!err) {
			fprintf(f, "%s (%s): %zu entr%s\n", map_label(map),
				map_kind(bpf_map__type(map)), d.n, d.n == 1 ? "y" : "ies");
			for (size_t i = 0; i < d.n; i++) {
				qz_json__reset(j);
				if (!bpf_map__is_internal(map)) {
					key_json(&d, &d.e[i], j);
					fprintf(f, "  %-40.*s ", (int)qz_json__len(j), qz_json__data(j));
					qz_json__reset(j);
				} else {
					fputs("  ", f);
				}
				entry_value_json(&d, &d.e[i], j);
				fprintf(f, "%.*s\n", (int)qz_json__len(j), qz_json__data(j));
			}
			if (d.more)
				fprintf(f, "  ... %" PRIu64 " more not shown\n", d.more);
		}
		dump_free(&d);
		if (err)
			break;
	}
	qz_json__free(j);
	return err;
}

/* The BTF struct records decode as, looked up once. */
static int32_t record_type(struct qz_bpf *b, size_t size)
{
	const struct btf *btf = bpf_object__btf(b->obj);

	if (!btf)
		return -1;
	if (!b->record_type_id || (b->record_type_id < 0 && !b->record_type &&
				   b->record_type_size != size)) {
		b->record_type_id = qz__btf_find_struct(btf, b->record_type, size);
		b->record_type_size = (uint32_t)size;
		if (!b->record_type_id)
			b->record_type_id = -1;
		if (b->record_type_id < 0 && b->record_type)
			qz__bpf_log(&b->log, QZ_LOG_WARN,
				    "%s: no struct %s in its BTF: records are shown as hex",
				    b->base, b->record_type);
	}
	return b->record_type_id;
}

QZ_API int qz_bpf__record_json(struct qz_bpf *b, const struct qz_bpf_record *rec,
			       struct qz_json *j)
{
	int32_t id = record_type(b, rec->size);

	if (id > 0)
		qz__btf_json(bpf_object__btf(b->obj), (uint32_t)id, rec->data, rec->size, j);
	else
		hex(j, rec->data, rec->size);
	return qz_json__error(j);
}

/* {"a":1,"b":"x"} as a=1 b=x, for text. */
static size_t flatten(const char *json, size_t n, char *buf, size_t len)
{
	size_t o = 0;
	int depth = 0;
	bool in_str = false;

	for (size_t i = 0; i < n && o + 1 < len; i++) {
		char c = json[i];

		if (in_str) {
			if (c == '\\' && i + 1 < n) {
				buf[o++] = json[++i];
				continue;
			}
			if (c == '"') {
				in_str = false;
				continue;
			}
			buf[o++] = c;
			continue;
		}
		switch (c) {
		case '"':
			in_str = true;
			break;
		case '{':
			if (depth++)
				buf[o++] = c;
			break;
		case '}':
			if (--depth)
				buf[o++] = c;
			break;
		case ':':
			buf[o++] = depth == 1 ? '=' : c;
			break;
		case ',':
			buf[o++] = depth == 1 ? ' ' : c;
			break;
		default:
			buf[o++] = c;
		}
	}
	buf[o] = 0;
	return o;
}

QZ_API int qz_bpf__record_text(struct qz_bpf *b, const struct qz_bpf_record *rec, char *buf,
			       size_t len)
{
	struct qz_json *j = qz_json__new();
	int n;

	if (!j || !len)
		return j ? 0 : -ENOMEM;
	qz_bpf__record_json(b, rec, j);
	n = (int)flatten(qz_json__data(j), qz_json__len(j), buf, len);
	qz_json__free(j);
	return n;
}
