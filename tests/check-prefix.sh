#!/bin/sh
# Every global symbol a library defines, the static archives included,
# carries the project prefix qz_ (internal helpers: qz__ or qz_<layer>_).
set -eu
bad=0
for archive in "$@"; do
	syms=$(nm -g --defined-only "$archive" | awk 'NF == 3 && $3 !~ /^qz_/ { print $3 }' | sort -u)
	for s in $syms; do
		echo "$(basename "$archive"): global symbol without the qz_ prefix: $s"
		bad=1
	done
done
[ $bad -eq 0 ] && echo "$# archives: every global symbol starts with qz_"
exit $bad
