#!/usr/bin/env bash
# The whole hostile image corpus (1000+ cases) through HTTP into a real service process, one request at a time.
# Reports count, hangs, wrong answers, the most CPU and memory one request cost, and the CPU a decode spends after
# its client has left. Writes benchmarks/results/hostile-http.md. Options: --out DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec bash "$root/benchmarks/http-benchmark.sh" --mode hostile "$@"
