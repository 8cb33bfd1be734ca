#!/usr/bin/env bash
# Packs the GPU bundle on a build machine (no GPU needed): a self-contained linux-x64 publish of the service and of
# the HTTP benchmark with ONNX Runtime's CUDA provider (-p:OnnxRuntimeFlavor=Gpu), in one folder, with the
# YOLOX-Nano fixture model and photos; compressed with xz and split into parts of at most 56 MiB (the GPU host takes
# transfers of at most 64 MiB), with SHA256SUMS. Carry the parts and the repository to the GPU host, then run run.sh.
#
# Usage: benchmarks/gpu/pack.sh [--out DIR] [--level 0-9] [--fixtures DIR]
#   --out       where the parts go (default benchmarks/gpu/bundle, git-ignored); emptied first
#   --level     xz preset (default 6; 0 packs several times faster and about 5% larger)
#   --fixtures  the shared fixtures (default $INFERENCE_FIXTURES, else ../shared/fixtures beside the checkout)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$here/bundle"
level=6
fixtures="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
part_size=56M

die() { echo "pack.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --level) level="${2:?--level needs 0-9}"; shift 2 ;;
    --fixtures) fixtures="${2:?--fixtures needs a folder}"; shift 2 ;;
    *) die "unknown option '$1' (see the usage at the top of this script)" ;;
  esac
done
[[ "$level" =~ ^[0-9]$ ]] || die "--level must be 0-9 (got '$level')"
model="$fixtures/models/yolox-nano"
[ -f "$model/yolox_nano.onnx" ] && [ -f "$model/classes.txt" ] || die "the YOLOX-Nano fixture is not at $model (set INFERENCE_FIXTURES or --fixtures)"
for tool in dotnet tar xz split sha256sum; do command -v "$tool" >/dev/null || die "$tool is needed"; done

stage="$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle-XXXXXX")"
trap 'rm -rf "$stage"' EXIT
bundle="$stage/bundle"

# A GPU-flavoured restore under its own artifacts path: it must never rewrite the CPU build's obj/ folders. The
# benchmark goes first so that the service's own files (deps.json, runtimeconfig) are the ones that stay.
for project in benchmarks/Inference.HttpBenchmark/Inference.HttpBenchmark.csproj src/Inference.Api/Inference.Api.csproj; do
  echo "Publishing $project (self-contained, linux-x64, GPU ORT)..."
  dotnet publish "$root/$project" -c Release -r linux-x64 --self-contained true -p:OnnxRuntimeFlavor=Gpu \
    --artifacts-path "$stage/build" -o "$bundle/app" -nologo -v quiet
done
[ -f "$bundle/app/libonnxruntime_providers_cuda.so" ] || die "the publish has no libonnxruntime_providers_cuda.so: the CPU ORT package was used"

mkdir -p "$bundle/model" "$bundle/photos"
cp "$model/yolox_nano.onnx" "$model/classes.txt" "$bundle/model/"
cp "$fixtures/photos/"* "$bundle/photos/"
{
  echo "GPU bundle of the object-detection service"
  echo "commit   $(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)$(git -C "$root" diff --quiet 2>/dev/null || echo ' (with uncommitted changes)')"
  echo "packed   $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "app      self-contained linux-x64 publish of Inference.Api and Inference.HttpBenchmark, Microsoft.ML.OnnxRuntime.Gpu.Linux"
  echo "model    YOLOX-Nano (yolox_nano.onnx, dynamic batch) and classes.txt"
  echo "photos   the four fixture photos"
} > "$bundle/BUNDLE.txt"

rm -rf "$out"
mkdir -p "$out"
echo "Compressing $(du -sh "$bundle" | cut -f1) with xz -$level into parts of $part_size..."
tar -C "$bundle" -cf - . | xz -T0 "-$level" | split -b "$part_size" -d -a 2 - "$out/gpu-bundle.tar.xz.part-"
(cd "$out" && sha256sum gpu-bundle.tar.xz.part-* > SHA256SUMS)
cp "$bundle/BUNDLE.txt" "$out/"

echo "Packed $(ls "$out"/gpu-bundle.tar.xz.part-* | wc -l) parts, $(du -ch "$out"/gpu-bundle.tar.xz.part-* | tail -1 | cut -f1) in all, in $out:"
ls -l "$out"
