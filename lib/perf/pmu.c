// SPDX-License-Identifier: MIT
/*
 * Dynamic PMUs: SYSFS/bus/event_source/devices/NAME/type gives attr.type,
 * format/TERM files ("config:0-7", "config1:0-63", "config:0-3,8-11") say
 * which attr bits a term fills, and events/ALIAS files hold preset terms.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "perf_internal.h"

struct pmu_format {
	char *name;
	int field; /* 0..2: config, config1, config2 */
	uint64_t mask;
};

struct qz_pmu {
	char *name;
	char *dir;
	uint32_t type;
	int nr_formats;
	struct pmu_format *formats;
};

static const char *const config_fields[] = {"config", "config1", "config2"};

static __u64 *attr_field(struct perf_event_attr *attr, int field)
{
	switch (field) {
	case 0:
		return &attr->config;
	case 1:
		return &attr->config1;
	default:
		return &attr->config2;
	}
}

/* "config1:0-7,32" into field and mask. */
static int parse_format(const char *text, int *field, uint64_t *mask)
{
	const char *colon = strchr(text, ':');
	int *bits, nr, err;
	size_t flen;

	if (!colon)
		return -EINVAL;
	flen = (size_t)(colon - text);
	*field = -1;
	for (int i = 0; i < (int)QZ_ARRAY_SIZE(config_fields); i++)
		if (strlen(config_fields[i]) == flen &&
		    !strncmp(text, config_fields[i], flen))
			*field = i;
	if (*field < 0)
		return -EINVAL;
	err = qz_parse_int_list(colon + 1, 63, &bits, &nr, NULL, 0);
	if (err)
		return err;
	*mask = 0;
	for (int i = 0; i < nr; i++) {
		if (bits[i] > 63) {
			free(bits);
			return -EINVAL;
		}
		*mask |= 1ull << bits[i];
	}
	free(bits);
	return 0;
}

static int load_formats(struct qz_pmu *pmu, const struct qz_attr_opts *opts)
{
	char path[4096], text[256];
	struct dirent *d;
	DIR *dir;
	int err = 0;

	snprintf(path, sizeof(path), "%s/format", pmu->dir);
	dir = opendir(path);
	if (!dir)
		return errno == ENOENT ? 0 : -errno;
	while ((d = readdir(dir))) {
		struct pmu_format *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/format/%s", pmu->dir,
			 d->d_name);
		err = qz_read_file(path, text, sizeof(text));
		if (err < 0)
			break;
		f = realloc(pmu->formats,
			    (size_t)(pmu->nr_formats + 1) * sizeof(*f));
		if (!f) {
			err = -ENOMEM;
			break;
		}
		pmu->formats = f;
		f = &f[pmu->nr_formats];
		err = parse_format(text, &f->field, &f->mask);
		if (err) {
			qz_set_err(opts, "PMU %s: bad format %s: \"%s\"",
				   pmu->name, d->d_name, text);
			break;
		}
		f->name = strdup(d->d_name);
		if (!f->name) {
			err = -ENOMEM;
			break;
		}
		pmu->nr_formats++;
	}
	closedir(dir);
	return err < 0 ? err : 0;
}

QZ_API struct qz_pmu *qz_pmu__new(const char *name,
				  const struct qz_attr_opts *opts)
{
	const char *root = QZ_OPT(opts, sysfs_root, NULL) ?: "/sys";
	char path[4096];
	struct qz_pmu *pmu;
	uint64_t type;
	int err;

	QZ_OPTS_CHECK_OR_NULL(opts);
	if (!name || !*name || strchr(name, '/') || name[0] == '.') {
		qz_set_err(opts, "bad PMU name \"%s\"", name ?: "");
		errno = QZ_ERR_UNKNOWN_EVENT;
		return NULL;
	}
	pmu = calloc(1, sizeof(*pmu));
	if (!pmu)
		return NULL;
	pmu->name = strdup(name);
	if (asprintf(&pmu->dir, "%s/bus/event_source/devices/%s", root, name) <
	    0)
		pmu->dir = NULL;
	if (!pmu->name || !pmu->dir) {
		err = -ENOMEM;
		goto fail;
	}
	snprintf(path, sizeof(path), "%s/type", pmu->dir);
	err = qz_read_u64_file(path, &type);
	if (err) {
		qz_set_err(opts, "unknown PMU \"%s\" (%s: %s)", name, path,
			   qz_strerror(err));
		if (err == -ENOENT)
			err = -QZ_ERR_UNKNOWN_EVENT;
		goto fail;
	}
	pmu->type = (uint32_t)type;
	err = load_formats(pmu, opts);
	if (err)
		goto fail;
	return pmu;
fail:
	qz_pmu__free(pmu);
	errno = -err;
	return NULL;
}

QZ_API void qz_pmu__free(struct qz_pmu *pmu)
{
	if (!pmu)
		return;
	for (int i = 0; i < pmu->nr_formats; i++)
		free(pmu->formats[i].name);
	free(pmu->formats);
	free(pmu->name);
	free(pmu->dir);
	free(pmu);
}

QZ_API const char *qz_pmu__name(const struct qz_pmu *pmu)
{
	return pmu->name;
}

QZ_API uint32_t qz_pmu__type(const struct qz_pmu *pmu)
{
	return pmu->type;
}

QZ_API int qz_pmu__nr_formats(const struct qz_pmu *pmu)
{
	return pmu->nr_formats;
}

QZ_API int qz_pmu__format(const struct qz_pmu *pmu, int idx, const char **name,
			  int *field, uint64_t *mask)
{
	if (idx < 0 || idx >= pmu->nr_formats)
		return -ENOENT;
	*name = pmu->formats[idx].name;
	*field = pmu->formats[idx].field;
	*mask = pmu->formats[idx].mask;
	return 0;
}

/* Spread value's low bits over mask's set bits, low to high. */
static int scatter(__u64 *dst, uint64_t mask, uint64_t value)
{
	uint64_t out = 0;
	int used = 0;

	for (int bit = 0; bit < 64; bit++) {
		if (!(mask & (1ull << bit)))
			continue;
		if (value & (1ull << used))
			out |= 1ull << bit;
		used++;
	}
	if (used < 64 && value >> used)
		return -ERANGE;
	*dst = (*dst & ~mask) | out;
	return 0;
}

static void valid_terms(const struct qz_pmu *pmu, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (int i = 0; i < pmu->nr_formats && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s, ",
					pmu->formats[i].name);
	if (off < len)
		snprintf(buf + off, len - off,
			 "period, freq, config, config1, config2, bp_type, bp_addr, bp_len");
}

static int apply_terms(const struct qz_pmu *pmu, struct perf_event_attr *attr,
		       const char *terms, const struct qz_attr_opts *opts,
		       int depth);

/* events/NAME holds terms such as "event=0x01,umask=0x2". */
static int apply_alias(const struct qz_pmu *pmu, struct perf_event_attr *attr,
		       const char *name, const struct qz_attr_opts *opts,
		       int depth)
{
	char path[4096], text[1024];

	if (strchr(name, '/') || name[0] == '.' || depth > 2)
		return -ENOENT;
	snprintf(path, sizeof(path), "%s/events/%s", pmu->dir, name);
	if (qz_read_file(path, text, sizeof(text)) < 0)
		return -ENOENT;
	return apply_terms(pmu, attr, text, opts, depth + 1);
}

static int apply_term(const struct qz_pmu *pmu, struct perf_event_attr *attr,
		      const char *term, size_t len,
		      const struct qz_attr_opts *opts, int depth)
{
	char name[128], valid[1024];
	const char *eq = memchr(term, '=', len);
	size_t nlen = eq ? (size_t)(eq - term) : len;
	uint64_t value = 1;

	if (nlen == 0 || nlen >= sizeof(name)) {
		qz_set_err(opts, "PMU %s: empty or overlong term in \"%.*s\"",
			   pmu->name, (int)len, term);
		return -QZ_ERR_PMU_TERM;
	}
	memcpy(name, term, nlen);
	name[nlen] = '\0';
	if (eq) {
		char num[64], *end;
		size_t vlen = len - nlen - 1;

		if (!vlen || vlen >= sizeof(num))
			goto bad_value;
		memcpy(num, eq + 1, vlen);
		num[vlen] = '\0';
		errno = 0;
		value = strtoull(num, &end, 0);
		if (errno || *end || num[0] == '-')
			goto bad_value;
	}
	for (int i = 0; i < pmu->nr_formats; i++) {
		const struct pmu_format *f = &pmu->formats[i];

		if (strcmp(f->name, name))
			continue;
		if (scatter(attr_field(attr, f->field), f->mask, value)) {
			qz_set_err(opts,
				   "PMU %s: value 0x%" PRIx64
				   " of term %s does not fit its bits (%s mask "
				   "0x%" PRIx64 ")",
				   pmu->name, value, name,
				   config_fields[f->field], f->mask);
			return -QZ_ERR_PMU_TERM;
		}
		return 0;
	}
	for (int i = 0; i < (int)QZ_ARRAY_SIZE(config_fields); i++) {
		if (!strcmp(name, config_fields[i]) && eq) {
			*attr_field(attr, i) = value;
			return 0;
		}
	}
	/* The breakpoint PMU's fields (perf_event_attr's bp_*). */
	if (!strcmp(name, "bp_type") && eq) {
		if (value > UINT32_MAX)
			goto bad_value;
		attr->bp_type = (uint32_t)value;
		return 0;
	}
	if (!strcmp(name, "bp_addr") && eq) {
		attr->bp_addr = value;
		return 0;
	}
	if (!strcmp(name, "bp_len") && eq) {
		attr->bp_len = value;
		return 0;
	}
	if (!strcmp(name, "period") && eq) {
		attr->sample_period = value;
		attr->freq = 0;
		return 0;
	}
	if (!strcmp(name, "freq") && eq) {
		attr->sample_freq = value;
		attr->freq = 1;
		return 0;
	}
	if (!eq && !apply_alias(pmu, attr, name, opts, depth))
		return 0;
	valid_terms(pmu, valid, sizeof(valid));
	qz_set_err(opts, "PMU %s: unknown term \"%s\"; valid terms: %s",
		   pmu->name, name, valid);
	return -QZ_ERR_PMU_TERM;

bad_value:
	qz_set_err(opts, "PMU %s: term %s needs a number, got \"%.*s\"",
		   pmu->name, name, (int)(len - nlen - 1), eq + 1);
	return -QZ_ERR_PMU_TERM;
}

static int apply_terms(const struct qz_pmu *pmu, struct perf_event_attr *attr,
		       const char *terms, const struct qz_attr_opts *opts,
		       int depth)
{
	const char *p = terms;

	while (p && *p) {
		const char *comma = strchr(p, ',');
		size_t len = comma ? (size_t)(comma - p) : strlen(p);
		int err;

		while (len && isspace((unsigned char)*p)) {
			p++;
			len--;
		}
		while (len && isspace((unsigned char)p[len - 1]))
			len--;
		if (len) {
			err = apply_term(pmu, attr, p, len, opts, depth);
			if (err)
				return err;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

QZ_API int qz_pmu__apply_terms(const struct qz_pmu *pmu,
			       struct perf_event_attr *attr, const char *terms,
			       const struct qz_attr_opts *opts)
{
	if (QZ_OPTS_CHECK(opts))
		return -E2BIG;
	attr->size = sizeof(*attr);
	attr->type = pmu->type;
	return apply_terms(pmu, attr, terms, opts, 0);
}
