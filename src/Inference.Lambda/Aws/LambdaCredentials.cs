using Amazon.Runtime;
using Amazon.Runtime.Credentials;

namespace Inference.Lambda.Aws;

/// <summary>
/// The SDK's default credential chain: in Lambda, the execution role's temporary keys from
/// <c>AWS_ACCESS_KEY_ID</c>, <c>AWS_SECRET_ACCESS_KEY</c> and <c>AWS_SESSION_TOKEN</c>.
/// </summary>
public static class LambdaCredentials
{
    public static Task<ImmutableCredentials> GetAsync(CancellationToken cancellationToken) =>
        DefaultAWSCredentialsIdentityResolver.GetCredentials().GetCredentialsAsync();
}
