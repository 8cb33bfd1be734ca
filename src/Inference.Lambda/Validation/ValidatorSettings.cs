using System.Globalization;

namespace Inference.Lambda.Validation;

/// <summary>
/// What the hook validates, from the function's environment (the release workflow sets the target and the
/// expected model before it starts each deployment):
/// <c>VALIDATOR_TARGET_URL</c> (the new version: an ALB test listener or a candidate alias's Function URL),
/// <c>VALIDATOR_EXPECTED_MODEL_NAME</c>, <c>…_VERSION</c>, <c>…_SHA256</c>, <c>VALIDATOR_REQUESTS</c> (20),
/// <c>VALIDATOR_P95_BUDGET_MS</c> (1000), <c>VALIDATOR_REQUEST_TIMEOUT_MS</c> (10000), <c>VALIDATOR_IMAGE</c>
/// (the demo model's golden sample, packaged beside the function), <c>VALIDATOR_REPORT_RESERVE_MS</c> (3000:
/// kept back from the Lambda deadline to report Failed in time) and <c>VALIDATOR_SIGNING_SERVICE</c>: requests are
/// SigV4-signed for that service with the function's own credentials (a Function URL with AWS_IAM auth); unset, a
/// <c>*.lambda-url.*.on.aws</c> target is signed for <c>lambda</c> and anything else is not; <c>none</c> never signs.
/// </summary>
public sealed record ValidatorSettings(
    Uri TargetUrl,
    ExpectedModel Expected,
    int Requests,
    double P95BudgetMs,
    TimeSpan RequestTimeout,
    string ImagePath,
    TimeSpan ReportReserve,
    string? SigningService)
{
    public const string DefaultImage = "models/shapes-demo/samples/golden.png";

    /// <summary>Reads and checks every setting; a missing expectation is an error, so a validator never passes blind.</summary>
    public static ValidatorSettings FromEnvironment(Func<string, string?> environment, string appDirectory)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var problems = new List<string>();
        var target = environment("VALIDATOR_TARGET_URL");
        if (!Uri.TryCreate(target, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            problems.Add($"VALIDATOR_TARGET_URL must be an absolute http(s) URL (got '{target}').");
        }

        var expected = new ExpectedModel(environment("VALIDATOR_EXPECTED_MODEL_NAME"), environment("VALIDATOR_EXPECTED_MODEL_VERSION"), environment("VALIDATOR_EXPECTED_MODEL_SHA256"));
        foreach (var (name, value) in new[] { ("NAME", expected.Name), ("VERSION", expected.Version), ("SHA256", expected.Sha256) })
        {
            if (string.IsNullOrWhiteSpace(value))
            {
                problems.Add($"VALIDATOR_EXPECTED_MODEL_{name} is not set: the validator must know which model the release pins.");
            }
        }

        var requests = Number(environment, "VALIDATOR_REQUESTS", 20, 1, 1000, problems);
        var budget = Number(environment, "VALIDATOR_P95_BUDGET_MS", 1000, 1, 600_000, problems);
        var timeout = Number(environment, "VALIDATOR_REQUEST_TIMEOUT_MS", 10_000, 100, 600_000, problems);
        var reserve = Number(environment, "VALIDATOR_REPORT_RESERVE_MS", 3000, 0, 60_000, problems);
        var image = environment("VALIDATOR_IMAGE") is { Length: > 0 } configured ? configured : DefaultImage;
        var imagePath = Path.IsPathRooted(image) ? image : Path.Combine(appDirectory, image);
        if (!File.Exists(imagePath))
        {
            problems.Add($"VALIDATOR_IMAGE '{imagePath}' does not exist.");
        }

        return problems.Count == 0
            ? new ValidatorSettings(url!, expected, (int)requests, budget, TimeSpan.FromMilliseconds(timeout), imagePath, TimeSpan.FromMilliseconds(reserve), SigningServiceFor(url!, environment("VALIDATOR_SIGNING_SERVICE")))
            : throw new InvalidOperationException(string.Join(' ', problems));
    }

    private static string? SigningServiceFor(Uri target, string? configured) => configured?.Trim() switch
    {
        "none" => null,
        { Length: > 0 } service => service,
        _ => target.Host.EndsWith(".on.aws", StringComparison.OrdinalIgnoreCase) && target.Host.Contains(".lambda-url.", StringComparison.OrdinalIgnoreCase) ? "lambda" : null,
    };

    private static double Number(Func<string, string?> environment, string name, double fallback, double min, double max, List<string> problems)
    {
        var text = environment(name);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max)
        {
            return value;
        }

        problems.Add($"{name} must be a number from {min} to {max} (got '{text}').");
        return fallback;
    }
}

/// <summary>The model the release pins, as <c>GET /v1/model</c> must report it.</summary>
public sealed record ExpectedModel(string? Name, string? Version, string? Sha256);
