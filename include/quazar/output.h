/* SPDX-License-Identifier: MIT */
/*
 * Where a session's records go: text for people on a stream, or one JSON
 * object per line for machines. Every JSON record starts with "ts" and
 * "type"; a caller adds its envelope (host, seq, ...) through the
 * envelope hook and takes each finished line through deliver.
 */
#ifndef QUAZAR_OUTPUT_H
#define QUAZAR_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <quazar/common.h>
#include <quazar/json.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_output;

struct qz_output_opts {
	size_t sz;
	FILE *file;		/* text, or JSON lines when deliver is NULL */
	bool json;
	/* Called after "ts" and "type", to add envelope fields. */
	void (*envelope)(struct qz_json *j, const char *type, void *ctx);
	/* Takes each finished JSON line (with its '\n') instead of file. */
	void (*deliver)(const char *line, size_t len, const char *type, void *ctx);
	void *ctx;
};

QZ_API struct qz_output *qz_output__new(const struct qz_output_opts *opts);
QZ_API void qz_output__free(struct qz_output *out);
QZ_API bool qz_output__json(const struct qz_output *out);
/* The text stream (borrowed); NULL when lines are delivered elsewhere. */
QZ_API FILE *qz_output__file(struct qz_output *out);
/*
 * Start a JSON record: writes {"ts":ts,"type":type, and the envelope; the
 * caller adds its fields to the returned writer (borrowed) and calls end.
 */
QZ_API struct qz_json *qz_output__begin(struct qz_output *out, const char *type,
					uint64_t ts);
/*
 * Close the record and deliver the line, or queue it for the file: lines
 * are written in large blocks, at the latest by qz_output__flush.
 */
QZ_API int qz_output__end(struct qz_output *out);
/* Write queued lines and fflush the file. 0 or the first write error. */
QZ_API int qz_output__flush(struct qz_output *out);
/* The first write error seen (-errno), 0 if none: a full disk or closed pipe. */
QZ_API int qz_output__error(const struct qz_output *out);
/* Records written so far. */
QZ_API uint64_t qz_output__records(const struct qz_output *out);

#ifdef __cplusplus
}
#endif

#endif
