namespace Inference.Lambda.Aws;

/// <summary>The one CodeDeploy call a lifecycle hook makes: its verdict on the deployment.</summary>
public sealed class CodeDeployClient(AwsJsonClient client)
{
    public const string PutHookStatusTarget = "CodeDeploy_20141006.PutLifecycleEventHookExecutionStatus";

    /// <summary>A client for the function's own region and credentials (the Lambda environment's role).</summary>
    public static CodeDeployClient FromEnvironment(HttpClient http, Func<string, string?> environment) =>
        new(new AwsJsonClient(http, AwsEndpoint.Resolve("CODEDEPLOY", "codedeploy", environment), LambdaCredentials.GetAsync));

    public async Task PutLifecycleEventHookExecutionStatusAsync(string deploymentId, string hookExecutionId, bool succeeded, CancellationToken cancellationToken)
    {
        var body = new Dictionary<string, string>
        {
            ["deploymentId"] = deploymentId,
            ["lifecycleEventHookExecutionId"] = hookExecutionId,
            ["status"] = succeeded ? "Succeeded" : "Failed",
        };
        using var _ = await client.CallAsync(PutHookStatusTarget, body, cancellationToken).ConfigureAwait(false);
    }
}
