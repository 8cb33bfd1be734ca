using Inference.Testing;
using Microsoft.Playwright;

namespace Inference.Ui.Tests;

/// <summary>
/// The service as its own process serving two models (so the page shows its model picker), and one Chromium for the
/// class's tests. Each test opens its own page and records every request it makes.
/// </summary>
public class ServiceWithBrowser : IAsyncLifetime
{
    /// <summary>The page's default heading (Ui:Title); the screenshot in the README shows it.</summary>
    public const string Title = "Object detection";

    private IPlaywright? _playwright;
    private IBrowser? _browser;

    public ApiProcess Api { get; private set; } = null!;

    public Uri BaseAddress => Api.Client.BaseAddress!;

    public async Task InitializeAsync()
    {
        Api = await ApiProcess.StartAsync(Settings());
        await Api.WaitUntilReadyAsync();
        if (Browser.Available)
        {
            (_playwright, _browser) = await Browser.LaunchAsync();
        }
    }

    /// <summary>The service's settings; a subclass adds its own.</summary>
    protected virtual Dictionary<string, string> Settings() => new()
    {
        ["Models__second__Manifest"] = RepositoryPaths.DemoManifest,
    };

    public async Task<(IPage Page, List<string> Requests)> OpenAsync(string path)
    {
        var context = await _browser!.NewContextAsync(new() { BaseURL = BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        var requests = new List<string>();
        page.Request += (_, request) =>
        {
            lock (requests)
            {
                requests.Add(request.Url);
            }
        };
        await page.GotoAsync(path);
        return (page, requests);
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
        await Api.DisposeAsync();
    }
}
