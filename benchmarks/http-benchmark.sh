#!/usr/bin/env bash
# HTTP benchmark: raw ORT, the in-process pipeline and the HTTP service side by side, in one run.
# Writes benchmarks/results/http-<model>.md, .json and .png (throughput and p99 against concurrency, beside raw ORT).
# Options: --seconds N (per run), --runs N, --out DIR; --chart-only REPORT.json redraws a stored report's chart.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
exec dotnet run -c Release --project "$root/benchmarks/Inference.HttpBenchmark" -- "$@"
