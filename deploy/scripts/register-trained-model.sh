#!/usr/bin/env bash
# Pushes and pins a trained model (a SageMaker package too when it goes to SageMaker) and registers it as the next
# version of its name, with its training job's metadata: the ARN and name, the training image by digest, the
# hyperparameters, the final metrics the job reported and the dataset version it trained on. Prints model=NAME@VERSION.
#
#   register-trained-model.sh JOB_JSON EXPORT_DIR >> "$GITHUB_OUTPUT"
#
# JOB_JSON is DescribeTrainingJob's answer; EXPORT_DIR holds model.onnx and maybe manifest.json. Environment:
# MODELS_BUCKET, RELEASE_TO (none|ecs|sagemaker), RUNNER_TEMP.
set -euo pipefail

job="$1"
export_dir="$2"
name="$(jq -r '.Environment.MODEL_NAME // empty' "$job")"
dataset="$(jq -r '.Environment.DATASET_NAME // empty' "$job")"
dataset_version="$(jq -r '.Environment.DATASET_VERSION // empty' "$job")"
if [ -z "$name" ] || [ -z "$dataset" ] || [ -z "$dataset_version" ]; then
  echo "The job carries no MODEL_NAME, DATASET_NAME and DATASET_VERSION: it was not started by train.yml." >&2
  exit 2
fi

version="$(inference registry model list --name "$name" --json | jq '[.[].version] | (max // 0) + 1')"
if [ ! -f "$export_dir/manifest.json" ]; then
  inference model init "$export_dir/model.onnx" --name "$name" --version "$version" --output "$export_dir/manifest.json" > /dev/null
fi

verb=push
if [ "${RELEASE_TO:-none}" = sagemaker ]; then verb=package-sagemaker; fi
inference model "$verb" --weights "$export_dir/model.onnx" --manifest "$export_dir/manifest.json" --bucket "$MODELS_BUCKET" \
  --name "$name" --version "$version" --json > "$RUNNER_TEMP/pin.json"

# Hyperparameters as the job ran with them (SageMaker's own sagemaker_* entries left out); metrics by the names of
# deploy/training/training-job.json's metric definitions.
training=()
while IFS= read -r pair; do training+=(--hyperparameter "$pair"); done < <(jq -r '.HyperParameters // {} | to_entries[]
  | select(.key | startswith("sagemaker_") | not) | "\(.key)=\(.value)"' "$job")
while IFS=$'\t' read -r metric value; do
  case "$metric" in
    map50) training+=(--map50 "$value") ;;
    map50-95) training+=(--map50-95 "$value") ;;
    precision) training+=(--precision "$value") ;;
    recall) training+=(--recall "$value") ;;
  esac
done < <(jq -r '.FinalMetricDataList // [] | .[] | "\(.MetricName)\t\(.Value)"' "$job")
epochs="$(jq -r '.HyperParameters.epochs // empty' "$job")"
if [[ "$epochs" =~ ^[0-9]+$ ]]; then training+=(--epochs "$epochs"); fi

registered="$(inference registry model register --dataset "$dataset@$dataset_version" --pin "$RUNNER_TEMP/pin.json" \
  --training-source sagemaker \
  --job-arn "$(jq -r '.TrainingJobArn' "$job")" \
  --job-id "$(jq -r '.TrainingJobName' "$job")" \
  --training-image "$(jq -r '.AlgorithmSpecification.TrainingImage' "$job")" \
  --training-started "$(jq -r '.TrainingStartTime' "$job")" \
  --training-finished "$(jq -r '.TrainingEndTime' "$job")" \
  "${training[@]}" --json)"
model="$(jq -r '"\(.name)@\(.version)"' <<<"$registered")"
echo "model=$model"
echo "Registered $model from \`$(jq -r '.TrainingJobName' "$job")\` on $dataset@$dataset_version." >> "${GITHUB_STEP_SUMMARY:-/dev/null}"
