using System.Text.Json;
using Amazon.S3.Model;
using Inference.Lambda.Tests.Support;
using Inference.Testing;

namespace Inference.Lambda.Tests;

/// <summary>
/// The published <c>bootstrap</c> with <c>_HANDLER=preprocess</c>, against the loopback Runtime API, radosgw and a
/// real service process: an S3 notification is answered on the response endpoint with the result in S3, and a
/// service that is down is reported on the error endpoint, which is what makes Lambda retry the event and then
/// hand it to the dead-letter destination.
/// </summary>
[Collection(PublishedBootstrapGroup.Name)]
public sealed class PreprocessRuntimeTests(PublishedBootstrap bootstrap) : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private FakeLambdaRuntime _runtime = null!;

    public async Task InitializeAsync() => _runtime = await FakeLambdaRuntime.StartAsync();

    public async Task DisposeAsync() => await _runtime.DisposeAsync();

    [SkippableFact]
    public async Task An_upload_notification_is_answered_and_its_detections_are_written_to_s3()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var png = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "landscape.png"));
        var uploaded = await S3TestServer.PutAsync(bucket, "uploads/landscape.png", png);
        await using var service = await Services.HealthyAsync();
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "preprocess", Environment(service.Client.BaseAddress!.ToString()));

        var report = await _runtime.InvokeAsync(S3Events.Created(bucket, ("uploads/landscape.png", uploaded.VersionId, png.Length)), TimeSpan.FromSeconds(30)).WaitAsync(Patience);

        Assert.False(report.IsError, report.Json.ToString());
        Assert.Equal("results/uploads/landscape.png.detections.json", report.Json.GetProperty("results")[0].GetProperty("result_key").GetString());
        using var s3 = S3TestServer.Client();
        using var result = await s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = "results/uploads/landscape.png.detections.json" });
        var document = (await JsonDocument.ParseAsync(result.ResponseStream)).RootElement;
        Assert.NotEmpty(document.GetProperty("detections").EnumerateArray());
        Assert.Contains(lambda.LogEntries(), l => l.GetProperty("Message").GetString()!.Contains("uploads/landscape.png: detected", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task A_service_that_is_down_is_an_invocation_error_so_lambda_retries_the_event()
    {
        S3TestServer.Require();
        var bucket = await S3TestServer.CreateBucketAsync();
        var png = await File.ReadAllBytesAsync(Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png"));
        var uploaded = await S3TestServer.PutAsync(bucket, "uploads/golden.png", png);
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "preprocess", Environment($"http://127.0.0.1:{LoopbackPorts.Free()}"));

        var report = await _runtime.InvokeAsync(S3Events.Created(bucket, ("uploads/golden.png", uploaded.VersionId, png.Length)), TimeSpan.FromSeconds(30)).WaitAsync(Patience);

        Assert.True(report.IsError);
        Assert.Equal("Unhandled", report.ErrorTypeHeader);
        Assert.Equal("ServiceUnavailableException", report.Json.GetProperty("errorType").GetString());
        Assert.False(lambda.HasExited);
    }

    [Fact]
    public async Task Without_a_service_url_init_fails_with_the_sentence_that_names_the_setting()
    {
        await using var lambda = LambdaProcess.Start(bootstrap.Directory, _runtime.Endpoint, "preprocess");

        var report = await _runtime.InitError.WaitAsync(Patience);

        Assert.Equal("Runtime.InitError", report.ErrorTypeHeader);
        Assert.Contains("Preprocess:ServiceUrl must be the absolute http(s) URL", report.Json.GetProperty("errorMessage").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, await lambda.WaitForExitAsync(Patience));
    }

    private static Dictionary<string, string> Environment(string serviceUrl) => new()
    {
        ["Preprocess__ServiceUrl"] = serviceUrl,
        ["S3__ServiceUrl"] = S3TestServer.ServiceUrl ?? string.Empty,
    };
}
