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
libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
nodejs
linux-perf bpftrace trace-cmd
curl jq procps
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
