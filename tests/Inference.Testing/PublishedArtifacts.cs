using Xunit;

namespace Inference.Testing;

/// <summary>
/// What scripts/publish-for-tests.sh published before the test run (scripts/test.sh runs it): tests read these
/// folders and never publish themselves, so no publish competes with timing-sensitive tests.
/// </summary>
public static class PublishedArtifacts
{
    /// <summary>Dockerfile.gpu's build stage, run as written (framework-dependent, GPU ORT).</summary>
    public const string GpuImageApp = "INFERENCE_GPU_IMAGE_APP";

    /// <summary>The Lambda function's self-contained ReadyToRun publish, with its <c>bootstrap</c>.</summary>
    public const string LambdaPackage = "INFERENCE_LAMBDA_PACKAGE";

    /// <summary>The parts benchmarks/gpu/pack.sh wrote.</summary>
    public const string GpuBundle = "INFERENCE_GPU_BUNDLE";

    /// <summary>
    /// The folder <paramref name="variable"/> names. Without it the test skips, saying how to make it, except where
    /// the run promised everything (INFERENCE_REQUIRE_TOOLS=1, as scripts/test.sh sets): there it fails.
    /// </summary>
    public static string Require(string variable)
    {
        var path = Environment.GetEnvironmentVariable(variable);
        if (string.IsNullOrEmpty(path) || !Directory.Exists(path))
        {
            var hint = $"{variable} names no folder ('{path}'): it is published before the tests by scripts/publish-for-tests.sh, which scripts/test.sh runs.";
            if (Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") == "1")
            {
                throw new InvalidOperationException(hint);
            }

            Skip.If(true, hint);
        }

        return path!;
    }
}
