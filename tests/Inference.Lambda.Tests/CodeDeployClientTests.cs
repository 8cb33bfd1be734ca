using Amazon.Runtime;
using Inference.Lambda.Aws;
using Inference.Lambda.Tests.Support;

namespace Inference.Lambda.Tests;

/// <summary>The hook's one AWS call, checked by a fake that recomputes SigV4 without the AWS SDK.</summary>
public sealed class CodeDeployClientTests : IAsyncLifetime
{
    private FakeCodeDeploy _fake = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _fake = await FakeCodeDeploy.StartAsync();

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _fake.DisposeAsync();
    }

    private CodeDeployClient Client(string secret = FakeCodeDeploy.SecretKey) => new(new AwsJsonClient(
        _http,
        new AwsEndpoint(new Uri(_fake.Url), FakeCodeDeploy.Region, "codedeploy"),
        _ => Task.FromResult(new ImmutableCredentials(FakeCodeDeploy.AccessKey, secret, FakeCodeDeploy.SessionToken))));

    [Theory]
    [InlineData(true, "Succeeded")]
    [InlineData(false, "Failed")]
    public async Task The_status_call_is_signed_targeted_and_shaped_as_codedeploy_expects(bool succeeded, string status)
    {
        await Client().PutLifecycleEventHookExecutionStatusAsync("d-ABCDEF123", "hook-42", succeeded, CancellationToken.None);

        var call = await _fake.NextCallAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(new HookStatusCall("d-ABCDEF123", "hook-42", status), call);
        Assert.Empty(_fake.Rejections);
    }

    [Fact]
    public async Task A_signature_made_with_the_wrong_secret_is_refused_and_surfaces_as_an_aws_error()
    {
        var failure = await Assert.ThrowsAsync<AwsServiceException>(() => Client(secret: "not-the-secret").PutLifecycleEventHookExecutionStatusAsync("d-1", "hook-1", true, CancellationToken.None));

        Assert.Equal(403, failure.Status);
        Assert.Equal("InvalidSignatureException", failure.ErrorType);
        Assert.Contains("differs from the recomputed", Assert.Single(_fake.Rejections), StringComparison.Ordinal);
        Assert.Empty(_fake.Calls);
    }

    [Fact]
    public void The_endpoint_follows_the_sdk_environment_overrides_and_defaults_to_the_regional_endpoint()
    {
        var regional = AwsEndpoint.Resolve("CODEDEPLOY", "codedeploy", name => name == "AWS_REGION" ? "eu-west-1" : null);
        var overridden = AwsEndpoint.Resolve("CODEDEPLOY", "codedeploy", name => name switch
        {
            "AWS_REGION" => "eu-west-1",
            "AWS_ENDPOINT_URL_CODEDEPLOY" => "http://127.0.0.1:9999/",
            _ => null,
        });

        Assert.Equal(new Uri("https://codedeploy.eu-west-1.amazonaws.com/"), regional.Url);
        Assert.Equal(new Uri("http://127.0.0.1:9999/"), overridden.Url);
        Assert.Equal("eu-west-1", overridden.Region);
    }
}
