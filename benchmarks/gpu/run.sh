#!/usr/bin/env bash
# Runs the GPU benchmark on the GPU host from the parts pack.sh made: joins and checks the parts, unpacks them,
# puts the CUDA 13 and cuDNN 9 libraries of the host's Python nvidia-* wheels on LD_LIBRARY_PATH, and runs the
# bundle's benchmark against the bundle's service (Inference__ExecutionProvider=cuda). Writes
# benchmarks/results/gpu-<date>.md and .json beside this script. Needs no .NET, no network, no package registry.
#
# Usage: benchmarks/gpu/run.sh --parts DIR [--work DIR] [--provider cuda|cpu] [--out DIR] [--python PATH]
#                              [--cuda-libs DIR[:DIR…]] [--seconds N] [--warmup N] [--batches 1,8,16,32]
#                              [--concurrency 1,8,32,128] [--uploads float32,uint8] [--graphs 8|none]
#   --parts      the folder holding gpu-bundle.tar.xz.part-* and SHA256SUMS
#   --work       where to unpack (default: a new temporary folder); must be empty or absent
#   --provider   cuda (default) or cpu (to rehearse the procedure on a machine without a GPU)
#   --out        where the report goes (default benchmarks/results beside this script)
#   --python     the Python whose site-packages hold the nvidia-* wheels (default python3)
#   --cuda-libs  library folders to use instead of searching the Python environment
#   the rest     passed to the benchmark; the defaults fit in about 10 minutes of GPU time (see README.md)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
parts=""
work=""
provider="cuda"
out="$here/../results"
python="python3"
cuda_libs=""
passed=()

die() { echo "run.sh: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --parts) parts="${2:?--parts needs a folder}"; shift 2 ;;
    --work) work="${2:?--work needs a folder}"; shift 2 ;;
    --provider) provider="${2:?--provider needs cuda or cpu}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    --python) python="${2:?--python needs a path}"; shift 2 ;;
    --cuda-libs) cuda_libs="${2:?--cuda-libs needs folders}"; shift 2 ;;
    --seconds|--warmup|--batches|--concurrency|--uploads|--graphs) passed+=("$1" "${2:?$1 needs a value}"); shift 2 ;;
    *) die "unknown option '$1' (see the usage at the top of this script)" ;;
  esac
done
[ -n "$parts" ] || die "--parts is required: the folder with gpu-bundle.tar.xz.part-* and SHA256SUMS"
[ "$provider" = cuda ] || [ "$provider" = cpu ] || die "--provider must be cuda or cpu (got '$provider')"
[ -f "$parts/SHA256SUMS" ] || die "no SHA256SUMS in $parts"

# 1. Join the parts, after checking every one arrived whole.
echo "Checking the parts in $parts..."
(cd "$parts" && sha256sum --quiet -c SHA256SUMS) || die "a part is missing or damaged (sha256sum above); carry it again"

# 2. CUDA 13 and cuDNN 9, as ORT 1.31's CUDA provider loads them, from the Python environment's nvidia-* wheels;
#    looked for before the unpack, so a host without them is told so at once.
if [ "$provider" = cuda ]; then
  if [ -z "$cuda_libs" ]; then
    sites="$("$python" -c 'import site, sys; print("\n".join(site.getsitepackages() + [site.getusersitepackages()] + sys.path))' 2>/dev/null)" \
      || die "$python did not run; name the libraries with --cuda-libs"
    while IFS= read -r site; do
      [ -d "$site/nvidia" ] || continue
      while IFS= read -r dir; do
        case ":$cuda_libs:" in *":$dir:"*) ;; *) cuda_libs="${cuda_libs:+$cuda_libs:}$dir" ;; esac
      done < <(find "$site/nvidia" -maxdepth 3 -name 'lib*.so*' -printf '%h\n' | sort -u)
    done <<< "$sites"
  fi
  missing=()
  for lib in libcudart.so.13 libcublas.so.13 libcublasLt.so.13 libcurand.so.10 libcudnn.so.9; do
    found=""
    IFS=: read -r -a dirs <<< "$cuda_libs"
    for dir in "${dirs[@]}"; do [ -e "$dir/$lib" ] && found=1 && break; done
    [ -n "$found" ] || ldconfig -p 2>/dev/null | grep -q " $lib " || missing+=("$lib")
  done
  [ "${#missing[@]}" -eq 0 ] || die "not found: ${missing[*]} (searched: ${cuda_libs:-nothing}); install the nvidia-* CUDA 13 wheels or pass --cuda-libs"
  export LD_LIBRARY_PATH="$cuda_libs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "CUDA libraries from: $cuda_libs"
fi

# 3. Unpack.
if [ -z "$work" ]; then
  work="$(mktemp -d "${TMPDIR:-/tmp}/gpu-bundle-XXXXXX")"
elif [ -e "$work" ] && [ -n "$(ls -A "$work")" ]; then
  die "--work $work is not empty"
fi
mkdir -p "$work"
echo "Unpacking into $work..."
if command -v xz >/dev/null; then
  unxz=(xz -dc)
else
  # Python's own lzma, where the host has no xz.
  unxz=("$python" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.stdin.buffer), sys.stdout.buffer)')
fi
mapfile -t names < <(awk '{print $2}' "$parts/SHA256SUMS")
for name in "${names[@]}"; do cat "$parts/$name"; done | "${unxz[@]}" | tar -C "$work" -xf -
[ -x "$work/app/Inference.HttpBenchmark" ] && [ -x "$work/app/Inference.Api" ] || die "the bundle has no app/Inference.HttpBenchmark or app/Inference.Api"

# 4-5. The benchmark starts the service per configuration with Inference__ExecutionProvider=$provider and writes the report.
mkdir -p "$out"
report="$(cd "$out" && pwd)/gpu-$(date -u +%Y-%m-%d)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1
"$work/app/Inference.HttpBenchmark" gpu --app "$work/app" --model "$work/model" --photos "$work/photos" \
  --provider "$provider" --report "$report" "${passed[@]}"
echo "Report: $report.md"
