#!/bin/sh
# The man pages the build wrote: one per profiler in qz_profilers() (the
# list in docs/meson.build must follow the table) plus quazar.1, each
# rendering without a groff warning.
# usage: check-man.sh QUAZAR PAGE...
# Exit 0 pass, 1 fail, 77 skip.
set -u
quazar=$1
shift
status=0

want=$("$quazar" man --list | sort)
have=$(for page in "$@"; do basename "$page" .1; done | sed -n 's/^quazar-//p' | sort)
if [ "$want" != "$have" ]; then
	echo "FAIL: man pages and qz_profilers() differ; fix man_profilers in docs/meson.build:"
	echo "  profilers: $(echo $want)"
	echo "  pages:     $(echo $have)"
	status=1
fi
for page in "$@"; do
	case $page in */quazar.1) top=1 ;; esac
done
[ "${top:-0}" = 1 ] || { echo "FAIL: no quazar.1"; status=1; }

if ! command -v groff >/dev/null; then
	echo "skipped: no groff to render the pages (apt-get install groff-base)"
	[ $status = 0 ] && exit 77
	exit $status
fi
for page in "$@"; do
	# -ww: every warning; -z: no output, only the diagnostics.
	warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
	if [ -n "$warnings" ]; then
		echo "FAIL: $page renders with warnings:"
		echo "$warnings"
		status=1
	fi
done
[ $status = 0 ] && echo "ok: $# pages for $(echo $want), no groff warnings"
exit $status
