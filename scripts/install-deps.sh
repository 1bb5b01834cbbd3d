#!/bin/sh
# Install the Debian packages quazar builds, tests and benchmarks with:
#   build:      compilers, pkg-config (also for the install test), meson, ninja;
#               clang and its sanitizer/libFuzzer runtimes for the second build,
#               llvm for llvm-symbolizer in sanitizer reports
#   libquazar:  libtraceevent, libtracefs, libdw, libelf
#   sink/agent: librdkafka (kcat reads topics back in tests), libyaml,
#               libmicrohttpd, libsystemd, zlib
#   tests:      json-c; groff checks the generated man pages
#   bpf/:       libbpf, and bpftool for vmlinux.h and the skeletons of
#               quazar's own BPF programs (clang, above, compiles them)
#   bench/:     perf and bpftrace, the peers bench/trace.c measures
#   otlp/:      libcurl, protobuf-c and protoc-c (libprotobuf-dev for the
#               descriptor.proto that protobuf-c's options import); nodejs
#               and npm for the test receiver, whose npm packages it installs
#   profilers/: protobuf-c and protoc-c (pprof), zlib; golang-go for
#               `go tool pprof`, the independent reader the pprof test uses;
#               nodejs checks the flame graph's script
# Idempotent: apt-get runs only when something is missing.
set -eu

PACKAGES="
build-essential pkg-config meson ninja-build python3
clang llvm libclang-rt-dev
libtraceevent-dev libtracefs-dev
libbpf-dev bpftool
libdw-dev libelf-dev
librdkafka-dev kcat
libyaml-dev libmicrohttpd-dev libsystemd-dev zlib1g-dev
libjson-c-dev
libcurl4-openssl-dev clickhouse-server clickhouse-client
libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
golang-go
nodejs
groff-base
linux-perf bpftrace
"

missing=""
for p in $PACKAGES; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done

# Debian's npm conflicts with a nodejs that bundles its own (NodeSource's).
command -v npm >/dev/null || missing="$missing npm"

# The OTLP test receiver's npm packages, pinned by its package-lock.json.
receiver_setup() {
	sh "$(dirname "$0")/../tests/otlp/setup.sh"
}

[ -z "$missing" ] && { receiver_setup; exit 0; }

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
receiver_setup
