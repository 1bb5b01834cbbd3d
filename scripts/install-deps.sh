#!/bin/sh
# Install the Debian packages quazar builds, tests and benchmarks with:
#   build:      compilers, pkg-config (also for the install test), meson, ninja;
#               clang and its sanitizer/libFuzzer runtimes for the second build,
#               llvm for llvm-symbolizer in sanitizer reports
#   libquazar:  libtraceevent, libtracefs, libdw, libelf
#   sink/agent: librdkafka (kcat reads topics back in tests), libyaml,
#               libmicrohttpd, libsystemd, zlib
#   tests:      json-c; groff checks the generated man pages
#   bench/:     perf and bpftrace, the peers bench/trace.c measures
# Idempotent: apt-get runs only when something is missing.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build python3
clang llvm libclang-rt-dev
libtraceevent-dev libtracefs-dev
libdw-dev libelf-dev
librdkafka-dev kcat
libyaml-dev libmicrohttpd-dev libsystemd-dev zlib1g-dev
libjson-c-dev
libcurl4-openssl-dev clickhouse-server clickhouse-client
groff-base
linux-perf bpftrace
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

[ -z "$missing" ] && exit 0

echo "install-deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages and not root; run: sudo apt-get install$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# The package lists of a fresh machine are empty or stale.
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
