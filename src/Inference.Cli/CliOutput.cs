using System.CommandLine;
using System.Text.Json;

namespace Inference.Cli;

/// <summary>Writes results as text for people or as JSON (<c>--json</c>) for workflows; errors always go to stderr.</summary>
internal static class CliOutput
{
    public const int Success = 0;
    public const int Failure = 1;

    /// <summary>The request was understood and deliberately refused (an unversioned bucket, say).</summary>
    public const int Refused = 2;

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON." };

    public static TextWriter Out(ParseResult result) => result.InvocationConfiguration.Output;

    public static int Fail(ParseResult result, string message, int code = Failure)
    {
        result.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return code;
    }
}
