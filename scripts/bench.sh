#!/usr/bin/env bash
# Shoal vs Docker side by side (see scripts/bench.py --help). Needs root; e.g. scripts/bench.sh --iterations 5
set -euo pipefail
exec python3 "$(dirname "$0")/bench.py" "$@"
