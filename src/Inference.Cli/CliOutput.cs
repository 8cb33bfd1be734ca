using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using Inference.Cli.Errors;
using MongoDB.Bson;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Inference.Cli;

/// <summary>Writes results as tables for people or as JSON (<c>--json</c>) for workflows; errors always go to stderr.</summary>
internal static class CliOutput
{
    public const int Success = (int)ExitCode.Ok;

    public static readonly JsonSerializerOptions Json = CreateJsonOptions();

    /// <summary>One line, for error objects: a workflow reads standard error line by line.</summary>
    private static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    public static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON to standard output; errors become JSON on standard error." };

    public static TextWriter Out(ParseResult result) => result.InvocationConfiguration.Output;

    public static TextWriter Error(ParseResult result) => result.InvocationConfiguration.Error;

    /// <summary>
    /// Reports a failure on standard error and returns its exit code: "error: sentence" (one line per problem when
    /// there are several), or with <c>--json</c> one object <c>{"code", "message", "exit_code", "problems"}</c>.
    /// </summary>
    public static int Report(TextWriter error, bool json, CliException failure)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(failure);
        if (json)
        {
            error.WriteLine(JsonSerializer.Serialize(
                new ErrorJson(failure.Code, failure.Message, (int)failure.ExitCode, failure.Problems.Count > 1 ? failure.Problems : null),
                CompactJson));
        }
        else if (failure.Problems.Count > 1)
        {
            error.WriteLine($"error: {(failure.Headline.Length > 0 ? failure.Headline : "several problems")}:");
            foreach (var problem in failure.Problems)
            {
                error.WriteLine($"  - {problem}");
            }
        }
        else
        {
            error.WriteLine($"error: {failure.Message}");
        }

        if (Environment.GetEnvironmentVariable("INFERENCE_CLI_DEBUG") == "1" && failure.InnerException is { } cause)
        {
            error.WriteLine(cause.ToString());
        }

        return (int)failure.ExitCode;
    }

    public static void WriteJson(ParseResult result, object value) => Out(result).WriteLine(JsonSerializer.Serialize(value, Json));

    /// <summary>Renders a table (or any Spectre renderable) as plain text: no colours, no terminal width guessing.</summary>
    public static void Write(ParseResult result, IRenderable renderable)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Out(result)),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 240;
        console.Write(renderable);
    }

    public static Table Table(params string[] columns)
    {
        var table = new Table { Border = TableBorder.Simple };
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(column) { NoWrap = true });
        }

        return table;
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
            WriteIndented = true,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        };

        // The same kebab-case spelling the registry stores: in-progress, blue-green, s3.
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower));
        options.Converters.Add(new ObjectIdConverter());
        return options;
    }

    private sealed record ErrorJson(string Code, string Message, int ExitCode, IReadOnlyList<string>? Problems);

    private sealed class ObjectIdConverter : JsonConverter<ObjectId>
    {
        public override ObjectId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ObjectId.Parse(reader.GetString());

        public override void Write(Utf8JsonWriter writer, ObjectId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
