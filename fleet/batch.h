/* SPDX-License-Identifier: MIT */
/*
 * A batch: the rows of each ClickHouse table in TabSeparated text, filled by
 * flattening reports (flatten*.c) and sent by ingest, one INSERT per table.
 * It knows nothing of Kafka but where a message came from, so the unit
 * tests and bench/ingest feed it directly.
 */
#ifndef QUAZAR_FLEET_BATCH_H
#define QUAZAR_FLEET_BATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The tables of deploy/clickhouse/schema.sql, in its order. */
enum qz_fleet_table {
	QZ_FT_REPORTS,
	QZ_FT_STAT,
	QZ_FT_TOP,
	QZ_FT_MULTI_TRACE,
	QZ_FT_TASK_STATE,
	QZ_FT_KMEMLEAK,
	QZ_FT_KMEMLEAK_LEAKS,
	QZ_FT_VM,
	QZ_FT_VMS,
	QZ_FT_PROFILE,
	QZ_FT_PROFILE_FUNCTIONS,
	QZ_FT_PROFILE_STACKS,
	QZ_FT_EVENTS,
	QZ_FT_LOST,
	QZ_FT_RAW,
	QZ_FT_NR
};

struct qz_fleet_table_def {
	const char *name;
	const char *columns;	/* the INSERT's column list, in row order */
};

extern const struct qz_fleet_table_def qz_fleet_tables[QZ_FT_NR];

/* Why a message went to the raw table. */
enum qz_fleet_raw_kind {
	QZ_RAW_UNKNOWN_TYPE,	/* a report of a type not flattened */
	QZ_RAW_NOT_REPORT,	/* not JSON, not an object */
	QZ_RAW_NO_ENVELOPE,	/* an envelope field missing or bad */
	QZ_RAW_BAD_PAYLOAD,	/* a known type with a missing or bad field */
	QZ_RAW_KINDS
};

extern const char *const qz_fleet_raw_kind_names[QZ_RAW_KINDS];

struct qz_buf {
	char *data;
	size_t len, cap;
	int err;		/* -ENOMEM once a write failed */
};

struct qz_fleet_batch {
	struct qz_buf rows[QZ_FT_NR];
	uint64_t nrows[QZ_FT_NR];
	size_t sent[QZ_FT_NR];		/* bytes inserted already: a retry skips them */
	uint64_t reports;		/* messages with a readable envelope */
	uint64_t messages;
	uint64_t raw[QZ_RAW_KINDS];
	uint64_t rows_total;
	uint64_t first_ms;		/* when the first message came; 0: empty */
	struct qz_buf scratch;		/* a report's envelope, as row text */
};

/* Where a message came from, kept in reports and raw. */
struct qz_fleet_origin {
	const char *topic;
	int32_t partition;
	int64_t offset;
};

void qz_fleet_batch__init(struct qz_fleet_batch *b);
/* Empties it, keeping the memory. */
void qz_fleet_batch__reset(struct qz_fleet_batch *b);
void qz_fleet_batch__release(struct qz_fleet_batch *b);
size_t qz_fleet_batch__bytes(const struct qz_fleet_batch *b);
/*
 * Flattens one message into rows. Whatever it is, it lands somewhere: in
 * the typed tables, or in raw with the reason. Returns 0, or -ENOMEM.
 */
int qz_fleet_batch__add(struct qz_fleet_batch *b, const char *msg, size_t len,
			const struct qz_fleet_origin *o);

/* TabSeparated writing: values are escaped as ClickHouse reads them. */
void qz_buf__put(struct qz_buf *b, const char *s, size_t n);
void qz_buf__str(struct qz_buf *b, const char *s, size_t n);	/* escaped */
void qz_buf__u64(struct qz_buf *b, uint64_t v);
void qz_buf__i64(struct qz_buf *b, int64_t v);
void qz_buf__f64(struct qz_buf *b, double v);
void qz_buf__truncate(struct qz_buf *b, size_t len);

#endif
