using System.Text;
using System.Text.Json;

namespace Inference.Lambda.Tests.Support;

/// <summary>The events Lambda delivers: a Function URL request (payload 2.0) and a CodeDeploy hook.</summary>
public static class Events
{
    public static byte[] FunctionUrl(string method, string path, byte[]? body = null, string? contentType = null, bool base64 = true, IReadOnlyDictionary<string, string>? query = null)
    {
        var headers = new Dictionary<string, string> { ["host"] = "abc123.lambda-url.us-east-1.on.aws" };
        if (contentType is not null)
        {
            headers["content-type"] = contentType;
        }

        var document = new Dictionary<string, object?>
        {
            ["version"] = "2.0",
            ["routeKey"] = "$default",
            ["rawPath"] = path,
            ["rawQueryString"] = query is null ? string.Empty : string.Join('&', query.Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value)}")),
            ["headers"] = headers,
            ["queryStringParameters"] = query,
            ["requestContext"] = new Dictionary<string, object?>
            {
                ["http"] = new Dictionary<string, string> { ["method"] = method, ["path"] = path, ["protocol"] = "HTTP/1.1", ["sourceIp"] = "127.0.0.1" },
                ["requestId"] = Guid.NewGuid().ToString(),
            },
            ["body"] = body is null ? null : base64 ? Convert.ToBase64String(body) : Encoding.UTF8.GetString(body),
            ["isBase64Encoded"] = body is not null && base64,
        };
        return JsonSerializer.SerializeToUtf8Bytes(document);
    }

    public static byte[] Hook(string deploymentId = "d-EXAMPLE123", string executionId = "hook-exec-1") =>
        JsonSerializer.SerializeToUtf8Bytes(new { DeploymentId = deploymentId, LifecycleEventHookExecutionId = executionId });

    /// <summary>The HTTP result the handler returned, with its body parsed.</summary>
    public static (int Status, string ContentType, JsonElement Body) Result(byte[] payload)
    {
        var root = JsonDocument.Parse(payload).RootElement;
        var body = JsonDocument.Parse(root.GetProperty("body").GetString()!).RootElement.Clone();
        return (root.GetProperty("statusCode").GetInt32(), root.GetProperty("headers").GetProperty("content-type").GetString()!, body);
    }
}

/// <summary>S3 event notifications as Lambda delivers them to the preprocess function.</summary>
public static class S3Events
{
    /// <summary>One ObjectCreated:Put record per key; keys are URL-encoded the way S3 writes them (spaces as '+').</summary>
    public static byte[] Created(string bucket, params (string Key, string? VersionId, long Size)[] objects) =>
        System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(new
        {
            Records = objects.Select(o => new Dictionary<string, object?>
            {
                ["eventVersion"] = "2.1",
                ["eventSource"] = "aws:s3",
                ["awsRegion"] = "us-east-1",
                ["eventTime"] = "2026-12-01T12:00:00.000Z",
                ["eventName"] = "ObjectCreated:Put",
                ["s3"] = new Dictionary<string, object?>
                {
                    ["s3SchemaVersion"] = "1.0",
                    ["configurationId"] = "detector-uploads",
                    ["bucket"] = new Dictionary<string, object?> { ["name"] = bucket, ["arn"] = $"arn:aws:s3:::{bucket}" },
                    ["object"] = new Dictionary<string, object?>
                    {
                        ["key"] = System.Net.WebUtility.UrlEncode(o.Key).Replace("%2F", "/", StringComparison.Ordinal),
                        ["size"] = o.Size,
                        ["versionId"] = o.VersionId,
                        ["sequencer"] = "0055AED6DCD90281E5",
                    },
                },
            }),
        });
}
