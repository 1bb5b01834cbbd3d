#!/bin/sh
# The exported symbols of libquazar.so must be exactly those test-exports links.
set -eu
exports_test=$1
library=$2
want=$(mktemp) have=$(mktemp)
trap 'rm -f "$want" "$have"' EXIT
"$exports_test" --list | sort >"$want"
nm -D --defined-only "$library" | awk '$2 == "T" || $2 == "D" || $2 == "B" {print $3}' |
	sed 's/@.*//' | grep -v '^LIBQUAZAR' | sort >"$have"
if ! diff -u "$want" "$have"; then
	echo "exports differ: add new QZ_API symbols to tests/unit/exports.inc (+ lines are exported but not linked)"
	exit 1
fi
n=$(wc -l <"$have")
echo "$n exported symbols, all linked"
for sym in $(cat "$have"); do
	case $sym in qz_*) ;; *) echo "export without the qz_ prefix: $sym"; exit 1 ;; esac
done
