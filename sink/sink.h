/* SPDX-License-Identifier: MIT */
/*
 * Sinks take complete JSON lines, one report per line, and deliver them:
 * to a file descriptor (stdout), to a file rotated by size, or to Kafka.
 *
 *	QZ_OPTS(qz_sink_kafka_opts, o, .brokers = "host:9092", .topic = "t",
 *		.spool_dir = "/var/spool/quazar/main");
 *	struct qz_sink *s = qz_sink__new_kafka(&o);
 *	qz_sink__write(s, line, len, "collector-a");
 *	...
 *	lost = qz_sink__close(s, 5000);	// delivered or spooled, but for `lost`
 *	qz_sink__free(s);
 *
 * Every sink is safe to write from several threads at once. Writes never
 * fail silently: an error is returned, counted in the stats and logged.
 *
 * The spool (below) is the Kafka sink's bounded on-disk backlog. Its policy:
 *  - a report whose delivery report failed (librdkafka's message.timeout.ms
 *    expired, e.g. all brokers down) goes to the spool; at the first failure
 *    the sink purges librdkafka's queue so later reports follow it there in
 *    order, and new writes go to the spool until it has been replayed;
 *  - the spool is replayed in order once a broker answers again, and when a
 *    sink is opened over a non-empty spool, before any new report;
 *  - close(deadline) delivers what it can by the deadline, then purges the
 *    queue and spools what is left, then fsyncs the spool;
 *  - a full spool drops its oldest reports, counts them and logs it.
 * Reports of one key keep their order throughout.
 */
#ifndef QUAZAR_SINK_H
#define QUAZAR_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <quazar/common.h>

#ifdef __cplusplus
extern "C" {
#endif

struct qz_sink;

struct qz_sink_stats {
	size_t sz;
	uint64_t written;	/* reports accepted by qz_sink__write() */
	uint64_t delivered;	/* written out (fd, file) or acked by Kafka */
	uint64_t queued;	/* in the producer queue, not yet acked */
	uint64_t held;		/* in memory while the queue is drained */
	uint64_t spooled;	/* reports ever appended to the spool */
	uint64_t replayed;	/* spooled reports delivered later */
	uint64_t spool_records;	/* reports in the spool now */
	uint64_t spool_bytes;	/* the spool's size on disk */
	uint64_t spool_dropped;	/* oldest reports dropped from a full spool */
	uint64_t errors;	/* failed writes and delivery errors */
	uint64_t rotations;	/* file sink: rotations done */
	uint64_t reordered;	/* kafka: acked out of order after an outage */
	/*
	 * kafka: reports that failed after being sent (the brokers may have
	 * stored them unacked) and were sent again without the topic having
	 * been read back to see: each may reach it twice. Read back, they are
	 * sent again only when absent, and are not counted.
	 */
	uint64_t possible_dups;
	/* kafka: spooled reports found damaged on disk and skipped. */
	uint64_t spool_corrupt;
	/* kafka: fatal producer errors (each one recreates the producer). */
	uint64_t fatal_errors;
	/* kafka: 1 while the producer is failed and not yet recreated. */
	uint64_t fatal;
	/* kafka: the spool's bound in bytes; 0 for sinks without a spool. */
	uint64_t spool_max_bytes;
	/* kafka: 1 when an earlier run with this spool reached its brokers. */
	uint64_t reached_before;
};

/* Logging, shared by every sink's opts as their first fields after sz. */
struct qz_sink_fd_opts {
	size_t sz;
	qz_log_fn log_fn;
	void *log_ctx;
	bool close_fd;		/* qz_sink__close() closes the fd too */
};

/*
 * A sink writing each line with write(2), unbuffered, so nothing sits in a
 * buffer at a crash. A closed pipe gives -EPIPE (never SIGPIPE).
 */
struct qz_sink *qz_sink__new_fd(int fd, const struct qz_sink_fd_opts *opts);
/* qz_sink__new_fd(STDOUT_FILENO, opts). */
struct qz_sink *qz_sink__new_stdout(const struct qz_sink_fd_opts *opts);

struct qz_sink_file_opts {
	size_t sz;
	qz_log_fn log_fn;
	void *log_ctx;
	uint64_t max_bytes;	/* rotate before a line would pass it; 0: never */
	unsigned int max_files;	/* rotated files kept: path.1 .. path.N */
	unsigned int mode;	/* file mode at creation; 0: 0644 */
};

/*
 * A file, appended to. When a line would take it past max_bytes it is
 * renamed path.1 (path.1 to path.2, ... path.N is deleted) and a new one is
 * opened. A line is never split across files.
 */
struct qz_sink *qz_sink__new_file(const char *path,
					 const struct qz_sink_file_opts *opts);

struct qz_sink_kafka_opts {
	size_t sz;
	qz_log_fn log_fn;
	void *log_ctx;
	const char *brokers;	/* bootstrap.servers; required */
	const char *topic;	/* required */
	const char *key;	/* key for writes that give none; NULL: no key */
	const char *compression; /* none|gzip|snappy|lz4|zstd; NULL: none */
	const char *acks;	/* NULL: "all" (idempotence requires it) */
	/* Other librdkafka properties, name then value, NULL-terminated:
	 * security.protocol, sasl.*, ssl.*, linger.ms, ... */
	const char *const *properties;
	const char *spool_dir;	/* required: created if missing */
	uint64_t spool_max_bytes; /* 0: 256 MiB */
	/* A report not acked within this goes to the spool; 0: 30000. */
	unsigned int message_timeout_ms;
	/* How often to ask the brokers whether they are back; 0: 1000. */
	unsigned int retry_ms;
	/*
	 * Durability disk: every report is appended to the spool before it is
	 * produced, and committed when acked, so a crash of the process loses
	 * none the sink took. The spool is fsynced at most every sync_ms (0:
	 * 100), one fsync for every report appended meanwhile.
	 */
	bool durability_disk;
	unsigned int sync_ms;
};

/*
 * An idempotent librdkafka producer (enable.idempotence=true, acks=all)
 * with delivery reports and the spool. A thread of its own serves delivery
 * reports and replays the spool; callers need not poll. Returns NULL with
 * errno: EINVAL (a bad option or property, logged with librdkafka's reason).
 */
struct qz_sink *qz_sink__new_kafka(const struct qz_sink_kafka_opts *opts);

/*
 * One report: a complete JSON line, with or without its trailing newline
 * (fd and file sinks add it, Kafka drops it). key may be NULL; only Kafka
 * uses it: reports of one key go to one partition, in order. Returns 0, or
 * -EPIPE/-EIO/... (fd, file), -ESHUTDOWN after close, -EMSGSIZE.
 */
int qz_sink__write(struct qz_sink *sink, const char *line, size_t len,
			  const char *key);
/*
 * Following reports to safety. A report written with
 * qz_sink__write_tracked() is settled once, when a crash of this process can
 * no longer lose it: written out (fd, file), acked by the brokers or appended
 * to the spool (Kafka); or when the sink gives up on it (err < 0, logged and
 * counted by the sink). The callback runs on the writing thread or on the
 * sink's own, with the sink's lock held: it must not call the sink.
 */
typedef void (*qz_sink_settled_fn)(void *owner, uint64_t id, int err);
/* Set it before the first write. */
void qz_sink__set_settled(struct qz_sink *sink, qz_sink_settled_fn fn);
/* qz_sink__write(), then settled(owner, id, err) when the report is safe. */
int qz_sink__write_tracked(struct qz_sink *sink, const char *line, size_t len,
			   const char *key, void *owner, uint64_t id);
/*
 * Kafka: a copy of the newest report in the spool not yet acked (owned:
 * free it), or NULL with errno ENOENT (none, or another kind of sink).
 */
char *qz_sink__last_spooled(struct qz_sink *sink, size_t *len);
/*
 * Wait until every report written so far is delivered (or, for Kafka,
 * delivered or spooled), at most deadline_ms (-1: no limit). 0 or -ETIMEDOUT.
 */
int qz_sink__flush(struct qz_sink *sink, int deadline_ms);
/*
 * Stop taking writes; deliver what can be by deadline_ms, spool the rest,
 * sync the spool. Returns how many reports were neither delivered nor
 * spooled (0 when nothing was lost), or -errno. Idempotent.
 */
int qz_sink__close(struct qz_sink *sink, int deadline_ms);
/* Closes with deadline 0 when not closed yet. NULL is fine. */
void qz_sink__free(struct qz_sink *sink);
int qz_sink__stats(struct qz_sink *sink, struct qz_sink_stats *stats);
/* "fd", "file" or "kafka" (static). */
const char *qz_sink__type(const struct qz_sink *sink);
/*
 * Can the sink reach where it writes? Kafka asks a broker for the topic's
 * metadata within timeout_ms: 0, or -EHOSTUNREACH. Other sinks: 0.
 */
int qz_sink__probe(struct qz_sink *sink, int timeout_ms);

/*
 * The spool: a directory of append-only segment files of length-prefixed,
 * CRC-checked records, plus a checkpoint naming the first record not yet
 * consumed. Records keep their order. Not thread-safe: its user locks.
 *
 * Records are numbered from 0 over the spool's life. A read cursor walks
 * them from the head without consuming; commit consumes up to a number.
 * A torn record at the end of the last segment (a crash) is cut off at
 * open. A damaged record elsewhere is skipped: the reader resyncs on the
 * next good one (magic and CRC), and the damage keeps one number, never
 * read back; numbers no segment holds are skipped too. Readers must treat
 * numbers they did not get as consumed. A segment that cannot be read is
 * renamed NAME.seg.corrupt. Skipped records are counted (stats.corrupt).
 */
struct qz_spool;

struct qz_spool_opts {
	size_t sz;
	qz_log_fn log_fn;
	void *log_ctx;
	uint64_t max_bytes;	/* 0: 256 MiB. Full: the oldest are dropped */
	uint64_t segment_bytes;	/* 0: max_bytes / 16, at least 64 KiB */
};

struct qz_spool_stats {
	size_t sz;
	uint64_t records;	/* not consumed */
	uint64_t bytes;		/* of the segment files on disk */
	uint64_t appended;	/* since open */
	uint64_t dropped;	/* since open: dropped as the oldest when full */
	uint64_t segments;
	uint64_t head;		/* number of the first record not consumed */
	uint64_t tail;		/* number the next appended record gets */
	/* Since open: unconsumed records found damaged and skipped. */
	uint64_t corrupt;
	uint64_t max_bytes;	/* the bound in force */
};

/* One record read back; key and data are borrowed until the next call. */
struct qz_spool_rec {
	uint64_t index;
	const char *key;	/* NULL when appended without a key */
	size_t key_len;
	const char *data;
	size_t len;
};

/* Opens (creating the directory) and recovers what a previous run left. */
struct qz_spool *qz_spool__open(const char *dir,
				       const struct qz_spool_opts *opts);
/* Syncs and frees. NULL is fine. */
void qz_spool__free(struct qz_spool *sp);
/* Appends; drops the oldest records to make room. key may be NULL (none).
 * -EMSGSIZE when the record alone is larger than a segment. */
int qz_spool__append(struct qz_spool *sp, const void *key, size_t key_len,
			    const void *data, size_t len);
/* The next record at the read cursor: 1, 0 at the end, or -errno. */
int qz_spool__read(struct qz_spool *sp, struct qz_spool_rec *rec);
/* Moves the read cursor back to the head (or to record `index`). */
int qz_spool__rewind(struct qz_spool *sp, uint64_t index);
/* Consumes every record below `index`; deletes segments left empty. */
int qz_spool__commit(struct qz_spool *sp, uint64_t index);
/* fsync the newest segment and write the checkpoint (atomically, by
 * rename). Older segments were fsynced as they filled. */
int qz_spool__sync(struct qz_spool *sp);
/* Write the checkpoint now, by rename, without fsync: safe from a crash
 * of the process, not from a power loss. */
int qz_spool__checkpoint(struct qz_spool *sp);
/*
 * The user's note: one line (no newline) kept in the checkpoint and written
 * with the head whenever it is, so the two always agree. qz_spool__note()
 * gives the one set last, or read at open ("" when none; borrowed).
 */
int qz_spool__set_note(struct qz_spool *sp, const char *note);
const char *qz_spool__note(const struct qz_spool *sp);
/* A new fd on the newest segment, to fsync without the user's lock held;
 * -ENOENT when there is none. The caller closes it. */
int qz_spool__dup_fd(const struct qz_spool *sp);
void qz_spool__stats(const struct qz_spool *sp, struct qz_spool_stats *st);

#ifdef __cplusplus
}
#endif

#endif
