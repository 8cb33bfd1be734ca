using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Inference.Api.Tests.Support;

/// <summary>
/// The real service (its own Program.cs) on a real Kestrel bound to 127.0.0.1 on a free port, with settings
/// overridden per test. Start it with <see cref="StartAsync"/>.
/// </summary>
public sealed class ServiceHost : WebApplicationFactory<Program>
{
    private static readonly Dictionary<string, string?> Quiet = new()
    {
        ["Logging:LogLevel:Default"] = "Warning",
        ["Inference:ExecutionProvider"] = "cpu",
        ["Shutdown:DrainDelaySeconds"] = "0",
        ["Shutdown:TimeoutSeconds"] = "10",
    };

    private readonly Dictionary<string, string?> _settings;
    private readonly Action<IServiceCollection>? _services;

    public ServiceHost(IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    {
        _services = services;
        _settings = new Dictionary<string, string?>(Quiet);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            _settings[key] = value;
        }

        UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0));
    }

    public HttpClient Client { get; private set; } = null!;

    /// <summary>Starts Kestrel (and with it the model loader) without waiting for readiness.</summary>
    public ServiceHost Start()
    {
        StartServer();
        Client = CreateClient();
        Client.Timeout = TimeSpan.FromSeconds(60);
        return this;
    }

    /// <summary>Starts and waits until /health/ready answers 200.</summary>
    public async Task<ServiceHost> StartAsync()
    {
        Start();
        await WaitUntilReadyAsync();
        return this;
    }

    public async Task WaitUntilReadyAsync(TimeSpan? patience = null)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            using var response = await Client.GetAsync("/health/ready");
            if (response.StatusCode == HttpStatusCode.OK)
            {
                return;
            }

            if (clock.Elapsed > (patience ?? TimeSpan.FromSeconds(60)))
            {
                throw new TimeoutException($"Not ready after {clock.Elapsed}: {await response.Content.ReadAsStringAsync()}");
            }

            await Task.Delay(25);
        }
    }

    public async Task<string> MetricsAsync() => await Client.GetStringAsync("/metrics");

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseEnvironment("Testing");
        builder.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(_settings));
        if (_services is not null)
        {
            builder.ConfigureTestServices(_services);
        }
    }
}

internal static class HttpContentExtensions
{
    public static async Task<T> ReadAs<T>(this HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<T>(Json.Options))!;
}
