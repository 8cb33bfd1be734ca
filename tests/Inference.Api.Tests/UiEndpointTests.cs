using System.Net;
using System.Text.RegularExpressions;
using Inference.Api.Tests.Support;

namespace Inference.Api.Tests;

/// <summary>The demo page's files and the API reference over HTTP; the page itself is tested in Chromium (Inference.Ui.Tests).</summary>
public sealed partial class UiEndpointTests
{
    [Fact]
    public async Task The_page_and_its_files_are_served_from_the_assembly_with_a_same_origin_policy()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Ui:Title"] = "Staging <detector>" }).StartAsync();

        using var page = await service.Client.GetAsync("/");
        var html = await page.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<h1>Staging &lt;detector&gt;</h1>", html, StringComparison.Ordinal);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        foreach (var file in new[] { "/ui/app.js", "/ui/app.css" })
        {
            using var asset = await service.Client.GetAsync(file);
            Assert.Equal(HttpStatusCode.OK, asset.StatusCode);
            // Offline: nothing the page loads names another host.
            Assert.DoesNotMatch(ExternalUrl(), await asset.Content.ReadAsStringAsync());
        }

        Assert.DoesNotMatch(ExternalUrl(), html);
    }

    [Fact]
    public async Task An_unchanged_file_answers_304_to_its_etag()
    {
        await using var service = await new ServiceHost().StartAsync();
        using var first = await service.Client.GetAsync("/ui/app.js");

        using var request = new HttpRequestMessage(HttpMethod.Get, "/ui/app.js");
        request.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var again = await service.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotModified, again.StatusCode);
    }

    [Fact]
    public async Task An_unknown_ui_file_is_a_404_problem()
    {
        await using var service = await new ServiceHost().StartAsync();

        using var response = await service.Client.GetAsync("/ui/secrets.json");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("not-found", (await response.ReadAs<ProblemAnswer>()).Code);
    }

    [Fact]
    public async Task Ui_enabled_false_removes_the_page_but_keeps_the_api_reference()
    {
        await using var service = await new ServiceHost(new Dictionary<string, string?> { ["Ui:Enabled"] = "false" }).StartAsync();

        using var page = await service.Client.GetAsync("/");
        using var script = await service.Client.GetAsync("/ui/app.js");
        using var docs = await service.Client.GetAsync("/docs/v1");
        using var scalar = await service.Client.GetAsync("/docs/scalar.js");

        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (page.StatusCode, script.StatusCode));
        Assert.Equal("not-found", (await page.ReadAs<ProblemAnswer>()).Code);
        Assert.Equal(HttpStatusCode.OK, docs.StatusCode);
        Assert.Contains("openapi/v1.json", await docs.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, scalar.StatusCode);
        Assert.True((await scalar.Content.ReadAsByteArrayAsync()).Length > 100_000, "The reference's script is not served locally.");
    }

    [GeneratedRegex(@"(?:src|href|url)\s*[=(]\s*[""']?https?://", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalUrl();
}
