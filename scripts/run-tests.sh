#!/bin/sh
# Run meson's test suite in each build directory given and print one
# summary line over all of them: "N passed, N failed, N skipped". A build
# configured with -Db_sanitize=thread runs only the suite 'threads'.
set -u
status=0
for dir in "$@"; do
	suites=
	if python3 -c 'import json, sys
opts = json.load(open(sys.argv[1] + "/meson-info/intro-buildoptions.json"))
sys.exit(0 if any(o["name"] == "b_sanitize" and o["value"] == "thread" for o in opts) else 1)' "$dir"; then
		suites="--suite threads"
	fi
	echo "=== tests in $dir${suites:+ ($suites)}"
	# Sanitizers: fail on the first report, and let UBSan abort. TSan:
	# librdkafka and libmicrohttpd are not instrumented, so races are
	# looked for in our code only (their own lock and free calls are not
	# checked; their threads and locks are still seen).
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	TSAN_OPTIONS=halt_on_error=1:ignore_noninstrumented_modules=1 \
		meson test -C "$dir" --print-errorlogs --num-processes 2 $suites || status=1
done
python3 "$(dirname "$0")/test-summary.py" "$@" || status=1
exit $status
