// SPDX-License-Identifier: MIT
/*
 * A value described by BTF, as JSON: integers (bool as true/false), enums
 * by name, char arrays as strings, other arrays as lists, structs and
 * unions as objects by field name (anonymous members inline, bitfields
 * extracted), pointers as numbers, floats, and a section's variables (.bss)
 * as an object. Every read is bounded by the bytes given; what does not
 * fit, or a type that cannot be shown, is null.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "bpf_internal.h"

#define MAX_DEPTH 32
#define MAX_ELEMS 4096	/* of one array; more are left out */

static const struct btf_type *resolve(const struct btf *btf, uint32_t *id)
{
	const struct btf_type *t = btf__type_by_id(btf, *id);

	for (int i = 0; t && i < MAX_DEPTH; i++) {
		switch (btf_kind(t)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_CONST:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
		case BTF_KIND_VAR:
			*id = t->type;
			t = btf__type_by_id(btf, *id);
			continue;
		default:
			return t;
		}
	}
	return NULL;
}

/* Little-endian bits [bit, bit + nbits) of data, nbits <= 64. */
static bool read_bits(const uint8_t *data, size_t size, uint64_t bit, uint32_t nbits,
		      uint64_t *out)
{
	unsigned __int128 v = 0;
	uint64_t first = bit / 8, last = (bit + nbits + 7) / 8;

	if (!nbits || nbits > 64 || last > size || last - first > 16)
		return false;
	for (uint64_t i = last; i > first; i--)
		v = (v << 8) | data[i - 1];
	v >>= bit % 8;
	*out = nbits == 64 ? (uint64_t)v : (uint64_t)v & ((1ull << nbits) - 1);
	return true;
}

static bool read_uint(const uint8_t *data, size_t size, uint32_t bytes, uint64_t *out)
{
	return bytes <= 8 && read_bits(data, size, 0, bytes * 8, out);
}

static int64_t sign_extend(uint64_t v, uint32_t bits)
{
	if (bits >= 64)
		return (int64_t)v;
	return (int64_t)(v << (64 - bits)) >> (64 - bits);
}

static bool is_char(const struct btf *btf, uint32_t id)
{
	const struct btf_type *t = resolve(btf, &id);
	const char *name;

	if (!t || !btf_is_int(t) || t->size != 1)
		return false;
	name = btf__name_by_offset(btf, t->name_off);
	return (btf_int_encoding(t) & BTF_INT_CHAR) ||
	       (name && (!strcmp(name, "char") || !strcmp(name, "signed char") ||
			 !strcmp(name, "unsigned char")));
}

static int dump(const struct btf *btf, uint32_t id, const uint8_t *data, size_t size,
		struct qz_json *j, int depth);

/* A struct's or union's members into the object already begun. */
static void members(const struct btf *btf, const struct btf_type *t, const uint8_t *data,
		    size_t size, struct qz_json *j, int depth)
{
	const struct btf_member *m = btf_members(t);
	bool kflag = btf_kflag(t);

	for (int i = 0; i < btf_vlen(t); i++, m++) {
		const char *name = btf__name_by_offset(btf, m->name_off);
		uint32_t bit = kflag ? BTF_MEMBER_BIT_OFFSET(m->offset) : m->offset;
		uint32_t nbits = kflag ? BTF_MEMBER_BITFIELD_SIZE(m->offset) : 0;
		uint32_t mid = m->type;
		const struct btf_type *mt = resolve(btf, &mid);
		uint64_t v;

		if (!name || !name[0]) {
			/* An anonymous struct or union: its fields are ours. */
			if (mt && (btf_is_struct(mt) || btf_is_union(mt)) && bit % 8 == 0 &&
			    depth < MAX_DEPTH) {
				size_t off = bit / 8 < size ? bit / 8 : size;

				/* Past the data: its fields are null. */
				members(btf, mt, data + off, bit / 8 <= size ? size - off : 0, j,
					depth + 1);
			}
			continue;
		}
		qz_json__key(j, name);
		if (nbits || (mt && btf_is_int(mt) && btf_int_bits(mt) % 8)) {
			uint32_t width = nbits ? nbits : btf_int_bits(mt);

			if (!read_bits(data, size, bit, width, &v)) {
				qz_json__null(j);
			} else if (mt && btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED)) {
				qz_json__i64(j, sign_extend(v, width));
			} else {
				qz_json__u64(j, v);
			}
			continue;
		}
		if (bit % 8 || bit / 8 > size) {
			qz_json__null(j);
			continue;
		}
		dump(btf, m->type, data + bit / 8, size - bit / 8, j, depth + 1);
	}
}

static void enum_value(const struct btf *btf, const struct btf_type *t, const uint8_t *data,
		       size_t size, struct qz_json *j)
{
	uint64_t raw;
	int64_t v;

	if (!read_uint(data, size, t->size, &raw)) {
		qz_json__null(j);
		return;
	}
	v = sign_extend(raw, t->size * 8);
	if (btf_is_enum(t)) {
		const struct btf_enum *e = btf_enum(t);

		for (int i = 0; i < btf_vlen(t); i++, e++)
			if ((int64_t)e->val == v || (uint32_t)e->val == (uint32_t)raw) {
				qz_json__str(j, btf__name_by_offset(btf, e->name_off));
				return;
			}
	} else {
		const struct btf_enum64 *e = btf_enum64(t);

		for (int i = 0; i < btf_vlen(t); i++, e++)
			if (btf_enum64_value(e) == raw) {
				qz_json__str(j, btf__name_by_offset(btf, e->name_off));
				return;
			}
	}
	if (btf_kflag(t))
		qz_json__i64(j, v);
	else
		qz_json__u64(j, raw);
}

static void array(const struct btf *btf, const struct btf_type *t, const uint8_t *data,
		  size_t size, struct qz_json *j, int depth)
{
	const struct btf_array *a = btf_array(t);
	long esz = btf__resolve_size(btf, a->type);
	uint32_t n = a->nelems;

	if (esz <= 0 || size < (size_t)esz) {
		qz_json__null(j);	/* not one element there */
		return;
	}
	if (is_char(btf, a->type)) {
		size_t len = 0, max = n < size ? n : size;

		while (len < max && data[len])
			len++;
		qz_json__strn(j, (const char *)data, len);
		return;
	}
	qz_json__begin_array(j);
	for (uint32_t i = 0; i < n && i < MAX_ELEMS; i++) {
		size_t off = (size_t)i * (size_t)esz;

		if (off + (size_t)esz > size)
			break;
		dump(btf, a->type, data + off, size - off, j, depth + 1);
	}
	qz_json__end_array(j);
}

static void datasec(const struct btf *btf, const struct btf_type *t, const uint8_t *data,
		    size_t size, struct qz_json *j, int depth)
{
	const struct btf_var_secinfo *v = btf_var_secinfos(t);

	qz_json__begin_object(j);
	for (int i = 0; i < btf_vlen(t); i++, v++) {
		const struct btf_type *var = btf__type_by_id(btf, v->type);
		const char *name = var ? btf__name_by_offset(btf, var->name_off) : NULL;

		if (!var || !btf_is_var(var) || !name || v->offset > size)
			continue;
		qz_json__key(j, name);
		if (v->offset + v->size > size)
			qz_json__null(j);
		else
			dump(btf, var->type, data + v->offset, v->size, j, depth + 1);
	}
	qz_json__end_object(j);
}

static int dump(const struct btf *btf, uint32_t id, const uint8_t *data, size_t size,
		struct qz_json *j, int depth)
{
	const struct btf_type *t = depth < MAX_DEPTH ? resolve(btf, &id) : NULL;
	uint64_t v;

	if (!t) {
		qz_json__null(j);
		return -EINVAL;
	}
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
		if (t->size > 8 || !read_uint(data, size, t->size, &v)) {
			qz_json__null(j);
		} else if (btf_int_encoding(t) & BTF_INT_BOOL) {
			qz_json__bool(j, v != 0);
		} else if (btf_int_encoding(t) & BTF_INT_SIGNED) {
			qz_json__i64(j, sign_extend(v, t->size * 8));
		} else {
			qz_json__u64(j, v);
		}
		break;
	case BTF_KIND_PTR:
		if (read_uint(data, size, sizeof(void *), &v))
			qz_json__u64(j, v);
		else
			qz_json__null(j);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		enum_value(btf, t, data, size, j);
		break;
	case BTF_KIND_FLOAT:
		if (t->size == 4 && size >= 4) {
			float f;

			memcpy(&f, data, 4);
			qz_json__double(j, f);
		} else if (t->size == 8 && size >= 8) {
			double d;

			memcpy(&d, data, 8);
			qz_json__double(j, d);
		} else {
			qz_json__null(j);
		}
		break;
	case BTF_KIND_ARRAY:
		array(btf, t, data, size, j, depth);
		break;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		qz_json__begin_object(j);
		members(btf, t, data, size < t->size ? size : t->size, j, depth);
		qz_json__end_object(j);
		break;
	case BTF_KIND_DATASEC:
		datasec(btf, t, data, size, j, depth);
		break;
	default:
		qz_json__null(j);
		break;
	}
	return 0;
}

int qz__btf_json(const struct btf *btf, uint32_t id, const void *data, size_t size,
		 struct qz_json *j)
{
	return dump(btf, id, data, size, j, 0);
}

bool qz__btf_integer(const struct btf *btf, uint32_t id, const void *data, size_t size,
		     int64_t *value)
{
	const struct btf_type *t = resolve(btf, &id);
	uint64_t v;

	if (!t || !btf_is_int(t) || t->size > 8 || (btf_int_encoding(t) & BTF_INT_BOOL) ||
	    !read_uint(data, size, t->size, &v))
		return false;
	*value = btf_int_encoding(t) & BTF_INT_SIGNED ? sign_extend(v, t->size * 8) : (int64_t)v;
	return true;
}

/* Types that come with the kernel's headers, not the object's own. */
static bool kernel_type(const char *name)
{
	static const char *const prefixes[] = { "bpf_", "pt_regs", "trace_", "task_",
						"perf_", "sk_", "xdp_", "__sk" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

int32_t qz__btf_find_struct(const struct btf *btf, const char *name, size_t size)
{
	uint32_t n = btf__type_cnt(btf);
	int32_t found = -1;

	if (name) {
		int32_t id = btf__find_by_name_kind(btf, name, BTF_KIND_STRUCT);

		if (id < 0)
			id = btf__find_by_name_kind(btf, name, BTF_KIND_UNION);
		if (id < 0)
			id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
		return id < 0 ? -1 : id;
	}
	found = btf__find_by_name_kind(btf, "event", BTF_KIND_STRUCT);
	if (found > 0)
		return found;
	found = -1;
	/* The kernel pads a record by up to 7 bytes (its size + 4 is 8-aligned). */
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		const char *tn = t ? btf__name_by_offset(btf, t->name_off) : NULL;

		if (!t || !btf_is_struct(t) || !tn || !tn[0] || kernel_type(tn))
			continue;
		if (t->size > size || t->size + 8 <= size)
			continue;
		if (found >= 0)
			return -1;	/* two fit: guessing would mislead */
		found = (int32_t)id;
	}
	return found;
}
