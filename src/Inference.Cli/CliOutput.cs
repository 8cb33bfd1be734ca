using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Serialization;
using MongoDB.Bson;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Inference.Cli;

/// <summary>Writes results as tables for people or as JSON (<c>--json</c>) for workflows; errors always go to stderr.</summary>
internal static class CliOutput
{
    public const int Success = 0;
    public const int Failure = 1;

    /// <summary>The request was understood and deliberately refused (an unversioned bucket, say).</summary>
    public const int Refused = 2;

    public static readonly JsonSerializerOptions Json = CreateJsonOptions();

    public static Option<bool> JsonOption() => new("--json") { Description = "Write machine-readable JSON." };

    public static TextWriter Out(ParseResult result) => result.InvocationConfiguration.Output;

    public static int Fail(ParseResult result, string message, int code = Failure)
    {
        result.InvocationConfiguration.Error.WriteLine($"error: {message}");
        return code;
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

    private sealed class ObjectIdConverter : JsonConverter<ObjectId>
    {
        public override ObjectId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ObjectId.Parse(reader.GetString());

        public override void Write(Utf8JsonWriter writer, ObjectId value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToString());
    }
}
