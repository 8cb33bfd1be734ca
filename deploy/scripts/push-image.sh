#!/usr/bin/env bash
# Pushes this commit's image once and prints it as repository@sha256:digest. The repositories' tags are immutable and
# a rebuild is not byte-identical, so a commit that already has its image (a re-run, a model-only release, the push-only
# setup run, production after staging) is released by the digest it has, never rebuilt; a run that loses a race to push
# the same tag takes the winner's digest.
#
#   push-image.sh REGISTRY REPOSITORY_NAME DOCKERFILE [docker build options...]
#
# The image goes to stdout, everything else to stderr. Needs GITHUB_SHA, the aws CLI and docker.
set -euo pipefail

registry="$1"
name="$2"
dockerfile="$3"
shift 3
repository="$registry/$name"
tag="${GITHUB_SHA:?GITHUB_SHA names the commit the image is tagged with}"

# The digest tagged with this commit, or nothing when there is none yet. Any other failure (access, throttling)
# stops the push rather than being taken for "not there".
pushed_digest() {
  local answer
  if answer="$(aws ecr describe-images --repository-name "$name" --image-ids "imageTag=$tag" \
      --query 'imageDetails[0].imageDigest' --output text 2>&1)"; then
    [ "$answer" = None ] || echo "$answer"
  elif grep -q ImageNotFoundException <<<"$answer"; then
    return 0
  else
    echo "$answer" >&2
    return 1
  fi
}

digest="$(pushed_digest)"
if [ -n "$digest" ]; then
  echo "$repository:$tag already exists ($digest): released as it is, not rebuilt." >&2
else
  docker build -f "$dockerfile" "$@" -t "$repository:$tag" . >&2
  if docker push "$repository:$tag" >&2; then
    pushed="$(docker inspect --format '{{index .RepoDigests 0}}' "$repository:$tag")"
    digest="${pushed#*@}"
  else
    digest="$(pushed_digest)"
    if [ -z "$digest" ]; then
      echo "docker push of $repository:$tag failed, and no image carries that tag." >&2
      exit 1
    fi
    echo "Another run pushed $repository:$tag first ($digest): released as it is." >&2
  fi
fi

case "$digest" in
  sha256:*) echo "$repository@$digest" ;;
  *)
    echo "'$digest' is not a sha256 digest." >&2
    exit 1
    ;;
esac
