using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Inference.Core.Hosting;

/// <summary>
/// Settings whose type is an enum take its names only. The configuration binder also takes numbers: "1" would bind
/// as the second value and "7" as a value that does not exist, both silently; this check refuses them (and lists
/// such as "Cpu, Cuda") with the names that are allowed, as the manifest reader does for manifests.
/// </summary>
public static class EnumSettings
{
    /// <summary>One sentence per enum setting under <paramref name="section"/> that is not one of its type's names.</summary>
    public static IEnumerable<string> Problems(IConfiguration section, string path, Type type)
    {
        ArgumentNullException.ThrowIfNull(section);
        ArgumentNullException.ThrowIfNull(type);
        if ((DictionaryValueType(type) ?? ListElementType(type)) is { } valueType)
        {
            return section.GetChildren().SelectMany(entry => PropertyProblems(entry, $"{path}:{entry.Key}", valueType));
        }

        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetIndexParameters().Length == 0)
            .SelectMany(property => PropertyProblems(section.GetSection(property.Name), $"{path}:{property.Name}", property.PropertyType));
    }

    private static IEnumerable<string> PropertyProblems(IConfigurationSection setting, string path, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        if (underlying.IsEnum)
        {
            return setting.Value is { } value && !IsName(underlying, value) ? [Sentence(path, value, underlying)] : [];
        }

        // Nested settings of this project's own types, and dictionaries (Models:<id>:…) and lists of them or of enums.
        var nested = DictionaryValueType(underlying) ?? ListElementType(underlying) ?? underlying;
        var ours = nested.IsEnum || (nested.IsClass && nested.Namespace?.StartsWith("Inference.", StringComparison.Ordinal) == true);
        return ours && setting.GetChildren().Any() ? Problems(setting, path, underlying) : [];
    }

    /// <summary>The sentence the binder's own failures get at start-up, so both read alike.</summary>
    public static string Sentence(string path, string value, Type type) =>
        string.Create(CultureInfo.InvariantCulture, $"{path}: '{value}' is not a valid value (one of: {string.Join(", ", Enum.GetNames(type).Select(n => n.ToLowerInvariant()))}).");

    private static bool IsName(Type type, string value) =>
        Enum.GetNames(type).Any(name => string.Equals(name, value.Trim(), StringComparison.OrdinalIgnoreCase));

    private static Type? ListElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(List<>) || definition == typeof(IReadOnlyList<>) || definition == typeof(IList<>))
            ? type.GetGenericArguments()[0]
            : null;

    private static Type? DictionaryValueType(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() == typeof(Dictionary<,>) && type.GetGenericArguments()[0] == typeof(string)
            ? type.GetGenericArguments()[1]
            : null;
}

/// <summary>Runs <see cref="EnumSettings"/> over the sections an options type is bound from, with its other validation at start-up.</summary>
public sealed class EnumSettingsValidator<TOptions>(IConfiguration configuration, params (string Section, Type Type)[] sections) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        var problems = sections.SelectMany(s => EnumSettings.Problems(configuration.GetSection(s.Section), s.Section, s.Type)).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
