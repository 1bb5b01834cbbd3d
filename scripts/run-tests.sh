#!/bin/sh
# Run meson's test suite in each build directory given and print one
# summary line over all of them: "N passed, N failed, N skipped". A build
# configured with -Db_sanitize=thread runs only the suite 'threads'.
#
# A build's suite 'fuzz' (libFuzzer: 60 s of CPU a target, nothing
# system-wide) runs niced beside the next build's tests, which mostly wait
# on brokers and agents; its log is meson-logs/fuzzlog.json.
set -u
status=0
# Sanitizers: fail on the first report, and let UBSan abort. TSan:
# librdkafka and libmicrohttpd are not instrumented, so races are looked
# for in our code only (their own lock and free calls are not checked;
# their threads and locks are still seen).
export ASAN_OPTIONS=abort_on_error=1:detect_leaks=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export TSAN_OPTIONS=halt_on_error=1:ignore_noninstrumented_modules=1

fuzz_pid=
fuzz_dir=
wait_fuzz() {
	[ -n "$fuzz_pid" ] || return 0
	wait "$fuzz_pid" || status=1
	echo "=== fuzzers in $fuzz_dir"
	cat "$fuzz_dir/meson-logs/fuzz.out"
	fuzz_pid=
}

for dir in "$@"; do
	if python3 -c 'import json, sys
opts = json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))
sys.exit(0 if any(o["name"] == "b_sanitize" and o["value"] == "thread" for o in opts) else 1)' "$dir"; then
		echo "=== tests in $dir (--suite threads)"
		meson test -C "$dir" --print-errorlogs --num-processes 2 --suite threads || status=1
		continue
	fi
	echo "=== tests in $dir"
	rm -f "$dir/meson-logs/fuzzlog.json"
	meson test -C "$dir" --print-errorlogs --num-processes 2 --no-suite fuzz || status=1
	wait_fuzz
	nice -n 19 meson test -C "$dir" --no-rebuild --print-errorlogs --num-processes 2 \
		--suite fuzz --logbase fuzzlog > "$dir/meson-logs/fuzz.out" 2>&1 &
	fuzz_pid=$!
	fuzz_dir=$dir
done
wait_fuzz
python3 "$(dirname "$0")/test-summary.py" "$@" || status=1
exit $status
