#!/usr/bin/env bash
# HTTP benchmark: raw ORT, the detection service in-process and the HTTP service side by side, in one run, with web
# and 12 MP phone JPEGs and the service's resident memory (idle, peak, back after the load). --mode layouts and
# --mode hostile run the CPU layout table and the hostile corpus (cpu-layouts.sh, hostile.sh).
# Writes benchmarks/results/http-<model>.md, .json and .png (throughput and p99 against concurrency, beside raw ORT).
# Options: --seconds N (per run), --runs N, --out DIR; --chart-only REPORT.json redraws a stored report's chart.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
exec dotnet run -c Release --project "$root/benchmarks/Inference.HttpBenchmark" -- "$@"
