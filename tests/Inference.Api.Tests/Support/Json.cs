using System.Text.Json;

namespace Inference.Api.Tests.Support;

/// <summary>The wire format: snake_case properties, as the service writes them.</summary>
public static class Json
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web) { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}
