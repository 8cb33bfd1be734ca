using System.Reflection;
using System.Text.Json;

namespace Inference.Delivery.Tests.Support;

/// <summary>JSON exactly as the 'inference' CLI prints it with --json (snake_case, kebab-case enums), for the stand-ins.</summary>
public static class CliJson
{
    // CliOutput is internal to the CLI; its options are the one definition of the CLI's JSON.
    private static readonly JsonSerializerOptions Options = (JsonSerializerOptions)typeof(Inference.Cli.InferenceCli).Assembly.GetType("Inference.Cli.CliOutput")!
        .GetField("Json", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;

    public static string Serialize(object value) => JsonSerializer.Serialize(value, Options);
}
