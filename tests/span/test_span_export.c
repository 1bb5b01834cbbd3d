// SPDX-License-Identifier: MIT
/*
 * The span exporter: batches by size and by age, a bounded buffer whose
 * drops are counted and logged, failed batches, flush, the final export
 * at free; and the JSON-lines exporter's records, parsed back.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <json-c/json.h>
#include <quazar/quazar.h>
#include "../test.h"

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct sink {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	size_t batches, spans, sizes[64];
	uint64_t at_ms[64];
	bool block;		/* hold the export until released */
	int delay_ms;		/* each export takes this long */
	int fail;		/* fail this many batches */
};

static int sink_export(const struct qz_span_data *const *spans, size_t n,
		       uint64_t deadline, void *ctx)
{
	struct sink *s = ctx;
	int err = 0;

	(void)spans;
	(void)deadline;
	if (s->delay_ms)
		usleep((useconds_t)s->delay_ms * 1000);
	pthread_mutex_lock(&s->lock);
	while (s->block)
		pthread_cond_wait(&s->cond, &s->lock);
	if (s->fail) {
		s->fail--;
		err = -EIO;
	}
	if (s->batches < 64) {
		s->sizes[s->batches] = n;
		s->at_ms[s->batches] = now_ms();
	}
	s->batches++;
	s->spans += n;
	pthread_mutex_unlock(&s->lock);
	return err;
}

static int warnings;
static char last_warning[256];

static void logger(enum qz_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= QZ_LOG_WARN) {
		warnings++;
		snprintf(last_warning, sizeof(last_warning), "%s", msg);
	}
}

static struct qz_span_data one_span(const char *name)
{
	struct qz_span_data d = { .sz = sizeof(d) };

	qz_span__end_copy(qz_span__begin(name, NULL), &d);
	return d;
}

static size_t batches(struct sink *s)
{
	size_t n;

	pthread_mutex_lock(&s->lock);
	n = s->batches;
	pthread_mutex_unlock(&s->lock);
	return n;
}

static void test_batch_by_size(void)
{
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export, .ctx = &s,
		.batch_size = 4, .batch_age_ms = 60000, .capacity = 64);
	struct qz_span_exporter *e = qz_span_exporter__new(&o);
	struct qz_span_data d = one_span("x");
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };
	uint64_t t0 = now_ms();

	for (int i = 0; i < 8; i++)
		CHECK_EQ(qz_span_exporter__push(e, &d), 0);
	/* Two full batches go at once, long before the age. */
	while (batches(&s) < 2 && now_ms() - t0 < 5000)
		usleep(1000);
	CHECK_EQ(batches(&s), 2);
	CHECK_EQ(s.sizes[0], 4);
	CHECK_EQ(s.sizes[1], 4);
	/* A partial batch waits for its age, or a flush. */
	CHECK_EQ(qz_span_exporter__push(e, &d), 0);
	usleep(50 * 1000);
	CHECK_EQ(batches(&s), 2);
	CHECK_EQ(qz_span_exporter__flush(e, 5000), 0);
	CHECK_EQ(batches(&s), 3);
	CHECK_EQ(qz_span_exporter__stats(e, &st), 0);
	CHECK_EQ(st.queued, 9);
	CHECK_EQ(st.exported, 9);
	CHECK_EQ(st.pending, 0);
	CHECK_EQ(st.batches, 3);
	st.sz = 4;
	CHECK_EQ(qz_span_exporter__stats(e, &st), -EINVAL);
	qz_span_exporter__free(e);
}

static void test_batch_by_age(void)
{
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER };
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export, .ctx = &s,
		.batch_size = 100, .batch_age_ms = 100);
	struct qz_span_exporter *e = qz_span_exporter__new(&o);
	struct qz_span_data d = one_span("x");
	uint64_t t0 = now_ms();

	CHECK_EQ(qz_span_exporter__push(e, &d), 0);
	CHECK_EQ(qz_span_exporter__push(e, &d), 0);
	while (!batches(&s) && now_ms() - t0 < 5000)
		usleep(1000);
	fprintf(stderr, "  a partial batch went after %llu ms (age 100 ms)\n",
		(unsigned long long)(s.at_ms[0] - t0));
	CHECK_EQ(s.sizes[0], 2);
	CHECK(s.at_ms[0] - t0 >= 95);
	CHECK(s.at_ms[0] - t0 < 2000);
	qz_span_exporter__free(e);
}

static void test_drops_counted_and_logged(void)
{
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  .block = true };
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export, .ctx = &s,
		.batch_size = 2, .capacity = 4, .log = logger);
	struct qz_span_exporter *e = qz_span_exporter__new(&o);
	struct qz_span_data d = one_span("x");
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };
	int dropped = 0;

	warnings = 0;
	/* The export is stuck: the buffer holds 4, the other 6 drop. */
	for (int i = 0; i < 10; i++)
		dropped += qz_span_exporter__push(e, &d) == -ENOBUFS;
	CHECK_EQ(dropped, 6);
	qz_span_exporter__stats(e, &st);
	CHECK_EQ(st.dropped, 6);
	CHECK_EQ(st.pending, 4);
	pthread_mutex_lock(&s.lock);
	s.block = false;
	pthread_cond_broadcast(&s.cond);
	pthread_mutex_unlock(&s.lock);
	CHECK_EQ(qz_span_exporter__flush(e, 5000), 0);
	qz_span_exporter__free(e);
	fprintf(stderr, "  logged: %s\n", last_warning);
	CHECK(warnings >= 2);	/* as it happened, and in the totals */
	CHECK(strstr(last_warning, "6 dropped") != NULL);
	CHECK_EQ(s.spans, 4);
}

static void test_failed_batch(void)
{
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  .fail = 1 };
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export, .ctx = &s,
		.batch_size = 3, .log = logger);
	struct qz_span_exporter *e = qz_span_exporter__new(&o);
	struct qz_span_data d = one_span("x");
	struct qz_span_exporter_stats st = { .sz = sizeof(st) };

	warnings = 0;
	for (int i = 0; i < 3; i++)
		qz_span_exporter__push(e, &d);
	CHECK_EQ(qz_span_exporter__flush(e, 5000), 0);
	/* Buffered spans are exported at free, without a flush. */
	qz_span_exporter__push(e, &d);
	qz_span_exporter__stats(e, &st);
	CHECK_EQ(st.failed, 3);
	qz_span_exporter__free(e);
	CHECK_EQ(s.spans, 4);
	CHECK(warnings >= 1);
}

/* free gives the last batches shutdown_ms, then drops them, logged. */
static void test_shutdown_deadline(void)
{
	struct sink s = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER,
			  .delay_ms = 300 };
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export, .ctx = &s,
		.batch_size = 1, .shutdown_ms = 100, .log = logger);
	struct qz_span_exporter *e = qz_span_exporter__new(&o);
	struct qz_span_data d = one_span("x");
	uint64_t t0;

	warnings = 0;
	for (int i = 0; i < 3; i++)
		qz_span_exporter__push(e, &d);
	usleep(20 * 1000);	/* the first batch is being exported */
	t0 = now_ms();
	qz_span_exporter__free(e);
	fprintf(stderr, "  free took %llu ms; logged: %s\n",
		(unsigned long long)(now_ms() - t0), last_warning);
	CHECK_EQ(s.spans, 1);
	CHECK(now_ms() - t0 < 1000);
	CHECK(strstr(last_warning, "2 failed") != NULL);
}

static void test_json_lines(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	QZ_OPTS(qz_output_opts, oo, .file = f, .json = true);
	struct qz_output *out = qz_output__new(&oo);
	struct qz_span_exporter *e = qz_span_exporter__new_json(out, NULL);
	QZ_OPTS(qz_tracer_opts, to, .exporter = e);
	struct qz_tracer *t = qz_tracer__new(&to);
	QZ_OPTS(qz_span_opts, so, .tracer = t, .kind = QZ_SPAN_KIND_SERVER);
	struct qz_span *a = qz_span__begin("GET /x", &so);
	struct qz_span *b = qz_span__begin("db \"q\"", NULL);
	struct qz_span_data ad = { .sz = sizeof(ad) };
	struct qz_span_data bd = { .sz = sizeof(bd) };
	char *line2;
	struct json_object *j1, *j2, *attrs, *v;
	char hex[17];

	qz_span__set_attr(b, "db.statement", "select 1");
	qz_span__set_attr_i64(b, "rows", 3);
	qz_span__end_copy(b, &bd);
	qz_span__end_copy(a, &ad);
	qz_span_exporter__free(e);
	qz_tracer__free(t);
	qz_output__flush(out);
	fclose(f);
	fprintf(stderr, "  %s", buf);
	line2 = strchr(buf, '\n');
	CHECK(line2 != NULL);
	if (!line2)
		goto out;
	*line2++ = '\0';
	j1 = json_tokener_parse(buf);
	j2 = json_tokener_parse(line2);
	CHECK(j1 && j2);
	if (!j1 || !j2)
		goto out;
	CHECK_STR(json_object_get_string(json_object_object_get(j1, "type")), "span");
	CHECK_STR(json_object_get_string(json_object_object_get(j1, "name")), "db \"q\"");
	CHECK_STR(json_object_get_string(json_object_object_get(j2, "kind")), "server");
	CHECK_EQ(json_object_get_uint64(json_object_object_get(j1, "ts")), bd.mono_end_ns);
	snprintf(hex, sizeof(hex), "%02x%02x%02x%02x%02x%02x%02x%02x",
		 ad.ctx.span_id[0], ad.ctx.span_id[1], ad.ctx.span_id[2],
		 ad.ctx.span_id[3], ad.ctx.span_id[4], ad.ctx.span_id[5],
		 ad.ctx.span_id[6], ad.ctx.span_id[7]);
	CHECK_STR(json_object_get_string(json_object_object_get(j1, "parent_span_id")), hex);
	CHECK_STR(json_object_get_string(json_object_object_get(j2, "span_id")), hex);
	CHECK(!json_object_object_get(j2, "parent_span_id"));
	CHECK_STR(json_object_get_string(json_object_object_get(j1, "trace_id")),
		  json_object_get_string(json_object_object_get(j2, "trace_id")));
	attrs = json_object_object_get(j1, "attrs");
	CHECK_STR(json_object_get_string(json_object_object_get(attrs, "db.statement")), "select 1");
	CHECK_EQ(json_object_get_int64(json_object_object_get(attrs, "rows")), 3);
	CHECK(json_object_object_get_ex(attrs, "perf.migrated", &v));
	CHECK(json_object_object_get_ex(attrs, "thread.id", &v));
	if (bd.counters) {
		CHECK(json_object_object_get_ex(attrs, "perf.task_clock_ns", &v));
		CHECK(json_object_object_get_ex(attrs, "perf.page_faults", &v));
		CHECK_STR(json_object_get_string(json_object_object_get(attrs, "perf.read")), "read");
	} else {
		CHECK(json_object_object_get_ex(attrs, "perf.unavailable", &v));
	}
	json_object_put(j1);
	json_object_put(j2);
out:
	qz_output__free(out);
	free(buf);
}

static void test_json_bad_opts(void)
{
	QZ_OPTS(qz_output_opts, oo, .file = stdout, .json = false);
	struct qz_output *text = qz_output__new(&oo);
	QZ_OPTS(qz_span_exporter_opts, o, .export = sink_export);

	errno = 0;
	CHECK(!qz_span_exporter__new_json(text, NULL));
	CHECK_EQ(errno, EINVAL);
	oo.json = true;
	qz_output__free(text);
	text = qz_output__new(&oo);
	CHECK(!qz_span_exporter__new_json(text, &o));
	CHECK(!qz_span_exporter__new(NULL));
	qz_output__free(text);
	qz_span_exporter__free(NULL);
}

int main(void)
{
	RUN(test_batch_by_size);
	RUN(test_batch_by_age);
	RUN(test_drops_counted_and_logged);
	RUN(test_failed_batch);
	RUN(test_shutdown_deadline);
	RUN(test_json_lines);
	RUN(test_json_bad_opts);
	qz_span__close_thread();
	return test_result();
}
