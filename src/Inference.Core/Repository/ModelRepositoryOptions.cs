using System.ComponentModel.DataAnnotations;
using System.Text.RegularExpressions;
using Inference.Core.Sources;

namespace Inference.Core.Repository;

/// <summary>
/// The models to serve: the default one from the <c>Model</c> section (the embedded demo model when nothing is
/// set) and more from <c>Models:&lt;id&gt;</c>, with the same keys.
/// </summary>
public sealed partial class ModelRepositoryOptions : IValidatableObject
{
    public const string Section = "Models";

    public ModelOptions Default { get; set; } = new();

    public Dictionary<string, ModelOptions> Models { get; set; } = new(StringComparer.Ordinal);

    public IEnumerable<(string Id, ModelOptions Options, bool IsDefault)> Entries()
    {
        yield return (Default.Id, Default, true);
        foreach (var (id, options) in Models.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            yield return (id, options, false);
        }
    }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var problems = Default.Validate(ModelOptions.Section).ToList();
        problems.AddRange(Models.SelectMany(m => m.Value.Validate($"{Section}:{m.Key}")));
        foreach (var (id, _, isDefault) in Entries())
        {
            if (!ModelId().IsMatch(id))
            {
                problems.Add($"{(isDefault ? "Model:Id" : $"The key {Section}:{id}")} must be a model id: lower-case letters, digits, '.', '_' or '-', starting with a letter or digit (got '{id}').");
            }
        }

        if (Models.ContainsKey(Default.Id))
        {
            problems.Add($"{Section}:{Default.Id} has the default model's id (Model:Id); give one of them another id.");
        }

        return problems.Select(p => new ValidationResult(p));
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9._-]{0,63}$")]
    private static partial Regex ModelId();
}
