#!/bin/sh
# Install the Debian packages quazar builds, tests and benchmarks with.
# Idempotent: apt-get runs only when something is missing.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build python3
clang llvm lld libclang-rt-dev
libtraceevent-dev libtracefs-dev
libbpf-dev bpftool
librdkafka-dev kcat
libdw-dev libelf-dev
libcyaml-dev libyaml-dev
libmicrohttpd-dev libsystemd-dev
libjson-c-dev zlib1g-dev
libprotobuf-c-dev protobuf-c-compiler golang-go nodejs
linux-perf bpftrace trace-cmd
curl jq procps
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
