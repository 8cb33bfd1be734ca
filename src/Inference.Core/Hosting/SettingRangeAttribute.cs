using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Inference.Core.Hosting;

/// <summary>
/// A numeric setting's allowed range, reported as one sentence that names the configuration key and the value given:
/// "Batching:MaxBatchSize must be between 1 and 256 (got 0)." Written because the options source generator formats
/// <see cref="RangeAttribute"/> with its own text and the C# member name, ignoring <c>ErrorMessage</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
public sealed class SettingRangeAttribute(string key, double minimum, double maximum) : ValidationAttribute
{
    public string Key { get; } = key;

    public double Minimum { get; } = minimum;

    public double Maximum { get; } = maximum;

    protected override ValidationResult? IsValid(object? value, ValidationContext validationContext)
    {
        // Unset optional settings (null) take their default elsewhere.
        if (value is null)
        {
            return ValidationResult.Success;
        }

        var number = Convert.ToDouble(value, CultureInfo.InvariantCulture);
        if (number >= Minimum && number <= Maximum)
        {
            return ValidationResult.Success;
        }

        // Ceilings like long.MaxValue only stand for "no ceiling".
        return new ValidationResult(Maximum >= 1e15
            ? string.Create(CultureInfo.InvariantCulture, $"{Key} must be at least {Minimum} (got {value}).")
            : string.Create(CultureInfo.InvariantCulture, $"{Key} must be between {Minimum} and {Maximum} (got {value})."));
    }
}
