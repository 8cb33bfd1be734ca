#!/usr/bin/env bash
# Starts one SageMaker training job from deploy/training/training-job.json and prints job-name= for $GITHUB_OUTPUT.
# The dataset version is the job's input (s3://MODELS_BUCKET/datasets/NAME/VERSION/) and travels in its environment, so
# the register job records exactly the version the job trained on; the export goes to a prefix named by both.
#
# Environment: MODEL_NAME, DATASET, DATASET_VERSION, TRAINING_IMAGE (repository@sha256:digest), INSTANCE_TYPE,
# HYPERPARAMETERS (a JSON object), RELEASE_TO (none|ecs|sagemaker), EXECUTION_ROLE_ARN, MODELS_BUCKET, RUNNER_TEMP,
# GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT.
set -euo pipefail

problems=()
[[ "$TRAINING_IMAGE" =~ ^[^@[:space:]]+@sha256:[0-9a-f]{64}$ ]] || problems+=("The training image must be repository@sha256:<64 hex digits> (got '$TRAINING_IMAGE'): a tag can move, and the registry records what trained the model.")
[[ "$MODEL_NAME" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || problems+=("The model name may hold letters, digits, '.', '_' and '-' (got '$MODEL_NAME').")
[[ "$DATASET" =~ ^[A-Za-z0-9][A-Za-z0-9._-]*$ ]] || problems+=("The dataset name may hold letters, digits, '.', '_' and '-' (got '$DATASET').")
[[ "$DATASET_VERSION" =~ ^[1-9][0-9]*$ ]] || problems+=("The dataset version is a whole number from 1 (got '$DATASET_VERSION').")
case "${RELEASE_TO:-}" in none | ecs | sagemaker) ;; *) problems+=("release-to is none, ecs or sagemaker (got '${RELEASE_TO:-}').") ;; esac
if ! jq -e 'type == "object" and all(.[]; type == "string" or type == "number" or type == "boolean")' <<<"$HYPERPARAMETERS" > /dev/null 2>&1; then
  problems+=("The hyperparameters must be a JSON object of strings, numbers or booleans (got '$HYPERPARAMETERS').")
fi
if [ "${#problems[@]}" -gt 0 ]; then
  printf '%s\n' "${problems[@]}" >&2
  exit 2
fi

safe="$(printf '%s' "$MODEL_NAME" | tr -c 'A-Za-z0-9' '-' | cut -c1-24)"
job="detector-train-$safe-${GITHUB_RUN_ID:?}-${GITHUB_RUN_ATTEMPT:-1}"
bash deploy/scripts/fill-placeholders.sh deploy/training/training-job.json "$RUNNER_TEMP/training-job.template.json" \
  "JOB_NAME=$job" \
  "TRAINING_EXECUTION_ROLE_ARN=$EXECUTION_ROLE_ARN" \
  "TRAINING_IMAGE=$TRAINING_IMAGE" \
  "DATASET_URI=s3://$MODELS_BUCKET/datasets/$DATASET/$DATASET_VERSION/" \
  "OUTPUT_URI=s3://$MODELS_BUCKET/training/$MODEL_NAME/$DATASET@$DATASET_VERSION/" \
  "INSTANCE_TYPE=$INSTANCE_TYPE" \
  "MODEL_NAME=$MODEL_NAME" \
  "DATASET_NAME=$DATASET" \
  "DATASET_VERSION=$DATASET_VERSION" \
  "RELEASE_TO=$RELEASE_TO"
# SageMaker takes hyperparameters as strings.
jq --argjson h "$HYPERPARAMETERS" '.HyperParameters = ($h | map_values(tostring))' \
  "$RUNNER_TEMP/training-job.template.json" > "$RUNNER_TEMP/training-job.json"
aws sagemaker create-training-job --cli-input-json "file://$RUNNER_TEMP/training-job.json" > /dev/null

echo "job-name=$job"
echo "Training job \`$job\` on $DATASET@$DATASET_VERSION with \`$TRAINING_IMAGE\`." >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
