// SPDX-License-Identifier: MIT
/*
 * Field handles: each tep field is resolved once to offset, size, element
 * size and flags, so reading a field from a record is a bounds check and
 * a memcpy. Every reader stays inside raw[0..size).
 */
#include <stdlib.h>
#include <string.h>
#include "tp_internal.h"

static const struct {
	const char *type;
	unsigned size;
} type_sizes[] = {
	{ "char", 1 }, { "signed char", 1 }, { "unsigned char", 1 },
	{ "u8", 1 }, { "s8", 1 }, { "__u8", 1 }, { "__s8", 1 }, { "bool", 1 },
	{ "short", 2 }, { "unsigned short", 2 }, { "u16", 2 }, { "s16", 2 },
	{ "__u16", 2 }, { "__s16", 2 }, { "__be16", 2 }, { "__le16", 2 },
	{ "int", 4 }, { "unsigned int", 4 }, { "unsigned", 4 }, { "u32", 4 },
	{ "s32", 4 }, { "__u32", 4 }, { "__s32", 4 }, { "pid_t", 4 },
	{ "__be32", 4 }, { "__le32", 4 }, { "gfp_t", 4 },
	{ "long", 8 }, { "unsigned long", 8 }, { "long long", 8 },
	{ "unsigned long long", 8 }, { "u64", 8 }, { "s64", 8 }, { "__u64", 8 },
	{ "__s64", 8 }, { "size_t", 8 }, { "dma_addr_t", 8 }, { "phys_addr_t", 8 },
};

/*
 * The element type of "__data_loc char[]" / "const char comm[16]" /
 * "unsigned long": qualifiers, loc prefixes and brackets removed.
 */
static void base_type(const char *type, char *out, size_t len)
{
	static const char *const prefixes[] = { "__data_loc ", "__rel_loc ", "const ",
						"volatile " };
	size_t n;
	bool again = true;

	while (again) {
		again = false;
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			size_t pl = strlen(prefixes[i]);

			if (!strncmp(type, prefixes[i], pl)) {
				type += pl;
				again = true;
			}
		}
	}
	n = strcspn(type, "[");
	while (n && type[n - 1] == ' ')
		n--;
	if (n >= len)
		n = len - 1;
	memcpy(out, type, n);
	out[n] = '\0';
}

static unsigned type_size(const char *base)
{
	if (strchr(base, '*'))
		return sizeof(void *);
	for (size_t i = 0; i < sizeof(type_sizes) / sizeof(type_sizes[0]); i++)
		if (!strcmp(base, type_sizes[i].type))
			return type_sizes[i].size;
	return 0;
}

static void fill_field(struct qz_tp_field *f, struct tep_format_field *tf,
		       bool common)
{
	char base[64];
	unsigned long tflags = tf->flags;

	f->name = tf->name;
	f->type = tf->type;
	f->offset = tf->offset < 0 ? 0 : (unsigned)tf->offset;
	f->size = tf->size < 0 ? 0 : (unsigned)tf->size;
	f->flags = common ? QZ_TP_FIELD_COMMON : 0;
	if (tflags & TEP_FIELD_IS_SIGNED)
		f->flags |= QZ_TP_FIELD_SIGNED;
	if (tflags & TEP_FIELD_IS_POINTER)
		f->flags |= QZ_TP_FIELD_POINTER;
	if (tflags & TEP_FIELD_IS_LONG)
		f->flags |= QZ_TP_FIELD_LONG;
	if ((tflags & TEP_FIELD_IS_DYNAMIC) || !strncmp(tf->type, "__data_loc ", 11) ||
	    !strncmp(tf->type, "__rel_loc ", 10))
		f->flags |= QZ_TP_FIELD_DYNAMIC | QZ_TP_FIELD_ARRAY;
	if ((tflags & TEP_FIELD_IS_RELATIVE) || !strncmp(tf->type, "__rel_loc ", 10))
		f->flags |= QZ_TP_FIELD_RELATIVE;
	if (tflags & TEP_FIELD_IS_ARRAY)
		f->flags |= QZ_TP_FIELD_ARRAY;

	base_type(tf->type, base, sizeof(base));
	/* Only plain char arrays are text; u8/unsigned char arrays are bytes. */
	if ((f->flags & QZ_TP_FIELD_ARRAY) && !strcmp(base, "char"))
		f->flags |= QZ_TP_FIELD_STRING;

	if (!(f->flags & QZ_TP_FIELD_ARRAY))
		f->elem_size = f->size;
	else if (!(f->flags & QZ_TP_FIELD_DYNAMIC) && tf->arraylen)
		f->elem_size = f->size / tf->arraylen;
	else if (tf->elementsize && !(f->flags & QZ_TP_FIELD_DYNAMIC))
		f->elem_size = tf->elementsize;
	else
		f->elem_size = type_size(base);
	if (!f->elem_size)
		f->elem_size = 1;

	f->end = f->offset + f->size;
	/* A 1, 2, 4 or 8-byte field that ends 8 bytes or more into the
	 * record is the top bytes of the little-endian word ending with it. */
	f->word = __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && f->end >= 8 &&
		  (f->size == 1 || f->size == 2 || f->size == 4 || f->size == 8);
	f->shift = (uint8_t)(f->word ? 64 - 8 * f->size : 0);
}

struct qz_tp_event *qz__tp_event_new(struct qz_tp *tp, struct tep_event *e)
{
	struct qz_tp_event *ev = calloc(1, sizeof(*ev));
	int n = e->format.nr_common + e->format.nr_fields, i = 0;

	if (!ev)
		return NULL;
	ev->tp = tp;
	ev->tep = e;
	ev->id = e->id;
	ev->type_field = -1;
	ev->fields = calloc((size_t)(n ? n : 1), sizeof(*ev->fields));
	if (!ev->fields) {
		free(ev);
		return NULL;
	}
	for (int pass = 0; pass < 2; pass++) {
		struct tep_format_field *tf = pass ? e->format.fields : e->format.common_fields;

		for (; tf && i < n; tf = tf->next, i++) {
			struct qz_tp_field *f = &ev->fields[i];

			fill_field(f, tf, pass == 0);
			if (f->offset + f->size > ev->min_size)
				ev->min_size = f->offset + f->size;
			if (pass == 0 && !strcmp(f->name, "common_type"))
				ev->type_field = i;
		}
	}
	ev->nr_fields = i;
	return ev;
}

void qz__tp_event_free(struct qz_tp_event *ev)
{
	if (!ev)
		return;
	free(ev->fields);
	free(ev);
}

QZ_API int qz_tp_event__id(const struct qz_tp_event *ev)
{
	return ev ? ev->id : -1;
}

QZ_API const char *qz_tp_event__sys(const struct qz_tp_event *ev)
{
	return ev ? ev->tep->system : NULL;
}

QZ_API const char *qz_tp_event__name(const struct qz_tp_event *ev)
{
	return ev ? ev->tep->name : NULL;
}

QZ_API size_t qz_tp_event__min_size(const struct qz_tp_event *ev)
{
	return ev ? ev->min_size : 0;
}

QZ_API int qz_tp_event__nr_fields(const struct qz_tp_event *ev)
{
	return ev ? ev->nr_fields : 0;
}

QZ_API const struct qz_tp_field *qz_tp_event__field_at(const struct qz_tp_event *ev,
							 int i)
{
	if (!ev || i < 0 || i >= ev->nr_fields)
		return NULL;
	return &ev->fields[i];
}

QZ_API const struct qz_tp_field *qz_tp_event__field(const struct qz_tp_event *ev,
						      const char *name)
{
	if (!ev || !name)
		return NULL;
	for (int i = 0; i < ev->nr_fields; i++)
		if (!strcmp(ev->fields[i].name, name))
			return &ev->fields[i];
	return NULL;
}

QZ_API const char *qz_tp_field__name(const struct qz_tp_field *f)
{
	return f ? f->name : NULL;
}

QZ_API const char *qz_tp_field__type(const struct qz_tp_field *f)
{
	return f ? f->type : NULL;
}

QZ_API unsigned qz_tp_field__flags(const struct qz_tp_field *f)
{
	return f ? f->flags : 0;
}

QZ_API unsigned qz_tp_field__offset(const struct qz_tp_field *f)
{
	return f ? f->offset : 0;
}

QZ_API unsigned qz_tp_field__size(const struct qz_tp_field *f)
{
	return f ? f->size : 0;
}

QZ_API unsigned qz_tp_field__elem_size(const struct qz_tp_field *f)
{
	return f ? f->elem_size : 0;
}

static inline bool fits(size_t off, size_t len, size_t size)
{
	return off <= size && len <= size - off;
}

static inline uint64_t load(const uint8_t *p, unsigned n)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (n) {
	case 1: memcpy(&u8, p, 1); return u8;
	case 2: memcpy(&u16, p, 2); return u16;
	case 4: memcpy(&u32, p, 4); return u32;
	case 8: memcpy(&u64, p, 8); return u64;
	default: return 0;
	}
}

static inline int64_t sign_extend(uint64_t v, unsigned n)
{
	if (n == 0 || n >= 8)
		return (int64_t)v;
	if (v & (1ull << (n * 8 - 1)))
		v |= ~0ull << (n * 8);
	return (int64_t)v;
}

/*
 * One load at a fixed offset: the 8 bytes that end where the field ends
 * are inside raw[0..size) whenever the field is, and its value is their
 * top bytes.
 */
QZ_API uint64_t qz_tp_field__u64(const struct qz_tp_field *f, const void *raw,
				 size_t size)
{
	uint64_t v;

	if (!f || !raw || f->end > size)
		return 0;
	if (!f->word)
		return load((const uint8_t *)raw + f->offset, f->size);
	memcpy(&v, (const uint8_t *)raw + f->end - 8, 8);
	return v >> f->shift;
}

QZ_API int64_t qz_tp_field__s64(const struct qz_tp_field *f, const void *raw,
				size_t size)
{
	uint64_t v;

	if (!f || !raw || f->end > size)
		return 0;
	if (!f->word) {
		v = load((const uint8_t *)raw + f->offset, f->size);
		return (f->flags & QZ_TP_FIELD_SIGNED) ? sign_extend(v, f->size) : (int64_t)v;
	}
	memcpy(&v, (const uint8_t *)raw + f->end - 8, 8);
	return (f->flags & QZ_TP_FIELD_SIGNED) ? (int64_t)v >> f->shift
					       : (int64_t)(v >> f->shift);
}

QZ_API int qz_tp_field__word(const struct qz_tp_field *f, struct qz_tp_word *w)
{
	if (!f || !w || !f->word)
		return -ENOTSUP;
	*w = (struct qz_tp_word){
		.end = f->end,
		.shift = f->shift,
		.sign = f->flags & QZ_TP_FIELD_SIGNED,
	};
	return 0;
}

QZ_API int qz_tp_field__data(const struct qz_tp_field *f, const void *raw,
			     size_t size, const void **data, size_t *len)
{
	size_t off, n;

	if (!f || !raw || !fits(f->offset, f->size, size))
		return -QZ_ERR_RECORD_SHORT;
	if (f->flags & QZ_TP_FIELD_DYNAMIC) {
		uint32_t loc;

		if (f->size < 4)
			return -QZ_ERR_RECORD_SHORT;
		loc = (uint32_t)load((const uint8_t *)raw + f->offset, 4);
		off = loc & 0xffff;
		n = loc >> 16;
		/* __rel_loc counts from the end of its own word. */
		if (f->flags & QZ_TP_FIELD_RELATIVE)
			off += f->offset + f->size;
		if (!fits(off, n, size))
			return -QZ_ERR_RECORD_SHORT;
	} else {
		off = f->offset;
		n = f->size;
	}
	*data = (const uint8_t *)raw + off;
	*len = n;
	return 0;
}

QZ_API const char *qz_tp_field__str(const struct qz_tp_field *f, const void *raw,
				    size_t size, size_t *len)
{
	const void *data;
	size_t n;

	if (qz_tp_field__data(f, raw, size, &data, &n))
		return NULL;
	n = strnlen(data, n);
	if (len)
		*len = n;
	return data;
}

QZ_API size_t qz_tp_field__nr_elems(const struct qz_tp_field *f,
				    const void *raw, size_t size)
{
	const void *data;
	size_t n;

	if (!f || !(f->flags & QZ_TP_FIELD_ARRAY))
		return 1;
	if (qz_tp_field__data(f, raw, size, &data, &n))
		return 0;
	return n / f->elem_size;
}

QZ_API uint64_t qz_tp_field__elem_u64(const struct qz_tp_field *f,
				      const void *raw, size_t size, size_t idx)
{
	const void *data;
	size_t n;

	if (qz_tp_field__data(f, raw, size, &data, &n) || idx >= n / f->elem_size)
		return 0;
	return load((const uint8_t *)data + idx * f->elem_size, f->elem_size);
}

QZ_API int64_t qz_tp_field__elem_s64(const struct qz_tp_field *f,
				     const void *raw, size_t size, size_t idx)
{
	uint64_t v = qz_tp_field__elem_u64(f, raw, size, idx);

	return f && (f->flags & QZ_TP_FIELD_SIGNED) ? sign_extend(v, f->elem_size)
						     : (int64_t)v;
}
