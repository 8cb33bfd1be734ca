using Microsoft.Playwright;

namespace Inference.Ui.Tests;

/// <summary>
/// Debian's Chromium (apt <c>chromium</c>, which scripts/test.sh installs) under Playwright: no browser is
/// downloaded. <c>INFERENCE_CHROMIUM</c> points elsewhere.
/// </summary>
public static class Browser
{
    public static string ExecutablePath { get; } = Environment.GetEnvironmentVariable("INFERENCE_CHROMIUM") is { Length: > 0 } configured ? configured : "/usr/bin/chromium";

    public static bool Available => File.Exists(ExecutablePath);

    public static string SkipReason => $"Chromium is not at {ExecutablePath} (apt-get install chromium; scripts/test.sh installs it).";

    /// <summary>Skips when Chromium is missing, except under scripts/test.sh, which requires it.</summary>
    public static void SkipIfMissing()
    {
        if (!Available)
        {
            Assert.True(Environment.GetEnvironmentVariable("INFERENCE_REQUIRE_TOOLS") != "1", SkipReason);
            Skip.If(true, SkipReason);
        }
    }

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        var playwright = await Playwright.CreateAsync();
        try
        {
            var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ExecutablePath, Headless = true, Args = ["--disable-gpu"] });
            return (playwright, browser);
        }
        catch
        {
            playwright.Dispose();
            throw;
        }
    }
}
