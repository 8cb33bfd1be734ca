#!/usr/bin/env bash
# CPU instance/thread layouts side by side (the table behind BackendOptions' CPU defaults).
# Writes benchmarks/results/cpu-layouts-<model>.md. Options: --seconds N, --runs N, --out DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/benchmarks/http-benchmark.sh" --mode layouts "$@"
