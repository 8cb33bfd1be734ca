#!/usr/bin/env bash
# Finishes the registry's record of a SageMaker release with what the endpoint says happened, never with what the job
# assumes: SageMaker's blue/green update rolls back by itself when an alarm fires, and then the endpoint is InService
# again on the configuration it had.
#
#   record-sagemaker-outcome.sh DEPLOYMENT_ID [EXPECTED_CONFIG] [CANDIDATE_WEIGHT] >> "$GITHUB_OUTPUT"
#
# EXPECTED_CONFIG is the configuration the release put on the endpoint (empty when it never got that far);
# CANDIDATE_WEIGHT the candidate's share a weights release asked for. Environment: ENDPOINT, REASON, RUN_URL.
# SageMaker has no call that stops an update: one still running as the job ends stays in progress in the registry, and
# the step prints the command that closes the record. Prints status=<status>.
set -euo pipefail

id="$1"
expected="${2:-}"
weight="${3:-}"

if [ -z "$expected" ]; then
  status=failed
  why="the release failed before the endpoint was updated: nothing moved"
else
  # No fallback when this read fails (expired credentials, say): the record stays in progress rather than guessed.
  endpoint="$(aws sagemaker describe-endpoint --endpoint-name "$ENDPOINT" --output json)"
  state="$(jq -r '.EndpointStatus' <<<"$endpoint")"
  config="$(jq -r '.EndpointConfigName' <<<"$endpoint")"
  failure="$(jq -r '.FailureReason // "no failure reason given"' <<<"$endpoint")"
  share="$(jq -r '([.ProductionVariants[] | {key: .VariantName, value: (.CurrentWeight // 0)}] | from_entries) as $w
    | if ($w | has("candidate")) then ($w.candidate / (($w.current // 0) + $w.candidate)) else 0 end' <<<"$endpoint")"
  case "$state" in
    InService)
      if [ "$config" != "$expected" ]; then
        status=rolled-back
        why="SageMaker kept $config instead of $expected: $failure"
      elif [ -n "$weight" ] && ! jq -en --argjson a "$share" --argjson b "$weight" '($a - $b) | (if . < 0 then -. else . end) < 0.001' > /dev/null; then
        status=rolled-back
        why="the candidate's share is $share, not $weight: $failure"
      else
        status=succeeded
        why=""
      fi
      ;;
    Failed | UpdateRollbackFailed | OutOfService)
      status=failed
      why="the endpoint is $state: $failure"
      ;;
    *)
      echo "$ENDPOINT is still $state; the registry keeps deployment $id in progress. When the endpoint is InService, record how it ended: inference registry deployment finish --id $id --status succeeded|rolled-back|failed" >&2
      exit 1
      ;;
  esac
fi

reason="${REASON:-release}"
if [ "$status" != succeeded ]; then
  reason="$reason: $why (${RUN_URL:-no run URL})"
fi

inference registry deployment finish --id "$id" --status "$status" --reason "$reason" > /dev/null
echo "status=$status"
