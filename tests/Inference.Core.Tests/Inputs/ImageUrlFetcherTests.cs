using System.Net;
using Inference.Core.Contracts;
using Inference.Core.Inputs;
using Inference.DemoModel;
using Inference.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Inference.Core.Tests.Inputs;

/// <summary>The URL fetcher against a real web server on 127.0.0.1, allow-listed (or not) as each test needs.</summary>
public sealed class ImageUrlFetcherTests : IAsyncLifetime
{
    private static readonly byte[] Png = DemoModelFiles.GoldenScene().RenderPng();
    private ImageHost _host = null!;

    public async Task InitializeAsync() => _host = await ImageHost.StartAsync(new Dictionary<string, byte[]> { ["golden.png"] = Png });

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task An_allow_listed_host_in_an_allow_listed_network_is_fetched()
    {
        using var fetcher = new ImageUrlFetcher(Loopback());

        var bytes = await fetcher.FetchAsync(_host.Image("golden.png").ToString(), CancellationToken.None);

        Assert.Equal(Png, bytes);
    }

    [Fact]
    public async Task Fetching_is_off_by_default()
    {
        using var fetcher = new ImageUrlFetcher(new InputsOptions());

        await AssertRefused(fetcher, _host.Image("golden.png").ToString(), "url-fetch-disabled", 400);
        Assert.Empty(_host.Hosts);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/golden.png", "only http and https")]
    [InlineData("file:///etc/passwd", "not an absolute URL")]
    [InlineData("http://user:secret@127.0.0.1/golden.png", "credentials")]
    [InlineData("/images/golden.png", "not an absolute URL")]
    public async Task Other_schemes_credentials_and_relative_urls_are_invalid(string url, string reason)
    {
        using var fetcher = new ImageUrlFetcher(Loopback());

        var problem = await AssertRefused(fetcher, url, "invalid-url", 400);
        Assert.Contains(reason, problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_off_the_allow_list_is_refused_before_any_connection()
    {
        using var fetcher = new ImageUrlFetcher(new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["images.example.com"], AllowedNetworks = ["127.0.0.1/32"] });

        var problem = await AssertRefused(fetcher, _host.Image("golden.png").ToString(), "url-host-not-allowed", 403);
        Assert.Contains("'127.0.0.1'", problem.Detail, StringComparison.Ordinal);
        Assert.Empty(_host.Hosts);
    }

    [Fact]
    public async Task An_allow_listed_host_that_resolves_to_loopback_is_refused_unless_its_network_is_listed()
    {
        using var fetcher = new ImageUrlFetcher(new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["*"] });

        var problem = await AssertRefused(fetcher, _host.Image("golden.png").ToString(), "url-address-not-allowed", 403);
        Assert.Contains("127.0.0.1, a loopback address", problem.Detail, StringComparison.Ordinal);
        Assert.Empty(_host.Hosts);
    }

    [Fact]
    public async Task A_name_is_resolved_once_checked_and_connected_to_at_the_checked_address()
    {
        // images.test exists only in this resolver: reaching the server proves the connection used the checked answer.
        var lookups = 0;
        var options = new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["*.test"], AllowedNetworks = ["127.0.0.1/32"] };
        using var fetcher = new ImageUrlFetcher(options, resolve: (host, _) =>
        {
            Interlocked.Increment(ref lookups);
            return Task.FromResult(host == "images.test" ? new[] { IPAddress.Loopback } : []);
        });

        var bytes = await fetcher.FetchAsync($"http://images.test:{_host.Port}/images/golden.png", CancellationToken.None);

        Assert.Equal(Png, bytes);
        Assert.Equal(1, lookups);
        Assert.Equal($"images.test:{_host.Port}", Assert.Single(_host.Hosts));
    }

    [Fact]
    public async Task A_name_with_any_forbidden_address_among_its_answers_is_refused_whole()
    {
        // A rebinding name answers a public address and an internal one; connecting "to the public one" is not safe
        // when the socket may try the next, so the host is refused before any connection.
        var options = new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["*"] };
        using var fetcher = new ImageUrlFetcher(options, resolve: (_, _) => Task.FromResult(new[] { IPAddress.Parse("8.8.8.8"), IPAddress.Loopback }));

        await AssertRefused(fetcher, $"http://rebind.test:{_host.Port}/images/golden.png", "url-address-not-allowed", 403);
        Assert.Empty(_host.Hosts);
    }

    [Fact]
    public async Task The_cloud_metadata_address_is_link_local_and_refused()
    {
        using var fetcher = new ImageUrlFetcher(new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["*"] });

        var problem = await AssertRefused(fetcher, "http://169.254.169.254/latest/meta-data/", "url-address-not-allowed", 403);
        Assert.Contains("link-local", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_redirect_within_the_host_is_followed()
    {
        using var fetcher = new ImageUrlFetcher(Loopback());

        var bytes = await fetcher.FetchAsync(new Uri(_host.Url, "redirect/golden.png").ToString(), CancellationToken.None);

        Assert.Equal(Png, bytes);
        Assert.Equal(2, _host.Hosts.Count);
    }

    [Fact]
    public async Task A_redirect_to_another_host_is_refused_even_when_that_host_is_allowed()
    {
        var options = new InputsOptions { AllowUrlFetch = true, AllowedHosts = ["127.0.0.1", "localhost"], AllowedNetworks = ["127.0.0.0/8", "::1/128"] };
        using var fetcher = new ImageUrlFetcher(options);

        var problem = await AssertRefused(fetcher, new Uri(_host.Url, "redirect-host/golden.png").ToString(), "url-redirect-not-allowed", 403);
        Assert.Contains("'localhost'", problem.Detail, StringComparison.Ordinal);
        Assert.Single(_host.Hosts);
    }

    [Fact]
    public async Task Redirects_stop_at_the_limit()
    {
        using var fetcher = new ImageUrlFetcher(Loopback(maxRedirects: 2));

        var problem = await AssertRefused(fetcher, new Uri(_host.Url, "loop").ToString(), "url-fetch-failed", 502);
        Assert.Contains("more than 2 redirects", problem.Detail, StringComparison.Ordinal);
        Assert.Equal(3, _host.Hosts.Count);
    }

    [Theory]
    [InlineData("declared/50000000")]
    [InlineData("chunked/50000000")]
    public async Task A_body_over_the_cap_is_refused_whether_declared_or_streamed(string path)
    {
        using var fetcher = new ImageUrlFetcher(Loopback(maxBytes: 1024 * 1024));

        var problem = await AssertRefused(fetcher, new Uri(_host.Url, path).ToString(), "url-image-too-large", 413);
        Assert.Contains("Inputs:MaxUrlBytes (1048576 bytes)", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_status_is_a_failed_fetch_naming_it()
    {
        using var fetcher = new ImageUrlFetcher(Loopback());

        var problem = await AssertRefused(fetcher, _host.Image("missing.png").ToString(), "url-fetch-failed", 502);
        Assert.Contains("404", problem.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_runs_into_the_fetch_deadline()
    {
        var clock = new FakeTimeProvider();
        using var fetcher = new ImageUrlFetcher(Loopback(), clock);

        var fetch = fetcher.FetchAsync(new Uri(_host.Url, "hang").ToString(), CancellationToken.None);
        await _host.Hanging.WaitAsync(TimeSpan.FromSeconds(30));
        clock.Advance(TimeSpan.FromMilliseconds(Loopback().UrlTimeoutMs));

        var problem = (await Assert.ThrowsAsync<RequestProblemException>(() => fetch)).Problem;
        Assert.Equal(("url-fetch-timeout", 504), (problem.Code, problem.Status));
    }

    [Fact]
    public async Task The_callers_cancellation_stops_the_fetch_as_a_cancellation()
    {
        using var fetcher = new ImageUrlFetcher(Loopback());
        using var caller = new CancellationTokenSource();

        var fetch = fetcher.FetchAsync(new Uri(_host.Url, "hang").ToString(), caller.Token);
        await _host.Hanging.WaitAsync(TimeSpan.FromSeconds(30));
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fetch);
    }

    [Theory]
    [InlineData("127.0.0.1", "loopback")]
    [InlineData("::1", "loopback")]
    [InlineData("::ffff:127.0.0.1", "loopback")]
    [InlineData("10.1.2.3", "private")]
    [InlineData("172.20.0.1", "private")]
    [InlineData("192.168.1.1", "private")]
    [InlineData("100.64.0.1", "private (carrier-grade NAT)")]
    [InlineData("fd00::1", "private (unique local)")]
    [InlineData("169.254.169.254", "link-local")]
    [InlineData("fe80::1", "link-local")]
    [InlineData("0.0.0.0", "unspecified")]
    [InlineData("224.0.0.1", "multicast")]
    [InlineData("255.255.255.255", "reserved")]
    [InlineData("64:ff9b::a00:1", "translated IPv4 (NAT64)")]
    [InlineData("2002:a00:1::", "tunnelled IPv4 (6to4)")]
    [InlineData("8.8.8.8", null)]
    [InlineData("2606:4700:4700::1111", null)]
    public void Addresses_are_classified_by_the_special_purpose_registries(string address, string? kind) =>
        Assert.Equal(kind, UrlPolicy.Kind(IPAddress.Parse(address)));

    [Theory]
    [InlineData(true, new string[0], new string[0], "Inputs:AllowedHosts must list")]
    [InlineData(true, new[] { "exa mple.com" }, new string[0], "'exa mple.com', which is not a host name")]
    [InlineData(false, new string[0], new[] { "10.0.0.0/33" }, "'10.0.0.0/33', which is not a network in CIDR notation")]
    public void Settings_that_cannot_work_name_their_key(bool allow, string[] hosts, string[] networks, string expected)
    {
        var options = new InputsOptions { AllowUrlFetch = allow, AllowedHosts = [.. hosts], AllowedNetworks = [.. networks] };

        var problems = options.Validate(new System.ComponentModel.DataAnnotations.ValidationContext(options)).Select(p => p.ErrorMessage);

        Assert.Contains(problems, p => p!.Contains(expected, StringComparison.Ordinal));
    }

    private static InputsOptions Loopback(long maxBytes = 20 * 1024 * 1024, int maxRedirects = 3) => new()
    {
        AllowUrlFetch = true,
        AllowedHosts = ["127.0.0.1"],
        AllowedNetworks = ["127.0.0.1/32"],
        MaxUrlBytes = maxBytes,
        MaxRedirects = maxRedirects,
        UrlTimeoutMs = 5000,
    };

    private static async Task<Problem> AssertRefused(ImageUrlFetcher fetcher, string url, string code, int status)
    {
        var problem = (await Assert.ThrowsAsync<RequestProblemException>(() => fetcher.FetchAsync(url, CancellationToken.None))).Problem;
        Assert.True((code, status) == (problem.Code, problem.Status), $"{url}: expected {code} {status}, got {problem.Code} {problem.Status}: {problem.Detail}");
        return problem;
    }
}
