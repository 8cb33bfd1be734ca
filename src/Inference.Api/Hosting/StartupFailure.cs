using System.Text.RegularExpressions;
using Inference.Core.Hosting;
using Microsoft.Extensions.Options;

namespace Inference.Api.Hosting;

/// <summary>
/// A configuration the service cannot start with ends the process with <see cref="ExitCode"/> and one plain sentence
/// per problem on stderr, each naming its key: no stack trace, since the fix is in the settings, not the code.
/// </summary>
public static partial class StartupFailure
{
    /// <summary>EX_CONFIG from sysexits.h: a configuration error (the README lists it).</summary>
    public const int ExitCode = 78;

    /// <summary>The sentences for a start-up failure caused by configuration, or null for any other failure.</summary>
    public static IReadOnlyList<string>? Describe(Exception exception) => exception switch
    {
        OptionsValidationException validation => [.. validation.Failures.Select(Unprefixed)],
        InvalidOperationException { Message: var message } when BinderFailure().Match(message) is { Success: true } m =>
            [Type.GetType(m.Groups["type"].Value + ", Inference.Core") is { IsEnum: true } type
                ? EnumSettings.Sentence(m.Groups["key"].Value, m.Groups["value"].Value, type)
                : $"{m.Groups["key"].Value}: '{m.Groups["value"].Value}' is not a valid {Friendly(m.Groups["type"].Value)}."],
        AggregateException aggregate when aggregate.InnerExceptions.Select(Describe).ToArray() is var all && all.All(a => a is not null) =>
            [.. all.SelectMany(a => a!)],
        _ => null,
    };

    public static int Report(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        foreach (var problem in problems)
        {
            Console.Error.WriteLine($"Configuration error: {problem}");
        }

        return ExitCode;
    }

    // The generated validators put the C# member first ("MaxBatchSize: Batching:MaxBatchSize must …"); the key is enough.
    private static string Unprefixed(string failure) =>
        MemberPrefix().Match(failure) is { Success: true } m ? m.Groups["rest"].Value : failure;

    private static string Friendly(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "whole number",
        "System.Boolean" => "boolean (true or false)",
        "System.Double" or "System.Single" => "number",
        _ => type,
    };

    [GeneratedRegex("^Failed to convert configuration value '(?<value>.*)' at '(?<key>[^']+)' to type '(?<type>[^']+)'")]
    private static partial Regex BinderFailure();

    [GeneratedRegex(@"^\w+: (?<rest>\w+:\w+.*)$", RegexOptions.Singleline)]
    private static partial Regex MemberPrefix();
}
