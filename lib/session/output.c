// SPDX-License-Identifier: MIT
/* Text or JSON-lines output, with envelope and delivery hooks for callers. */
#include <errno.h>
#include <stdlib.h>
#include <quazar/output.h>
#include "../internal.h"

struct qz_output {
	FILE *file;
	bool json;
	void (*envelope)(struct qz_json *j, const char *type, void *ctx);
	void (*deliver)(const char *line, size_t len, const char *type, void *ctx);
	void *ctx;
	struct qz_json *writer;
	const char *type;	/* of the record being written */
	int error;
	uint64_t records;
};

QZ_API struct qz_output *qz_output__new(const struct qz_output_opts *opts)
{
	struct qz_output *out;

	QZ_OPTS_CHECK_OR_NULL(opts);
	out = calloc(1, sizeof(*out));
	if (!out)
		return NULL;
	out->file = QZ_OPT(opts, file, stdout);
	out->json = QZ_OPT(opts, json, false);
	out->envelope = QZ_OPT(opts, envelope, NULL);
	out->deliver = QZ_OPT(opts, deliver, NULL);
	out->ctx = QZ_OPT(opts, ctx, NULL);
	if (out->deliver)
		out->json = true;
	out->writer = qz_json__new();
	if (!out->writer) {
		free(out);
		errno = ENOMEM;
		return NULL;
	}
	return out;
}

QZ_API void qz_output__free(struct qz_output *out)
{
	if (!out)
		return;
	qz_json__free(out->writer);
	free(out);
}

QZ_API bool qz_output__json(const struct qz_output *out)
{
	return out->json;
}

QZ_API FILE *qz_output__file(struct qz_output *out)
{
	return out->deliver ? NULL : out->file;
}

#define FLUSH_BYTES (64 * 1024)

QZ_API struct qz_json *qz_output__begin(struct qz_output *out, const char *type,
					uint64_t ts)
{
	/* Lines for a file accumulate; a delivered line goes alone. */
	if (out->deliver)
		qz_json__reset(out->writer);
	qz_json__begin_object(out->writer);
	qz_json__key_u64(out->writer, "ts", ts);
	qz_json__key_str(out->writer, "type", type);
	if (out->envelope)
		out->envelope(out->writer, type, out->ctx);
	out->type = type;
	return out->writer;
}

static int write_queued(struct qz_output *out)
{
	struct qz_json *j = out->writer;
	size_t len = qz_json__len(j);

	if (len && fwrite(qz_json__data(j), 1, len, out->file) != len && !out->error)
		out->error = -(errno ? errno : EIO);
	qz_json__reset(j);
	return out->error;
}

QZ_API int qz_output__end(struct qz_output *out)
{
	struct qz_json *j = out->writer;

	qz_json__end_object(j);
	qz_json__newline(j);
	if (qz_json__error(j)) {
		out->error = qz_json__error(j);
		qz_json__reset(j);
		return out->error;
	}
	out->records++;
	if (out->deliver) {
		out->deliver(qz_json__data(j), qz_json__len(j), out->type, out->ctx);
		return 0;
	}
	if (qz_json__len(j) >= FLUSH_BYTES)
		return write_queued(out);
	return 0;
}

QZ_API int qz_output__flush(struct qz_output *out)
{
	if (out->deliver)
		return 0;
	write_queued(out);
	if (fflush(out->file) && !out->error)
		out->error = -(errno ? errno : EIO);
	return out->error;
}

QZ_API int qz_output__error(const struct qz_output *out)
{
	if (!out->error && out->file && !out->deliver && ferror(out->file))
		return -EIO;
	return out->error;
}

QZ_API uint64_t qz_output__records(const struct qz_output *out)
{
	return out->records;
}
