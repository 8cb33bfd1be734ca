using Inference.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Inference.Lambda.Tests.Support;

/// <summary>
/// A Function URL with AWS_IAM auth in front of a real service, on 127.0.0.1: a request whose SigV4 signature
/// (service <c>lambda</c>, recomputed independently) or session token does not match gets Lambda's
/// <c>403 {"Message":"Forbidden"}</c>; a signed one is passed to the service and its answer returned.
/// </summary>
public sealed class IamFunctionUrl : IAsyncDisposable
{
    private readonly HttpClient _forward;
    private WebApplication _app = null!;

    private IamFunctionUrl(Uri target) => _forward = new HttpClient { BaseAddress = target };

    public Uri Url { get; private set; } = null!;

    public static async Task<IamFunctionUrl> StartAsync(Uri target)
    {
        var url = new IamFunctionUrl(target);
        (url._app, url.Url) = await LoopbackApp.StartAsync(app => app.Run(url.HandleAsync));
        return url;
    }

    public async ValueTask DisposeAsync()
    {
        _forward.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer);
        var body = buffer.ToArray();
        if (SigV4Verifier.Problem(context.Request, body, FakeCodeDeploy.SecretKey, FakeCodeDeploy.Region, "lambda", TimeProvider.System) is not null
            || context.Request.Headers["X-Amz-Security-Token"] != FakeCodeDeploy.SessionToken)
        {
            context.Response.StatusCode = StatusCodes.Status403Forbidden;
            await context.Response.WriteAsJsonAsync(new { Message = "Forbidden" });
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), context.Request.Path.Value!.TrimStart('/'));
        if (body.Length > 0)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", context.Request.ContentType);
        }

        using var response = await _forward.SendAsync(request);
        context.Response.StatusCode = (int)response.StatusCode;
        context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
        await response.Content.CopyToAsync(context.Response.Body);
    }
}
