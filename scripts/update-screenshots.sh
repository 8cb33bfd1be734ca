#!/usr/bin/env bash
# Regenerates the pictures the README shows, from the tests that make them (nothing is drawn by hand):
#   docs/screenshots/demo-page.png        the demo page after the golden image was uploaded (Inference.Ui.Tests)
#   docs/screenshots/api-docs.png         the API reference at /docs (Inference.Ui.Tests)
#   docs/screenshots/coffee-annotated.jpg a fixture photo annotated by YOLOX-Nano over HTTP (Inference.Api.Tests)
#   docs/screenshots/golden-annotated.png the demo golden image as the renderer draws it (Inference.Core.Tests)
# Needs /usr/bin/chromium and the shared fixtures (INFERENCE_FIXTURES or ../shared/fixtures).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export INFERENCE_FIXTURES="${INFERENCE_FIXTURES:-$root/../shared/fixtures}" INFERENCE_REQUIRE_TOOLS=1
export INFERENCE_ARTIFACTS="$root/TestResults/artifacts"
rm -rf "$INFERENCE_ARTIFACTS"
for project in Inference.Ui.Tests Inference.Api.Tests Inference.Core.Tests; do
  dotnet build "tests/$project" -c Release -nologo -v quiet
done
dotnet test tests/Inference.Ui.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~Uploading_the_golden_image|FullyQualifiedName~The_api_reference_at_docs"
dotnet test tests/Inference.Api.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~A_photo_comes_back_annotated"
dotnet test tests/Inference.Core.Tests -c Release --no-build --nologo --filter "FullyQualifiedName~The_demo_golden_image_matches_its_reference_rendering"
mkdir -p docs/screenshots
for file in demo-page.png api-docs.png coffee-annotated.jpg golden-annotated.png; do
  cp "$INFERENCE_ARTIFACTS/$file" "docs/screenshots/$file"
done
echo "Updated docs/screenshots from $INFERENCE_ARTIFACTS."
