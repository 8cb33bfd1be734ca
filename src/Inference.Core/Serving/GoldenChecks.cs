using System.Globalization;
using Inference.Core.Imaging;
using Inference.Core.Model;
using Inference.Core.Postprocessing;

namespace Inference.Core.Serving;

/// <summary>The outcome of one golden check: what was expected, what came back, and every difference.</summary>
public sealed record GoldenCheckResult(string Image, bool Passed, IReadOnlyList<string> Problems, IReadOnlyList<Detection> Actual);

/// <summary>
/// Runs the manifest's golden checks through the full pipeline. A check passes when every expected detection
/// is matched (same class, each box edge and the score within tolerance) and nothing unexpected is found.
/// </summary>
public static class GoldenChecks
{
    /// <summary>Runs the checks through <paramref name="detect"/>, so a host can send them through its own scheduler.</summary>
    public static async Task<IReadOnlyList<GoldenCheckResult>> RunAsync(
        ModelManifest manifest,
        DetectionOptions defaults,
        Func<byte[], DetectionOptions, CancellationToken, Task<IReadOnlyList<Detection>>> detect,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(detect);
        var results = new List<GoldenCheckResult>(manifest.Golden.Count);
        foreach (var check in manifest.Golden)
        {
            results.Add(await RunOneAsync(manifest, check, defaults, detect, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    private static async Task<GoldenCheckResult> RunOneAsync(
        ModelManifest manifest,
        GoldenCheck check,
        DetectionOptions defaults,
        Func<byte[], DetectionOptions, CancellationToken, Task<IReadOnlyList<Detection>>> detect,
        CancellationToken cancellationToken)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(manifest.ResolvePath(check.Image), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new GoldenCheckResult(check.Image, false, [$"The golden image could not be read: {ex.Message}"], []);
        }

        IReadOnlyList<Detection> actual;
        try
        {
            actual = await detect(bytes, defaults with { Confidence = check.Confidence ?? manifest.Postprocess.Confidence }, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageDecodeException ex)
        {
            return new GoldenCheckResult(check.Image, false, [$"The golden image could not be decoded: {ex.Message}"], []);
        }

        var problems = Compare(check, actual);
        return new GoldenCheckResult(check.Image, problems.Count == 0, problems, actual);
    }

    public static IReadOnlyList<string> Compare(GoldenCheck check, IReadOnlyList<Detection> actual)
    {
        ArgumentNullException.ThrowIfNull(check);
        ArgumentNullException.ThrowIfNull(actual);
        var problems = new List<string>();
        var used = new bool[actual.Count];
        foreach (var expected in check.Expected)
        {
            var match = FindMatch(expected, actual, used, check);
            if (match < 0)
            {
                problems.Add($"Missing {Describe(expected.Class, expected.Confidence, expected.Box)}.");
                continue;
            }

            used[match] = true;
        }

        for (var i = 0; i < actual.Count; i++)
        {
            if (!used[i])
            {
                problems.Add($"Unexpected {Describe(actual[i].ClassName, actual[i].Confidence, actual[i].Box)}.");
            }
        }

        return problems;
    }

    private static int FindMatch(ExpectedDetection expected, IReadOnlyList<Detection> actual, bool[] used, GoldenCheck check)
    {
        for (var i = 0; i < actual.Count; i++)
        {
            var a = actual[i];
            if (!used[i] &&
                string.Equals(a.ClassName, expected.Class, StringComparison.Ordinal) &&
                Math.Abs(a.Confidence - expected.Confidence) <= check.ConfidenceTolerance &&
                Math.Abs(a.Box.X1 - expected.Box.X1) <= check.BoxTolerance &&
                Math.Abs(a.Box.Y1 - expected.Box.Y1) <= check.BoxTolerance &&
                Math.Abs(a.Box.X2 - expected.Box.X2) <= check.BoxTolerance &&
                Math.Abs(a.Box.Y2 - expected.Box.Y2) <= check.BoxTolerance)
            {
                return i;
            }
        }

        return -1;
    }

    private static string Describe(string className, float confidence, BoundingBox box) => string.Create(
        CultureInfo.InvariantCulture,
        $"{className} {confidence:0.000} ({box.X1:0.#},{box.Y1:0.#})-({box.X2:0.#},{box.Y2:0.#})");
}
