-- quazar's fleet schema for ClickHouse 18.16 and later (docs/fleet.md).
-- `quazar ingest -c FILE --init` creates the database and runs this file in
-- it, statement by statement (each ends with a ';' at the end of a line).
--
-- Every table carries the report's envelope: host, collector, seq,
-- interval_start and interval_end (ns since the epoch) and `time`, the
-- interval's end in seconds, which partitions the table by day.
--
-- Exactly once: every table is a ReplacingMergeTree whose ORDER BY holds
-- (host, collector, seq, interval_end), a report's identity (an agent
-- restarted without state_dir starts its seq at 1 again, with a new
-- interval_end), and what tells the rows of one report apart. So a report
-- inserted twice (ingest killed between its insert and its offset commit,
-- or an agent that sent it twice) is one row after a merge, and at once in
-- queries that read with FINAL or group by the key.
--
-- TTL: 18.16 has no TTL clause. `clickhouse.ttl` in ingest's config drops
-- the day partitions older than it, hourly (ALTER TABLE ... DROP PARTITION).

-- One row per report of any type: the index `fleet lost` reads.
CREATE TABLE IF NOT EXISTS reports (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	type String, ts UInt64,
	label_keys Array(String), label_values Array(String),
	bytes UInt32, kafka_partition Int32, kafka_offset Int64,
	ingested DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (host, collector, seq, interval_end);

-- stat: one row per (report, event, cpu); per_cpu 0 is the event's total.
CREATE TABLE IF NOT EXISTS stat (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	event String, per_cpu UInt8, cpu Int32,
	value UInt64, scaled Float64, running_pct Float64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, event, per_cpu, cpu);

-- top: its rows, in rank order; the sums of top-by/top-add fields by name.
CREATE TABLE IF NOT EXISTS top (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	rank UInt16, key_name String, key Int64, comm String, count UInt64,
	field_names Array(String), field_values Array(Int64)
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, rank);

-- multi_trace: one row per (report, pair[, instance]) with its percentiles.
CREATE TABLE IF NOT EXISTS multi_trace (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	pair_start String, pair_end String, key_name String,
	instance UInt64, other UInt8, comm String,
	calls UInt64, total UInt64, min UInt64,
	p50 UInt64, p95 UInt64, p99 UInt64, max UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, pair_start, pair_end, instance, other);

CREATE TABLE IF NOT EXISTS task_state (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	tid UInt32, comm String, state String,
	calls UInt64, total UInt64, min UInt64,
	p50 UInt64, p95 UInt64, p99 UInt64, max UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, tid, state);

-- kmemleak: the report's counters; its leak groups in kmemleak_leaks.
CREATE TABLE IF NOT EXISTS kmemleak (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	final UInt8, allocs UInt64, frees UInt64,
	alloc_bytes UInt64, free_bytes UInt64, unmatched_frees UInt64,
	leaked_objects UInt64, leaked_bytes UInt64, pending UInt64,
	evicted UInt64, evicted_bytes UInt64, lost UInt64, late UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end);

-- stack: folded, root first ("main;alloc_here").
CREATE TABLE IF NOT EXISTS kmemleak_leaks (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	rank UInt16, bytes UInt64, objects UInt64, stack String
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, rank);

-- kvm: one row per VM lifecycle step...
CREATE TABLE IF NOT EXISTS vm (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	ts UInt64, event String, pid UInt32, comm String,
	vms UInt32, vcpus UInt32, age_ns UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (host, collector, seq, interval_end);

-- ...and each interval's summary, the VMs alive as parallel arrays.
CREATE TABLE IF NOT EXISTS vms (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	alive UInt32, created UInt32, destroyed UInt32,
	vm_pid Array(UInt32), vm_comm Array(String), vm_name Array(String),
	vm_vcpus Array(UInt32), vm_age_ns Array(UInt64), vm_exits Array(UInt64),
	vm_user_exits Array(UInt64), vm_guest_ns Array(UInt64)
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (host, collector, seq, interval_end);

-- profile: one row per report, the sampled CPUs as parallel arrays.
CREATE TABLE IF NOT EXISTS profile (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	period_ns UInt64, samples UInt64,
	cpu Array(Int32), cpu_samples Array(UInt64), cpu_idle Array(UInt64),
	cpu_busy_pct Array(Float64)
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end);

CREATE TABLE IF NOT EXISTS profile_functions (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	rank UInt16, sym String, module String, samples UInt64, pct Float64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end, rank);

-- Folded stacks, "comm;root;...;leaf": time first, for fleet flame graphs.
CREATE TABLE IF NOT EXISTS profile_stacks (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	rank UInt16, stack String, samples UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (time, host, collector, seq, interval_end, rank);

-- trace: one event per report; its tracepoint fields as JSON text.
CREATE TABLE IF NOT EXISTS events (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	ts UInt64, event String, cpu Int32, pid Int32, tid Int32, comm String,
	fields String, period UInt64, stack String
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (collector, host, time, seq, interval_end);

-- Events the kernel dropped (a ring was full), as the collector said.
CREATE TABLE IF NOT EXISTS lost (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	cpu Int32, lost UInt64
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(time)
ORDER BY (host, collector, seq, interval_end);

-- What could not be flattened, never dropped: a type ingest does not know,
-- a message that is not a report, a report with a missing or bad field.
-- The envelope is what could be read of it (empty, 0 when not). msg_id is
-- "topic/partition/offset" for a message without an envelope (so copies
-- of it count once), empty otherwise. Partitioned by the day it came.
CREATE TABLE IF NOT EXISTS raw (
	host String, collector String, seq UInt64,
	interval_start UInt64, interval_end UInt64,
	time DateTime DEFAULT toDateTime(intDiv(interval_end, 1000000000)),
	type String, reason String, message String, msg_id String,
	kafka_topic String, kafka_partition Int32, kafka_offset Int64,
	ingested DateTime DEFAULT now()
) ENGINE = ReplacingMergeTree
PARTITION BY toDate(ingested)
ORDER BY (host, collector, seq, interval_end, msg_id);
