#!/usr/bin/env bash
# The Lambda function as it ships: src/Inference.Lambda published self-contained for linux-x64 (the 'bootstrap' of
# a provided.al2023 function), ReadyToRun unless --jit. Builds under its own artifacts path beside OUT, so it never
# rewrites the outputs of a build or a test run in progress. Used by scripts/test.sh (before the tests) and by the
# cold-start benchmark.
#
# Usage: scripts/publish-lambda.sh OUT [--jit]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: scripts/publish-lambda.sh OUT [--jit]}"
ready_to_run=true
case "${2:-}" in
  "") ;;
  --jit) ready_to_run=false ;;
  *) echo "publish-lambda.sh: unknown option '$2'" >&2; exit 2 ;;
esac

dotnet publish "$root/src/Inference.Lambda/Inference.Lambda.csproj" -c Release -r linux-x64 --self-contained true \
  "-p:PublishReadyToRun=$ready_to_run" --artifacts-path "$out.build" -o "$out" -nologo
[ -x "$out/bootstrap" ] || { echo "publish-lambda.sh: the publish has no executable bootstrap" >&2; exit 1; }
