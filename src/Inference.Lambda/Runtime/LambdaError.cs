using System.Text.Json.Serialization;

namespace Inference.Lambda.Runtime;

/// <summary>
/// The error document the Runtime API takes on <c>/invocation/{id}/error</c> and <c>/init/error</c>, and the
/// <c>Lambda-Runtime-Function-Error-Type</c> header value that classifies it.
/// </summary>
public sealed record LambdaError(
    [property: JsonPropertyName("errorType")] string ErrorType,
    [property: JsonPropertyName("errorMessage")] string ErrorMessage,
    [property: JsonPropertyName("stackTrace")] IReadOnlyList<string> StackTrace)
{
    /// <summary>The header classification: Lambda accepts any string and recommends <c>Category.Reason</c>.</summary>
    [JsonIgnore]
    public string Category { get; init; } = "Unhandled";

    public static LambdaError From(Exception exception, string category)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var frames = exception.StackTrace?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [];
        return new LambdaError(exception.GetType().Name, exception.Message, frames) { Category = category };
    }
}

/// <summary>The function has no handler by the configured name; reported to <c>/init/error</c> as Runtime.NoSuchHandler.</summary>
public sealed class HandlerNotFoundException(string message) : Exception(message);
