using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;

namespace Inference.Api.Compat;

/// <summary>
/// Settings of the compatible front ends (configuration section <c>Compat</c>): aliases that let a client keep the
/// model id it already sends (a Roboflow <c>project/version</c>, a KServe model name) for a model of this repository.
/// </summary>
public sealed class CompatOptions : IValidatableObject
{
    public const string Section = "Compat";

    /// <summary><c>Compat:Aliases:0:Id</c> = <c>my-project/3</c>, <c>Compat:Aliases:0:Model</c> = <c>default</c>.</summary>
    public List<ModelAlias> Aliases { get; set; } = [];

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        for (var i = 0; i < Aliases.Count; i++)
        {
            var alias = Aliases[i];
            if (string.IsNullOrWhiteSpace(alias.Id) || string.IsNullOrWhiteSpace(alias.Model))
            {
                yield return new ValidationResult($"Compat:Aliases:{i} needs both Id (the id clients send) and Model (a model id of this service).");
            }
        }

        foreach (var duplicate in Aliases.GroupBy(a => a.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            yield return new ValidationResult($"Compat:Aliases names '{duplicate.Key}' {duplicate.Count()} times; give each id one model.");
        }
    }
}

public sealed class ModelAlias
{
    public string Id { get; set; } = "";

    public string Model { get; set; } = "";
}

[OptionsValidator]
public sealed partial class CompatOptionsValidator : IValidateOptions<CompatOptions>;
