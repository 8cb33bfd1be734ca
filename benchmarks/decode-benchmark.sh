#!/usr/bin/env bash
# Decode benchmark: ImageSharp (old path) against the new decoder per format and size, decode + letterbox for a
# 12 MP JPEG, stop latency after cancellation and past the time budget, and the whole hostile corpus.
# Writes benchmarks/results/decode-imaging.md. Options: --runs N (rounds per figure), --out DIR, --skip-hostile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
exec dotnet run -c Release --project "$root/benchmarks/Inference.DecodeBenchmark" -- "$@"
