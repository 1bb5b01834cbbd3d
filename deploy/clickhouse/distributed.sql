-- quazar's fleet schema on a sharded ClickHouse cluster (docs/fleet.md,
-- "Scaling ClickHouse"). On every node:
--   1. the local tables: schema.sql in database quazar_shard
--      (`quazar ingest --init` with clickhouse.database: quazar_shard);
--   2. this file in database quazar: a Distributed table over each local
--      table, with the same name, so ingest and `quazar fleet` use
--      database quazar unchanged.
-- The cluster is named quazar in the servers' <remote_servers>. Rows are
-- sharded by host: every report of a host lands on one shard, so FINAL
-- (which ClickHouse runs on each shard) still folds its copies.

CREATE TABLE IF NOT EXISTS reports AS quazar_shard.reports
	ENGINE = Distributed(quazar, quazar_shard, reports, cityHash64(host));

CREATE TABLE IF NOT EXISTS stat AS quazar_shard.stat
	ENGINE = Distributed(quazar, quazar_shard, stat, cityHash64(host));

CREATE TABLE IF NOT EXISTS top AS quazar_shard.top
	ENGINE = Distributed(quazar, quazar_shard, top, cityHash64(host));

CREATE TABLE IF NOT EXISTS multi_trace AS quazar_shard.multi_trace
	ENGINE = Distributed(quazar, quazar_shard, multi_trace, cityHash64(host));

CREATE TABLE IF NOT EXISTS task_state AS quazar_shard.task_state
	ENGINE = Distributed(quazar, quazar_shard, task_state, cityHash64(host));

CREATE TABLE IF NOT EXISTS kmemleak AS quazar_shard.kmemleak
	ENGINE = Distributed(quazar, quazar_shard, kmemleak, cityHash64(host));

CREATE TABLE IF NOT EXISTS kmemleak_leaks AS quazar_shard.kmemleak_leaks
	ENGINE = Distributed(quazar, quazar_shard, kmemleak_leaks, cityHash64(host));

CREATE TABLE IF NOT EXISTS vm AS quazar_shard.vm
	ENGINE = Distributed(quazar, quazar_shard, vm, cityHash64(host));

CREATE TABLE IF NOT EXISTS vms AS quazar_shard.vms
	ENGINE = Distributed(quazar, quazar_shard, vms, cityHash64(host));

CREATE TABLE IF NOT EXISTS profile AS quazar_shard.profile
	ENGINE = Distributed(quazar, quazar_shard, profile, cityHash64(host));

CREATE TABLE IF NOT EXISTS profile_functions AS quazar_shard.profile_functions
	ENGINE = Distributed(quazar, quazar_shard, profile_functions, cityHash64(host));

CREATE TABLE IF NOT EXISTS profile_stacks AS quazar_shard.profile_stacks
	ENGINE = Distributed(quazar, quazar_shard, profile_stacks, cityHash64(host));

CREATE TABLE IF NOT EXISTS events AS quazar_shard.events
	ENGINE = Distributed(quazar, quazar_shard, events, cityHash64(host));

CREATE TABLE IF NOT EXISTS lost AS quazar_shard.lost
	ENGINE = Distributed(quazar, quazar_shard, lost, cityHash64(host));

CREATE TABLE IF NOT EXISTS raw AS quazar_shard.raw
	ENGINE = Distributed(quazar, quazar_shard, raw, cityHash64(host));
