#!/usr/bin/env bash
# Writes TEMPLATE to OUTPUT with every <NAME> replaced by its value, and refuses (writing nothing) when a value is
# empty or a placeholder would be left: a CodeDeploy appspec is sent as it is, placeholder and all. --keep NAME leaves
# <NAME> for a later tool (the ECS deploy action puts the task definition it registers into <TASK_DEFINITION>).
#
#   fill-placeholders.sh TEMPLATE OUTPUT [--keep NAME]... NAME=value...
set -euo pipefail

template="$1"
output="$2"
shift 2
keep=()
text="$(cat "$template")"
while [ "$#" -gt 0 ]; do
  case "$1" in
    --keep)
      keep+=("<$2>")
      shift 2
      ;;
    [A-Z]*=*)
      name="${1%%=*}"
      value="${1#*=}"
      if [ -z "$value" ]; then
        echo "No value for <$name>: $template would be sent with it empty." >&2
        exit 1
      fi
      # Quoted, so that '&' in a value stays itself (bash 5.2 patsub_replacement).
      text="${text//"<$name>"/"$value"}"
      shift
      ;;
    *)
      echo "fill-placeholders.sh: '$1' is neither NAME=value nor --keep NAME." >&2
      exit 2
      ;;
  esac
done

left="$(grep -o '<[A-Z][A-Z0-9_]*>' <<<"$text" | sort -u | grep -vxF -f <(printf '%s\n' "${keep[@]+"${keep[@]}"}" '') || true)"
if [ -n "$left" ]; then
  echo "$template has placeholders nothing fills: $(tr '\n' ' ' <<<"$left")" >&2
  exit 1
fi

printf '%s\n' "$text" > "$output"
