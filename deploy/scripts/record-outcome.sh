#!/usr/bin/env bash
# Finishes the registry's record of a release with what CodeDeploy says happened, never with what the job assumes:
# a job can fail while CodeDeploy carries on, or succeed at a step CodeDeploy later rolls back.
#
#   record-outcome.sh DEPLOYMENT_ID [CODEDEPLOY_ID] [TASK_DEFINITION_ARN] >> "$GITHUB_OUTPUT"
#
# Environment: REASON (release or rollback), RUN_URL (this run, for the record), POLL_SECONDS (15).
# A CodeDeploy deployment still running as the job ends (its wait gave up, or the run was cancelled) is stopped with
# rollback, so traffic returns to what served before and the record is closed with the truth. Prints status=<status>.
set -euo pipefail

id="$1"
codedeploy="${2:-}"
task_definition="${3:-}"
poll="${POLL_SECONDS:-15}"
# A stopped blue/green deployment reroutes traffic and ends within minutes: 20 reads, 5 minutes at 15 s.
stop_reads=20

# No fallback when this read fails (expired credentials, say): the record stays in progress rather than guessed.
read_state() { aws deploy get-deployment --deployment-id "$codedeploy" --query deploymentInfo.status --output text; }

if [ -z "$codedeploy" ]; then
  state=NotStarted
else
  state="$(read_state)"
  case "$state" in
    Succeeded | Failed | Stopped) ;;
    *)
      echo "CodeDeploy deployment $codedeploy is still $state as the release job ends: stopping it, traffic returns to what served before." >&2
      # It may have ended meanwhile (then the call is refused); the reads below say how it ended either way.
      aws deploy stop-deployment --deployment-id "$codedeploy" --auto-rollback-enabled > /dev/null || true
      for _ in $(seq "$stop_reads"); do
        state="$(read_state)"
        case "$state" in Succeeded | Failed | Stopped) break ;; esac
        sleep "$poll"
      done
      ;;
  esac
fi

case "$state" in
  Succeeded) status=succeeded ;;
  # CodeDeploy rolled back by itself: a failed hook, an alarm, green tasks that never became healthy.
  Failed) status=rolled-back ;;
  # Stopped (here, or by a person with stop-deployment --auto-rollback-enabled): traffic is back on what served before.
  Stopped) status=stopped ;;
  # The release failed before CodeDeploy started: nothing moved.
  NotStarted) status=failed ;;
  *)
    echo "CodeDeploy deployment $codedeploy is still $state; the registry keeps deployment $id in progress. When CodeDeploy has ended, record how: inference registry deployment finish --id $id --status succeeded|rolled-back|stopped" >&2
    exit 1
    ;;
esac

reason="${REASON:-release}"
if [ "$status" != succeeded ]; then
  reason="$reason: CodeDeploy $state (${RUN_URL:-no run URL})"
fi

inference registry deployment finish --id "$id" --status "$status" --reason "$reason" \
  --codedeploy-id "$codedeploy" --task-definition-arn "$task_definition" > /dev/null
echo "status=$status"
