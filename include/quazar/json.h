/* SPDX-License-Identifier: MIT */
/*
 * A streaming JSON writer into a growable buffer: one object per line for
 * JSON-lines reports. Keys and strings are escaped, and invalid UTF-8 in
 * them becomes U+FFFD (one per maximal invalid subpart), so every line
 * parses; numbers are exact.
 *
 *	qz_json__begin_object(j);
 *	qz_json__key_str(j, "type", "event");
 *	qz_json__key_u64(j, "ts", ts);
 *	qz_json__end_object(j);
 *	qz_json__newline(j);
 *	fwrite(qz_json__data(j), 1, qz_json__len(j), out);
 *	qz_json__reset(j);
 */
#ifndef QUAZAR_JSON_H
#define QUAZAR_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_json;

/* Containers nest at most this deep; deeper is an error (-E2BIG). */
#define QZ_JSON_MAX_DEPTH 32

QZ_API struct qz_json *qz_json__new(void);
QZ_API void qz_json__free(struct qz_json *j);
/* Forget the content and any error, keep the memory. */
QZ_API void qz_json__reset(struct qz_json *j);
/* The text so far (borrowed, NUL-terminated) and its length. */
QZ_API const char *qz_json__data(const struct qz_json *j);
QZ_API size_t qz_json__len(const struct qz_json *j);
/*
 * The first error, until reset: -ENOMEM (the buffer could not grow),
 * -E2BIG (nesting past QZ_JSON_MAX_DEPTH), -EINVAL (a container closed
 * that was not open). Nothing is written after it: the text stops there.
 */
QZ_API int qz_json__error(const struct qz_json *j);

QZ_API void qz_json__begin_object(struct qz_json *j);
QZ_API void qz_json__end_object(struct qz_json *j);
QZ_API void qz_json__begin_array(struct qz_json *j);
QZ_API void qz_json__end_array(struct qz_json *j);
/* Ends the current line: the writer is back at the top level. */
QZ_API void qz_json__newline(struct qz_json *j);

/* The next value's key, inside an object. */
QZ_API void qz_json__key(struct qz_json *j, const char *key);
QZ_API void qz_json__str(struct qz_json *j, const char *s);
QZ_API void qz_json__strn(struct qz_json *j, const char *s, size_t len);
QZ_API void qz_json__i64(struct qz_json *j, int64_t v);
QZ_API void qz_json__u64(struct qz_json *j, uint64_t v);
/* Non-finite doubles are written as null: JSON has no NaN. */
QZ_API void qz_json__double(struct qz_json *j, double v);
QZ_API void qz_json__bool(struct qz_json *j, bool v);
QZ_API void qz_json__null(struct qz_json *j);
/* Already-valid JSON text (valid UTF-8 too), inserted as one value. */
QZ_API void qz_json__raw(struct qz_json *j, const char *json, size_t len);

/* key + value in one call. */
QZ_API void qz_json__key_str(struct qz_json *j, const char *key, const char *s);
QZ_API void qz_json__key_i64(struct qz_json *j, const char *key, int64_t v);
QZ_API void qz_json__key_u64(struct qz_json *j, const char *key, uint64_t v);
QZ_API void qz_json__key_double(struct qz_json *j, const char *key, double v);
QZ_API void qz_json__key_bool(struct qz_json *j, const char *key, bool v);

#ifdef __cplusplus
}
#endif

#endif
