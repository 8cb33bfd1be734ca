using System.Collections.Concurrent;
using System.Text.Json;
using Inference.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Inference.Lambda.Tests.Support;

/// <summary>
/// CodeDeploy's JSON 1.1 endpoint on 127.0.0.1 for the one call a hook makes. Like AWS, it answers 400 with an
/// <c>__type</c> for an unknown target or a bad body and 403 <c>InvalidSignatureException</c> when the SigV4
/// signature (recomputed independently) or the session token does not match.
/// </summary>
public sealed class FakeCodeDeploy : IAsyncDisposable
{
    public const string AccessKey = "AKIDEXAMPLE";
    public const string SecretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    public const string SessionToken = "IQoJb3JpZ2luX2VjEXAMPLETOKEN";
    public const string Region = "us-east-1";

    private WebApplication _app = null!;

    public string Url { get; private set; } = string.Empty;

    /// <summary>Accepted calls: deploymentId, lifecycleEventHookExecutionId, status.</summary>
    public ConcurrentQueue<HookStatusCall> Calls { get; } = new();

    /// <summary>Refused calls, with AWS's error type.</summary>
    public ConcurrentQueue<string> Rejections { get; } = new();

    /// <summary>The environment a Lambda process needs to call this fake with the documented variables.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["AWS_ENDPOINT_URL_CODEDEPLOY"] = Url,
        ["AWS_REGION"] = Region,
        ["AWS_ACCESS_KEY_ID"] = AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SecretKey,
        ["AWS_SESSION_TOKEN"] = SessionToken,
    };

    public static async Task<FakeCodeDeploy> StartAsync()
    {
        var fake = new FakeCodeDeploy();
        (fake._app, var url) = await LoopbackApp.StartAsync(app => app.MapPost("/", (Delegate)fake.HandleAsync));
        fake.Url = url.ToString();
        return fake;
    }

    public async Task<HookStatusCall> NextCallAsync(TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (DateTime.UtcNow < deadline)
        {
            if (Calls.TryDequeue(out var call))
            {
                return call;
            }

            await Task.Delay(20);
        }

        throw new TimeoutException($"No PutLifecycleEventHookExecutionStatus call within {patience} (rejections: {string.Join("; ", Rejections)}).");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task<IResult> HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        var request = context.Request;

        if (request.Headers["X-Amz-Target"] != "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus")
        {
            return Reject(400, "UnknownOperationException", $"Unknown target '{request.Headers["X-Amz-Target"]}'.");
        }

        if (request.ContentType != "application/x-amz-json-1.1")
        {
            return Reject(400, "SerializationException", $"Content-Type must be application/x-amz-json-1.1 (got '{request.ContentType}').");
        }

        if (SigV4Verifier.Problem(request, body, SecretKey, Region, "codedeploy", TimeProvider.System, "x-amz-target", "content-type") is { } problem)
        {
            return Reject(403, "InvalidSignatureException", problem);
        }

        if (request.Headers["X-Amz-Security-Token"] != SessionToken)
        {
            return Reject(403, "UnrecognizedClientException", "The security token included in the request is invalid.");
        }

        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var call = new HookStatusCall(Text(root, "deploymentId"), Text(root, "lifecycleEventHookExecutionId"), Text(root, "status"));
        if (call.DeploymentId.Length == 0 || call.LifecycleEventHookExecutionId.Length == 0 || call.Status is not ("Succeeded" or "Failed"))
        {
            return Reject(400, "ValidationException", $"Invalid body: {JsonSerializer.Serialize(call)}");
        }

        Calls.Enqueue(call);
        return Results.Json(new { lifecycleEventHookExecutionId = call.LifecycleEventHookExecutionId });
    }

    private IResult Reject(int status, string type, string message)
    {
        Rejections.Enqueue($"{type}: {message}");
        return Results.Json(new Dictionary<string, string> { ["__type"] = type, ["message"] = message }, statusCode: status, contentType: "application/x-amz-json-1.1");
    }

    private static string Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : string.Empty;
}

public sealed record HookStatusCall(string DeploymentId, string LifecycleEventHookExecutionId, string Status);
