#!/usr/bin/env bash
# What the tests inspect but must never build themselves (no publish runs inside a test, and none runs while
# timing-sensitive tests do): the GPU image's build stage, the Lambda package and the GPU bundle, published once
# into OUT. Prints an export line for each that succeeded, for scripts/test.sh to eval; a failure is reported on
# stderr, and the tests that need it then fail with their own sentence.
#
# Usage: scripts/publish-for-tests.sh OUT
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: scripts/publish-for-tests.sh OUT}"
rm -rf "$out"
mkdir -p "$out"
status=0

publish() {
  local name="$1" variable="$2" path="$3"
  shift 3
  echo "Publishing $name for the tests..." >&2
  if "$@" > "$out/$name.log" 2>&1; then
    echo "export $variable=$(printf '%q' "$path")"
  else
    echo "Publishing $name failed; the tests that need it will fail. Its log: $out/$name.log" >&2
    tail -n 20 "$out/$name.log" >&2
    status=1
  fi
}

publish gpu-image INFERENCE_GPU_IMAGE_APP "$out/gpu-image/app" bash "$root/scripts/publish-gpu-image-stage.sh" "$out/gpu-image"
publish lambda INFERENCE_LAMBDA_PACKAGE "$out/lambda" bash "$root/scripts/publish-lambda.sh" "$out/lambda"

# The bundle carries the YOLOX-Nano fixture; without the fixtures its test reports a skip that says so.
fixtures="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
if [ -f "$fixtures/models/yolox-nano/yolox_nano.onnx" ]; then
  # xz -0: this bundle is unpacked here, not carried, so packing fast matters more than a few MB.
  publish gpu-bundle INFERENCE_GPU_BUNDLE "$out/gpu-bundle" bash "$root/benchmarks/gpu/pack.sh" --out "$out/gpu-bundle" --level 0 --fixtures "$fixtures"
fi

exit "$status"
