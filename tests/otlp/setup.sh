#!/bin/sh
# Install the receiver's npm packages (exact versions: package-lock.json)
# into tests/otlp/node_modules, once; later runs find them and return.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)
root=node_modules/@opentelemetry/otlp-transformer/build/src/generated/root.js
cd "$dir"
[ -f "$root" ] && exit 0
if ! command -v npm >/dev/null; then
	echo "otlp setup: npm is missing: run scripts/install-deps.sh" >&2
	exit 1
fi
# Two builds may run the tests at once: one installs, the other waits.
exec 9>"$dir/.npm.lock"
flock 9
[ -f "$root" ] && exit 0
echo "otlp setup: npm ci in $dir" >&2
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >&2
[ -f "$root" ]
