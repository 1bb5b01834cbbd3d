#!/bin/sh
# Run meson's test suite in each build directory given and print one
# summary line over all of them: "N passed, N failed, N skipped".
set -u
status=0
for dir in "$@"; do
	echo "=== tests in $dir"
	# Sanitizers: fail on the first report, and let UBSan abort.
	ASAN_OPTIONS=abort_on_error=1:detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
		meson test -C "$dir" --print-errorlogs --num-processes 2 || status=1
done
python3 "$(dirname "$0")/test-summary.py" "$@" || status=1
exit $status
