#!/usr/bin/env bash
# Lambda cold start and package size, ReadyToRun against JIT, beside a raw ONNX Runtime fresh-process baseline.
# Writes benchmarks/results/lambda-cold-start.md and .json. Options: --runs N (default 7), --out DIR.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
exec dotnet run -c Release --project "$root/benchmarks/Inference.LambdaBenchmark" -- "$@"
