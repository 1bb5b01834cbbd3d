#!/bin/sh
# SPDX-License-Identifier: MIT
#
# Instructions per event on the sample path: a figure the load of a shared
# machine does not move, where ns per event does. Needs root and valgrind.
#
#	bench/callgrind.sh [BUILD_DIR] [N]	(from the source tree)
#
# top: callgrind counts what `quazar top` executes from the ring read on
# (read_rings and below: ring, parse, dispatch, top) while N getppid calls
# run, divided by the events it counted (other tasks' getppid calls are
# traced and counted too; the ratio holds).
# multi-trace: bench/relations under callgrind; what its replays execute in
# the sample parser and in multi-trace's per-event path (qz_mt__sample),
# inclusive, divided by the calls; and the whole replay (qz_ordered__read:
# ring, merge, parse, multi-trace) divided by the events.
# multi-trace live: as for top, read_rings and below while pingpong runs
# (wakeup => switch-in, keyed by pid), divided by the events it counted.
set -e
build=${1:-build}
n=${2:-200000}
tmp=$(mktemp -d /tmp/qz-callgrind-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

valgrind --tool=callgrind --callgrind-out-file="$tmp/top.cg" --toggle-collect=read_rings \
	"$build/quazar" top -e syscalls:sys_enter_getppid --json -i 100000 -m 8192 \
	-o "$tmp/top.json" 2>"$tmp/top.log" &
pid=$!
sleep 12		# valgrind starts slowly: let it open the events
"$build/tests/progs/getppid_loop" "$n"
sleep 8
kill -TERM "$pid"
wait "$pid" || true
events=$(grep -o '"count":[0-9]*' "$tmp/top.json" | awk -F: '{ s += $2 } END { print s + 0 }')
ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/top.cg")
lost=$(grep -c '"type":"lost"' "$tmp/top.json" || true)
awk -v ir="$ir" -v ev="$events" -v lost="$lost" 'BEGIN {
	printf "top: %d events (%d lost records), %.1f instructions per event\n", ev, lost, ir / ev }'

valgrind --tool=callgrind --callgrind-out-file="$tmp/rel.cg" "$build/bench/relations" 20000 3 \
	>"$tmp/rel.out" 2>"$tmp/rel.log"
recorded=$(awk '/^recorded/ { print $2; exit }' "$tmp/rel.out")
callgrind_annotate --inclusive=yes "$tmp/rel.cg" >"$tmp/rel.txt" 2>/dev/null
# Each record is parsed and handed to qz_mt__sample twice per rep (3 reps).
awk -v calls=$((recorded * 6)) '
	/=>/ || !/\[/ { next }	# the function totals only, not the calls
	/:qz_sample_layout__parse / && !layout { layout = $1 }
	/:qz_sample__parse / && !general { general = $1 }
	/:qz_mt__sample / && !mt { mt = $1 }
	END {
		gsub(",", "", layout); gsub(",", "", general); gsub(",", "", mt)
		parse = layout ? layout : general
		printf "multi-trace: %d calls, parse %.1f + qz_mt__sample %.1f = %.1f instructions per event\n",
			calls, parse / calls, mt / calls, (parse + mt) / calls
	}' "$tmp/rel.txt"
# It is listed several times (its inlined lines apart); the largest entry
# is the whole function.
awk -v events=$((recorded * 3)) '
	/Auto-annotated source/ { exit }
	/=>/ { next }
	/:qz_ordered__read( |$)/ { v = $1; gsub(",", "", v); if (v + 0 > ord) ord = v + 0 }
	END {
		printf "multi-trace replay with ring read and ordered merge: %.1f instructions per event\n",
			ord / events
	}' "$tmp/rel.txt"

valgrind --tool=callgrind --callgrind-out-file="$tmp/mt.cg" --toggle-collect=read_rings \
	"$build/quazar" multi-trace -e 'sched:sched_wakeup//key=pid/' \
	-e 'sched:sched_switch//key=next_pid/' -m 8192 --json -o "$tmp/mt.json" \
	2>"$tmp/mt.log" &
pid=$!
sleep 12
"$build/tests/progs/pingpong" $((n / 10))	# 4 events a round; 32 MiB rings hold them
sleep 8
kill -TERM "$pid"
wait "$pid" || true
events=$(grep -o '"events":[0-9]*' "$tmp/mt.json" | tail -1 | cut -d: -f2)
ir=$(awk '/^(summary|totals):/ { print $2; exit }' "$tmp/mt.cg")
lost=$(grep -c '"type":"lost"' "$tmp/mt.json" || true)
awk -v ir="$ir" -v ev="${events:-0}" -v lost="$lost" 'BEGIN {
	printf "multi-trace live: %d events (%d lost records), %.1f instructions per event\n",
		ev, lost, ev ? ir / ev : 0 }'
