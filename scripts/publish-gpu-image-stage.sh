#!/usr/bin/env bash
# The build stage of Dockerfile.gpu, run as written where there is no Docker engine: its own
# 'RUN dotnet publish … -o /app' command, in a copy of the build context (the repository less what .dockerignore
# drops), into OUT/app. The delivery tests then check what the image would ship.
#
# Usage: scripts/publish-gpu-image-stage.sh OUT
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: scripts/publish-gpu-image-stage.sh OUT}"

command="$(sed -n 's|^RUN dotnet \(publish .*\) -o /app[[:space:]]*$|\1|p' "$root/Dockerfile.gpu")"
[ -n "$command" ] || { echo "publish-gpu-image-stage.sh: Dockerfile.gpu has no 'RUN dotnet publish … -o /app' step" >&2; exit 1; }

# .dockerignore, as tar excludes: '**/name/' anywhere, 'path/' from the root.
excludes=()
while IFS= read -r pattern; do
  pattern="${pattern%/}"
  case "$pattern" in
    ""|\#*) ;;
    \*\*/*) excludes+=("--exclude=${pattern#\*\*/}") ;;
    *) excludes+=("--exclude=./$pattern") ;;
  esac
done < "$root/.dockerignore"

rm -rf "$out"
mkdir -p "$out/context"
tar -C "$root" "${excludes[@]}" -cf - . | tar -C "$out/context" -xf -
# shellcheck disable=SC2086 # the Dockerfile's arguments, split as the shell form of RUN splits them
(cd "$out/context" && dotnet $command -o "$out/app" -nologo)
rm -rf "$out/context"
