// SPDX-License-Identifier: MIT
/*
 * A capture's end: its stacks, resolved each interval, go to
 * DIR/<time>-cpu<N>.folded and .svg, and one line (text) or one report
 * (JSON: "sys-high") names the CPU, its %, the top functions and the
 * file; the JSON report carries the folded stacks themselves, so the
 * agent's consumers need no file.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "flamegraph.h"
#include "trigger_internal.h"

#define TOP_FUNCTIONS 5
/* JSON lines and bytes of stack text, so a report fits a Kafka message. */

void qz__trigger_resolve(struct qz_trigger *t, struct trigger_cpu *tc)
{
	uint64_t frames = qz_stackfold__frames(t->fold), unknown = qz_stackfold__unknown(t->fold);
	const struct qz_stack_entry *e;
	char line[8192], key[1024];
	size_t cur = 0;

	while ((e = qz_stacktab__next(tc->raw, &cur))) {
		qz_stackfold__line(t->fold, e, true, line, sizeof(line));
		qz_strcount__add(tc->folded, line, e->count);
		qz_stackfold__leaf(t->fold, e, key, sizeof(key), false);
		qz_strcount__add(tc->functions, key, e->count);
	}
	tc->frames += qz_stackfold__frames(t->fold) - frames;
	tc->unknown += qz_stackfold__unknown(t->fold) - unknown;
	tc->dropped += qz_stacktab__dropped(tc->raw);
	qz_stacktab__reset(tc->raw);
}

/* The SVG of a folded file, by quazar's own flame graph writer. */
static int write_svg(const char *folded, const char *svg, const char *title, char *err,
		     size_t err_len)
{
	return qz_flamegraph__svg_from_folded(folded, NULL, svg, title, err, err_len);
}

static int write_folded(const char *path, const struct strcount_entry *st, size_t nr)
{
	FILE *f = fopen(path, "w");
	int err = 0;

	if (!f)
		return -errno;
	for (size_t i = 0; i < nr; i++)
		fprintf(f, "%s %" PRIu64 "\n", st[i].key, st[i].count);
	if (ferror(f))
		err = -EIO;
	if (fclose(f) && !err)
		err = -errno;
	return err;
}

/* DIR/<time>-cpu<N>.folded and .svg; *file gets what was written last. */
static void write_files(struct qz_trigger *t, int cpu, struct trigger_cpu *tc,
			const struct strcount_entry *st, size_t nr, char *file, size_t len)
{
	char base[4096], folded[4200], svg[4200], stamp[32], title[128], err[512];
	struct tm tm;
	int ret;

	localtime_r(&tc->wall.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", &tm);
	snprintf(base, sizeof(base), "%s/%s-cpu%d", t->dir, stamp, cpu);
	snprintf(folded, sizeof(folded), "%s.folded", base);
	snprintf(svg, sizeof(svg), "%s.svg", base);
	ret = write_folded(folded, st, nr);
	if (ret) {
		qz_session__log(t->session, QZ_LOG_ERROR, "%s: cannot write %s: %s", t->o.name,
				folded, qz_strerror(ret));
		return;
	}
	snprintf(file, len, "%s", folded);
	snprintf(title, sizeof(title), "CPU%d %s %.1f%% from %s", cpu,
		 t->o.sys ? "sys" : "busy", tc->pct, stamp);
	if (!write_svg(folded, svg, title, err, sizeof(err)))
		snprintf(file, len, "%s", svg);
	else
		qz_session__log(t->session, QZ_LOG_DEBUG, "%s: %s", t->o.name, err);
}

static double share(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static void print_line(struct qz_trigger *t, int cpu, struct trigger_cpu *tc,
		       const struct strcount_entry *fn, size_t nr_fn, const char *file,
		       FILE *f)
{
	char stamp[16];
	struct tm tm;

	localtime_r(&tc->wall.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
	fprintf(f, "%s CPU%d %s %.1f%% >= %d%%, %" PRIu64 " samples in %.1f s:", stamp, cpu,
		t->o.sys ? "sys" : "busy", tc->pct, t->o.than, tc->samples,
		t->o.for_ns / 1e9);
	for (size_t i = 0; i < nr_fn && i < TOP_FUNCTIONS; i++) {
		const char *mod = strchr(fn[i].key, '\t') + 1;
		int len = (int)strcspn(fn[i].key, "\t"), mlen = (int)strcspn(mod, "\t");
		bool unknown = !strncmp(fn[i].key, "[unknown]\t", 10);

		/* A function without a name is told apart by its file. */
		if (unknown && mod[0] != '[')
			fprintf(f, "%s [%.*s]", i ? "," : "", mlen, mod);
		else if (unknown)
			fprintf(f, "%s %.*s", i ? "," : "", mlen, mod);
		else
			fprintf(f, "%s %.*s", i ? "," : "", len, fn[i].key);
		fprintf(f, " %.1f%%", share(fn[i].count, tc->samples));
	}
	fprintf(f, "%s%s\n", file[0] ? "; " : "", file);
	fflush(f);
}

static void json_functions(struct qz_json *j, struct trigger_cpu *tc,
			   const struct strcount_entry *fn, size_t nr_fn)
{
	qz_json__key(j, "functions");
	qz_json__begin_array(j);
	for (size_t i = 0; i < nr_fn && i < TOP_FUNCTIONS; i++) {
		const char *tab = strchr(fn[i].key, '\t'), *tab2 = strchr(tab + 1, '\t');

		qz_json__begin_object(j);
		qz_json__key(j, "sym");
		qz_json__strn(j, fn[i].key, (size_t)(tab - fn[i].key));
		qz_json__key(j, "module");
		qz_json__strn(j, tab + 1, (size_t)(tab2 - tab - 1));
		if (tab2[1])
			qz_json__key_str(j, "build_id", tab2 + 1);
		qz_json__key_u64(j, "samples", fn[i].count);
		qz_json__key_double(j, "pct", share(fn[i].count, tc->samples));
		qz_json__end_object(j);
	}
	qz_json__end_array(j);
}

static void print_json(struct qz_trigger *t, int cpu, struct trigger_cpu *tc,
		       const struct strcount_entry *fn, size_t nr_fn,
		       const struct strcount_entry *st, size_t nr_st, const char *file,
		       struct qz_output *out)
{
	struct qz_json *j = qz_output__begin(out, "sys-high", tc->end);

	qz_json__key_i64(j, "cpu", cpu);
	qz_json__key_str(j, "mode", t->o.sys ? "sys" : "busy");
	qz_json__key_double(j, "pct", tc->pct);
	qz_json__key_i64(j, "than", t->o.than);
	qz_json__key_u64(j, "start_ns", tc->start);
	qz_json__key_u64(j, "wall_start_ns", (uint64_t)tc->wall.tv_sec * 1000000000ull +
					     (uint64_t)tc->wall.tv_nsec);
	qz_json__key_u64(j, "for_ns", t->o.for_ns);
	qz_json__key_u64(j, "period_ns", t->burst_period);
	qz_json__key_u64(j, "samples", tc->samples);
	qz_json__key_u64(j, "idle", tc->idle);
	qz_json__key_u64(j, "dropped", tc->dropped);
	qz_json__key_u64(j, "frames", tc->frames);
	qz_json__key_u64(j, "unknown_frames", tc->unknown);
	if (file[0])
		qz_json__key_str(j, "file", file);
	json_functions(j, tc, fn, nr_fn);
	qz_strcount__json_folded(j, st, nr_st);
	qz_output__end(out);
}

void qz__trigger_report(struct qz_trigger *t, int cpu, struct qz_output *out)
{
	struct trigger_cpu *tc = &t->cpus[cpu];
	size_t nr_fn = 0, nr_st = 0;
	struct strcount_entry *fn = qz_strcount__sorted(tc->functions, &nr_fn);
	struct strcount_entry *st = qz_strcount__sorted(tc->folded, &nr_st);
	char file[4200] = "";

	tc->capturing = false;
	if (!fn || !st) {
		qz_session__log(t->session, QZ_LOG_ERROR, "%s: CPU%d: out of memory", t->o.name,
				cpu);
		goto out;
	}
	if (t->dir)
		write_files(t, cpu, tc, st, nr_st, file, sizeof(file));
	if (qz_output__json(out))
		print_json(t, cpu, tc, fn, nr_fn, st, nr_st, file, out);
	else
		print_line(t, cpu, tc, fn, nr_fn, file, qz_output__file(out));
out:
	free(fn);
	free(st);
	qz_strcount__reset(tc->folded);
	qz_strcount__reset(tc->functions);
}
