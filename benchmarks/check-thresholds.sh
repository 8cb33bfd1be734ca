#!/usr/bin/env bash
# Fails (exit 1) when an HTTP benchmark report (benchmarks/http-benchmark.sh's JSON) misses its thresholds, one sentence
# per miss: HTTP at concurrency 16 against the best raw ONNX Runtime batch, p99 against p50 at every HTTP concurrency,
# no failed request, and (with --provider) the provider the run asked for. buildspec-gpu.yml runs it on CUDA.
#
#   check-thresholds.sh REPORT.json [--provider cuda] [--min-http-ratio 0.6] [--max-tail 3]
set -euo pipefail

report="${1:?the benchmark report (http-<model>.json)}"
shift
provider=""
min_ratio=0.6
max_tail=3
while [ "$#" -gt 0 ]; do
  case "$1" in
    --provider) provider="$2"; shift 2 ;;
    --min-http-ratio) min_ratio="$2"; shift 2 ;;
    --max-tail) max_tail="$2"; shift 2 ;;
    *) echo "check-thresholds.sh: unknown option '$1'." >&2; exit 2 ;;
  esac
done

misses="$(jq -r --arg provider "$provider" --argjson ratio "$min_ratio" --argjson tail "$max_tail" '
  [ (if $provider != "" and .executionProvider != $provider
     then "The run used \(.executionProvider // "an unrecorded provider"), not \($provider)." else empty end),
    (if .httpToRawBest < $ratio
     then "HTTP at concurrency 16 reached \(.httpToRawBest * 100 | round / 100) x the best raw ORT throughput; the threshold is \($ratio)." else empty end),
    (.rows[] | select(.name | startswith("HTTP")) | select(.p99Ms > $tail * .p50Ms)
     | "\(.name): p99 \(.p99Ms | round) ms is more than \($tail) x p50 (\(.p50Ms | round) ms)."),
    (if .httpErrors > 0 then "\(.httpErrors) HTTP requests failed." else empty end)
  ] | .[]' "$report")"

if [ -n "$misses" ]; then
  echo "$report misses its thresholds:" >&2
  echo "$misses" >&2
  exit 1
fi
echo "$report meets its thresholds (HTTP/raw ORT >= $min_ratio, p99 <= $max_tail x p50, no errors${provider:+, on $provider})."
