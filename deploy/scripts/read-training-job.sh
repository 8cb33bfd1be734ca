#!/usr/bin/env bash
# Reads a finished training job (to $RUNNER_TEMP/job.json) and unpacks its export to $RUNNER_TEMP/export: model.onnx,
# and manifest.json when the training image wrote one. Only a Completed detector-train-* job is taken, whoever sent
# the event that named it. Prints export= and release-to= for $GITHUB_OUTPUT.
#
# Environment: JOB_NAME, RUNNER_TEMP. Limits: MAX_EXPORT_BYTES (4 GiB), the archive is never unpacked whole.
set -euo pipefail

if [[ ! "${JOB_NAME:-}" =~ ^detector-train-[A-Za-z0-9-]{1,48}$ ]]; then
  echo "'${JOB_NAME:-}' is not a training job this workflow starts (detector-train-*)." >&2
  exit 2
fi

aws sagemaker describe-training-job --training-job-name "$JOB_NAME" --output json > "$RUNNER_TEMP/job.json"
status="$(jq -r '.TrainingJobStatus' "$RUNNER_TEMP/job.json")"
if [ "$status" != Completed ]; then
  echo "Training job $JOB_NAME is $status, not Completed: $(jq -r '.FailureReason // "no failure reason given"' "$RUNNER_TEMP/job.json")" >&2
  exit 1
fi

artifacts="$(jq -r '.ModelArtifacts.S3ModelArtifacts' "$RUNNER_TEMP/job.json")"
aws s3 cp "$artifacts" "$RUNNER_TEMP/export.tar.gz" --only-show-errors
size="$(stat -c %s "$RUNNER_TEMP/export.tar.gz")"
if [ "$size" -gt "${MAX_EXPORT_BYTES:-4294967296}" ]; then
  echo "$artifacts is $size bytes, more than MAX_EXPORT_BYTES." >&2
  exit 1
fi

# Named entries only, as plain files: no paths out of the folder, no links, no owners from the archive.
mkdir -p "$RUNNER_TEMP/export"
entries="$(tar -tzf "$RUNNER_TEMP/export.tar.gz")"
wanted=()
for name in model.onnx manifest.json; do
  entry="$(grep -xE "(\./)?$name" <<<"$entries" | head -n 1 || true)"
  [ -z "$entry" ] || wanted+=("$entry")
done
if [ "${#wanted[@]}" -eq 0 ] || ! printf '%s\n' "${wanted[@]}" | grep -qE '(^|/)model\.onnx$'; then
  echo "$artifacts has no model.onnx at its top (the training image must write /opt/ml/model/model.onnx)." >&2
  exit 1
fi
tar -xzf "$RUNNER_TEMP/export.tar.gz" -C "$RUNNER_TEMP/export" --no-same-owner --no-same-permissions "${wanted[@]}"
for file in "$RUNNER_TEMP/export/model.onnx" "$RUNNER_TEMP/export/manifest.json"; do
  if [ -e "$file" ] && [ ! -f "$file" ]; then
    echo "$(basename "$file") in $artifacts is not a regular file." >&2
    exit 1
  fi
done

echo "export=$RUNNER_TEMP/export"
echo "release-to=$(jq -r '.Environment.RELEASE_TO // "none"' "$RUNNER_TEMP/job.json")"
