#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs unit and integration tests (as root).
# The swift test runner's summary is the last thing printed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

bash scripts/install-deps.sh
swift build --build-tests 2>&1 | grep -v "found 1 file(s) which are unhandled" | tail -n 20
export SHOAL_BINARY="$PWD/.build/debug/shoal"
exec swift test --skip-build 2>&1
