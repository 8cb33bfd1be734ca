using System.ComponentModel.DataAnnotations;
using Inference.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Inference.Lambda.Preprocessing;

/// <summary>
/// The preprocess function's settings (configuration section <c>Preprocess</c>, environment <c>Preprocess__…</c>):
/// where the environment's ECS service answers, how small images travel to it, and where results are written.
/// </summary>
public sealed record PreprocessOptions : IValidatableObject
{
    public const string Section = "Preprocess";

    /// <summary>The ECS service's internal load balancer, e.g. <c>http://internal-detector-staging-….elb.amazonaws.com</c>.</summary>
    public string? ServiceUrl { get; init; }

    /// <summary>
    /// The longest side of the image sent to the service. Large uploads (a 12 MP phone photo) are decoded at a reduced
    /// JPEG scale and shrunk to this; the model letterboxes to its own input (416 or 640) anyway, so more pixels only
    /// cost transfer and decode time in the service.
    /// </summary>
    [SettingRange("Preprocess:MaxSide", 64, 8192)]
    public int MaxSide { get; init; } = 1280;

    [SettingRange("Preprocess:JpegQuality", 1, 100)]
    public int JpegQuality { get; init; } = 90;

    /// <summary>
    /// Results go to <c>ResultsPrefix + key + ".detections.json"</c>, or beside the upload with
    /// <see cref="ResultsBesideUploads"/>. Either way the function skips its own results, so a notification on the
    /// whole bucket cannot loop.
    /// </summary>
    public string ResultsPrefix { get; init; } = "results/";

    /// <summary>Write <c>key + ".detections.json"</c> next to each upload instead of under <see cref="ResultsPrefix"/>.</summary>
    public bool ResultsBesideUploads { get; init; }

    private string Prefix => ResultsBesideUploads ? string.Empty : ResultsPrefix;

    /// <summary>The deadline of one call to the service; the function's own timeout must be longer.</summary>
    [SettingRange("Preprocess:RequestTimeoutMs", 100, 600_000)]
    public int RequestTimeoutMs { get; init; } = 30_000;

    public const string ResultSuffix = ".detections.json";

    public Uri Service => new(ServiceUrl!);

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!Uri.TryCreate(ServiceUrl, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https"))
        {
            yield return new ValidationResult($"Preprocess:ServiceUrl must be the absolute http(s) URL of the environment's service (got '{ServiceUrl}').");
        }

        if (!ResultsBesideUploads && (ResultsPrefix.Length == 0 || ResultsPrefix.StartsWith('/')))
        {
            yield return new ValidationResult($"Preprocess:ResultsPrefix is a key prefix such as 'results/', not empty and not starting with '/' (got '{ResultsPrefix}'); set Preprocess:ResultsBesideUploads=true to write results beside the uploads.");
        }
    }

    /// <summary>Where the result of <paramref name="key"/> goes.</summary>
    public string ResultKey(string key) => Prefix + key + ResultSuffix;

    /// <summary>A key this function wrote: processing it would loop.</summary>
    public bool IsResult(string key) =>
        key.EndsWith(ResultSuffix, StringComparison.Ordinal) || (Prefix.Length > 0 && key.StartsWith(Prefix, StringComparison.Ordinal));
}

[OptionsValidator]
public sealed partial class PreprocessOptionsValidator : IValidateOptions<PreprocessOptions>;
