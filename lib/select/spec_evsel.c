// SPDX-License-Identifier: MIT
/*
 * A selector's event to a perf_event_attr and an evsel. It lives here,
 * above the perf layer, so that perf knows nothing of selectors.
 */
#include <errno.h>
#include <string.h>
#include "select_internal.h"
#include "../perf/perf_internal.h"

#define SAMPLE_BASE                                             \
	(PERF_SAMPLE_TID | PERF_SAMPLE_TIME | PERF_SAMPLE_CPU | \
	 PERF_SAMPLE_PERIOD)

QZ_API int qz_attr__from_spec(struct perf_event_attr *attr,
			      const struct qz_event_spec *spec,
			      const struct qz_attr_opts *opts)
{
	struct qz_pmu *pmu;
	int err;

	memset(attr, 0, sizeof(*attr));
	attr->size = sizeof(*attr);
	attr->sample_type = SAMPLE_BASE | PERF_SAMPLE_IP;
	switch (spec->kind) {
	case QZ_SPEC_TRACEPOINT:
		err = qz_attr__tracepoint(attr, spec->sys, spec->name, opts);
		attr->sample_type = SAMPLE_BASE | PERF_SAMPLE_RAW;
		attr->sample_period = 1;
		break;
	case QZ_SPEC_HARDWARE:
	case QZ_SPEC_SOFTWARE:
		err = qz_attr__named(attr, spec->name ?: spec->text);
		if (err)
			qz_set_err(opts, "unknown event \"%s\"",
				   spec->name ?: spec->text ?: "");
		break;
	case QZ_SPEC_PMU:
		pmu = qz_pmu__new(spec->sys, opts);
		if (!pmu)
			return -errno;
		attr->type = qz_pmu__type(pmu);
		err = qz_pmu__apply_terms(pmu, attr, spec->pmu_terms, opts);
		qz_pmu__free(pmu);
		break;
	case QZ_SPEC_UPROBE:
	case QZ_SPEC_URETPROBE:
		err = qz_attr__uprobe(attr, spec->path, spec->name,
				      spec->offset,
				      spec->kind == QZ_SPEC_URETPROBE, opts);
		attr->sample_period = 1;
		break;
	default:
		qz_set_err(opts, "unknown event kind %d", (int)spec->kind);
		return -EINVAL;
	}
	if (err)
		return err;
	if (spec->period && spec->freq) {
		qz_set_err(opts, "%s: give period= or freq=, not both",
			   spec->text ?: "event");
		return -EINVAL;
	}
	if (spec->period) {
		attr->sample_period = spec->period;
		attr->freq = 0;
	}
	if (spec->freq) {
		attr->sample_freq = spec->freq;
		attr->freq = 1;
	}
	attr->exclude_user = spec->exclude_user;
	attr->exclude_kernel = spec->exclude_kernel;
	if (spec->stack || spec->max_stack > 0)
		attr->sample_type |= PERF_SAMPLE_CALLCHAIN;
	if (spec->max_stack > 0)
		attr->sample_max_stack = (uint16_t)spec->max_stack;
	qz__attr_honour_period(attr, spec->kind == QZ_SPEC_UPROBE ||
				     spec->kind == QZ_SPEC_URETPROBE);
	return 0;
}

QZ_API struct qz_evsel *
qz_evsel__new_from_spec(const struct qz_event_spec *spec,
			const struct qz_attr_opts *opts)
{
	struct perf_event_attr attr;
	struct qz_evsel *e;
	const char *name;
	int err;

	err = qz_attr__from_spec(&attr, spec, opts);
	if (err) {
		errno = -err;
		return NULL;
	}
	name = spec->alias ?: spec->text;
	e = qz_evsel__new(&attr, name ?: spec->name);
	if (!e)
		return NULL;
	if ((spec->kind == QZ_SPEC_UPROBE || spec->kind == QZ_SPEC_URETPROBE) &&
	    qz__evsel_own_uprobe_path(e, spec->path))
		goto fail;
	if (spec->filter && qz_evsel__set_filter_str(e, spec->filter))
		goto fail;
	return e;
fail:
	qz_evsel__free(e);
	errno = ENOMEM;
	return NULL;
}
