#!/bin/sh
# SPDX-License-Identifier: MIT
#
# multi-trace's cost per event, before and after: build/bench/relations --ab
# against REV (default 8d3e531^1, main before per-event sample layouts),
# checked out in a worktree of its own (QZ_AB_TREE to pick it) with this
# tree's bench source copied in, and built as `make` builds.
#
#	bench/relations-ab.sh [REV] [ROUNDS] [RUNS]	(from the source tree, as root)
set -e
rev=${1:-8d3e531^1}
rounds=${2:-50000}
runs=${3:-9}
base=${QZ_AB_TREE:-/tmp/quazar-ab-$(git rev-parse --short "$rev")}

[ -d "$base" ] || git worktree add --detach "$base" "$rev"
cp bench/relations.c bench/proc.c bench/proc.h bench/bench.h "$base/bench/"
[ -f "$base/build/build.ninja" ] || meson setup --werror "$base/build" "$base" >/dev/null
ninja -C "$base/build" bench/relations quazar >/dev/null
ninja -C build bench/relations quazar tests/progs/pingpong >/dev/null
exec build/bench/relations --ab "$base/build" "$rounds" "$runs"
