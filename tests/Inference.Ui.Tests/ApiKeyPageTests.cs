using System.Security.Cryptography;
using System.Text;
using Inference.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inference.Ui.Tests;

/// <summary>The service with API keys on: the page loads, asks for the key once it is refused, then works with it.</summary>
public sealed class KeyedServiceWithBrowser : ServiceWithBrowser
{
    public const string Key = "demo-page-key";

    protected override Dictionary<string, string> Settings() => new(base.Settings())
    {
        ["Auth__ApiKeys"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Key))),
    };
}

public sealed class ApiKeyPageTests(KeyedServiceWithBrowser service) : IClassFixture<KeyedServiceWithBrowser>
{
    private static readonly string Golden = Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png");

    [SkippableFact]
    public async Task The_page_asks_for_the_key_and_sends_it_on_every_call()
    {
        Browser.SkipIfMissing();
        var (page, _) = await service.OpenAsync("/");
        await Expect(page.GetByLabel("API key", new() { Exact = false })).ToBeVisibleAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("The service asks for an API key.");

        await page.GetByLabel("API key", new() { Exact = false }).FillAsync("wrong");
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the key" }).ClickAsync();
        await Expect(page.Locator("#status")).ToHaveTextAsync("The service refused that API key.");

        await page.GetByLabel("API key", new() { Exact = false }).FillAsync(KeyedServiceWithBrowser.Key);
        await page.GetByRole(AriaRole.Button, new() { Name = "Use the key" }).ClickAsync();
        await Expect(page.Locator("#model option")).ToHaveCountAsync(2);
        await Expect(page.Locator("#key-row")).ToBeHiddenAsync();

        await page.SetInputFilesAsync("#file", Golden);
        await Expect(page.Locator("#detections tbody tr")).ToHaveCountAsync(4);
    }
}
