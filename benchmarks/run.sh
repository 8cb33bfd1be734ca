#!/usr/bin/env bash
# Runs the per-stage benchmarks beside raw ONNX Runtime and prints the stage/model ratio.
# Extra arguments go to BenchmarkDotNet, e.g. --filter '*Decode*' or --job short.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
cd "$root/benchmarks/Inference.Benchmarks"
exec dotnet run -c Release -- --filter '*' "$@"
