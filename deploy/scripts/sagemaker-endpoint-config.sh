#!/usr/bin/env bash
# Prepares what one SageMaker release puts on the endpoint, and prints it for $GITHUB_OUTPUT:
#   release   a new endpoint configuration whose variant "current" serves MODEL, weight 1 ("candidate" retires);
#   ab-test   a new endpoint configuration: "current" as it serves now at 1 - CANDIDATE_WEIGHT, "candidate" serving
#             MODEL at CANDIDATE_WEIGHT;
#   weights   no new configuration: the variant weights for UpdateEndpointWeightsAndCapacities (both variants keep
#             their models and instances).
# A new configuration keeps the instance type, the instance counts and the data capture it finds on the endpoint:
# "current" is a scalable target (deploy/sagemaker/endpoint.yaml), and SageMaker lets a release change its model but
# not its instance type. The model is created once, named by environment, model version and a hash of the image and
# archive it runs, so a re-run finds the one it made.
#
#   sagemaker-endpoint-config.sh MODE >> "$GITHUB_OUTPUT"
#
# Environment: ENDPOINT, ENVIRONMENT, MODEL (name@version), MODEL_DATA_URL, IMAGE, EXECUTION_ROLE_ARN,
# CANDIDATE_WEIGHT (ab-test and weights), RUNNER_TEMP, GITHUB_RUN_ID, GITHUB_RUN_ATTEMPT.
# Prints endpoint-config=, strategy=, model-name= (none for weights) and weights-file= (weights only).
set -euo pipefail

mode="${1:-}"
case "$mode" in
  release | ab-test | weights) ;;
  *)
    echo "The mode is release, ab-test or weights (got '$mode')." >&2
    exit 2
    ;;
esac

weight="${CANDIDATE_WEIGHT:-}"
if [ "$mode" != release ] && ! jq -en --arg w "$weight" '($w | tonumber) as $n | $n > 0 and $n < 1' > /dev/null 2>&1; then
  echo "The candidate's share of traffic must be a number between 0 and 1, both excluded (got '$weight')." >&2
  exit 2
fi

endpoint="$(aws sagemaker describe-endpoint --endpoint-name "$ENDPOINT" --output json)"
status="$(jq -r '.EndpointStatus' <<<"$endpoint")"
if [ "$status" != InService ]; then
  echo "$ENDPOINT is $status: a release starts only from InService (another update may still run)." >&2
  exit 1
fi
current_config="$(jq -r '.EndpointConfigName' <<<"$endpoint")"
config="$(aws sagemaker describe-endpoint-config --endpoint-config-name "$current_config" --output json)"
has_candidate="$(jq -r '[.ProductionVariants[].VariantName] | index("candidate") != null' <<<"$endpoint")"

if [ "$mode" = weights ]; then
  if [ "$has_candidate" != true ]; then
    echo "$ENDPOINT has no candidate variant to weigh; start an A/B test first (mode ab-test)." >&2
    exit 1
  fi
  jq -n --argjson w "$weight" '[{VariantName: "current", DesiredWeight: (1 - $w)}, {VariantName: "candidate", DesiredWeight: $w}]' \
    > "$RUNNER_TEMP/variant-weights.json"
  echo "endpoint-config=$current_config"
  echo "strategy=ab-test"
  echo "weights-file=$RUNNER_TEMP/variant-weights.json"
  exit 0
fi

name="${MODEL%@*}"
version="${MODEL##*@}"
safe="$(printf '%s' "$name" | tr -c 'A-Za-z0-9' '-' | cut -c1-20)"
hash="$(printf '%s|%s' "$IMAGE" "$MODEL_DATA_URL" | sha256sum | cut -c1-12)"
model_name="detector-$ENVIRONMENT-$safe-$version-$hash"

# Not found is the only answer that means "create it"; anything else (access, throttling) stops the release.
if answer="$(aws sagemaker describe-model --model-name "$model_name" --query ModelName --output text 2>&1)"; then
  echo "Model $model_name exists already: used as it is." >&2
elif grep -q "Could not find model" <<<"$answer"; then
  jq -n --arg name "$model_name" --arg role "$EXECUTION_ROLE_ARN" --arg image "$IMAGE" --arg data "$MODEL_DATA_URL" '{
      ModelName: $name,
      ExecutionRoleArn: $role,
      EnableNetworkIsolation: true,
      PrimaryContainer: {Image: $image, ModelDataUrl: $data, Environment: {Inference__ExecutionProvider: "cuda"}}
    }' > "$RUNNER_TEMP/model.json"
  aws sagemaker create-model --cli-input-json "file://$RUNNER_TEMP/model.json" > /dev/null
  echo "Created model $model_name." >&2
else
  echo "$answer" >&2
  exit 1
fi

new_config="detector-$ENVIRONMENT-run-${GITHUB_RUN_ID:?}-${GITHUB_RUN_ATTEMPT:-1}"
jq -n --arg name "$new_config" --arg mode "$mode" --arg model "$model_name" --argjson w "${weight:-0}" \
  --argjson config "$config" --argjson endpoint "$endpoint" '
    # Each variant as the endpoint runs it now: the settings of its configuration, the instances it has.
    def variant($v): ($config.ProductionVariants[] | select(.VariantName == $v)
        | with_entries(select(.key | IN("VariantName", "InstanceType", "VolumeSizeInGB", "ModelDataDownloadTimeoutInSeconds", "ContainerStartupHealthCheckTimeoutInSeconds", "ModelName"))))
      + {InitialInstanceCount: ([$endpoint.ProductionVariants[] | select(.VariantName == $v) | .CurrentInstanceCount // .DesiredInstanceCount][0] // 1)};
    (variant("current")) as $current
    | {EndpointConfigName: $name}
    + (if $mode == "release"
       then {ProductionVariants: [$current + {ModelName: $model, InitialVariantWeight: 1}]}
       else {ProductionVariants: [
         $current + {InitialVariantWeight: (1 - $w)},
         ($current | del(.ModelName)) + {VariantName: "candidate", ModelName: $model, InitialVariantWeight: $w,
           InitialInstanceCount: ([$endpoint.ProductionVariants[] | select(.VariantName == "candidate") | .CurrentInstanceCount // .DesiredInstanceCount][0] // 1)}]}
       end)
    + (if $config.DataCaptureConfig then {DataCaptureConfig: ($config.DataCaptureConfig | del(.CaptureStatus))} else {} end)
  ' > "$RUNNER_TEMP/endpoint-config.json"
aws sagemaker create-endpoint-config --cli-input-json "file://$RUNNER_TEMP/endpoint-config.json" > /dev/null

echo "endpoint-config=$new_config"
echo "model-name=$model_name"
if [ "$mode" = release ]; then echo "strategy=canary"; else echo "strategy=ab-test"; fi
