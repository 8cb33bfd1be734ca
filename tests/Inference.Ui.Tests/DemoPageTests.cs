using System.Text.Json;
using Inference.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace Inference.Ui.Tests;

/// <summary>The demo page at <c>/</c> in headless Chromium, as a person uses it.</summary>
public sealed class DemoPageTests(ServiceWithBrowser service) : IClassFixture<ServiceWithBrowser>
{
    private static readonly string Golden = Path.Combine(RepositoryPaths.DemoModelDirectory, "samples", "golden.png");

    [SkippableFact]
    public async Task Uploading_the_golden_image_draws_its_four_shapes_and_lists_them()
    {
        Browser.SkipIfMissing();
        var (page, requests) = await service.OpenAsync("/");
        await Expect(page.Locator("h1")).ToHaveTextAsync(ServiceWithBrowser.Title);
        await Expect(page.Locator("#model option")).ToHaveCountAsync(2);

        await page.SetInputFilesAsync("#file", Golden);

        var rows = page.Locator("#detections tbody tr");
        await Expect(rows).ToHaveCountAsync(4);
        var classes = (await rows.Locator("td:first-child").AllInnerTextsAsync()).Select(t => t.Trim()).Order().ToArray();
        Assert.Equal(["blue", "green", "red", "yellow"], classes);
        Assert.Contains(await rows.AllInnerTextsAsync(), r => r.Contains("44, 74, 205, 175", StringComparison.Ordinal));

        // The overlay is drawn in image pixels: the red rectangle's left edge (x = 44) is in class 0's colour.
        var edge = await CanvasPixelAsync(page, 45, 124);
        var middle = await CanvasPixelAsync(page, 300, 300);
        Assert.Equal(new[] { 0xFF, 0x38, 0x38, 0xFF }, edge);
        Assert.Equal(new[] { 0, 0, 0, 0 }, middle);

        await Expect(page.Locator("#timings")).ToContainTextAsync("Inference");
        await Expect(page.Locator("#pin")).ToContainTextAsync("2aa2ca42959efeb2c8f849a537e510ffd6aaad04ddb630de75281de8eb87e412");
        await Expect(page.Locator("#pin")).ToContainTextAsync("CPUExecutionProvider");
        await Expect(page.Locator("#pin")).ToContainTextAsync("shapes-demo");
        Assert.Contains("4 objects", await page.Locator("#preview").GetAttributeAsync("alt"), StringComparison.Ordinal);

        var screenshot = TestArtifacts.PathFor("demo-page.png");
        await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        Assert.True(new FileInfo(screenshot).Length > 10_000);
        AssertAllLocal(requests);
        Assert.Contains(requests, r => r.Contains("/v1/models/default/detect?", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_class_filter_and_sliders_go_to_the_service()
    {
        Browser.SkipIfMissing();
        var (page, requests) = await service.OpenAsync("/");
        await Expect(page.Locator("#model option")).ToHaveCountAsync(2);
        await page.SetInputFilesAsync("#file", Golden);
        var rows = page.Locator("#detections tbody tr");
        await Expect(rows).ToHaveCountAsync(4);

        await page.GetByLabel("red").UncheckAsync();

        await Expect(rows).ToHaveCountAsync(3);
        await Expect(page.Locator("#detections")).Not.ToContainTextAsync("red");
        Assert.Contains(requests, r => r.Contains("classes=1%2C2%2C3", StringComparison.Ordinal));

        await page.Locator("#iou").FillAsync("0.3");
        await page.Locator("#confidence").FillAsync("0.9");

        await Expect(page.Locator("#confidence-value")).ToHaveTextAsync("0.90");
        await WaitForRequestAsync(page, requests, r => r.Contains("confidence=0.9&iou=0.3", StringComparison.Ordinal));
        await Expect(rows).ToHaveCountAsync(3);
    }

    [SkippableFact]
    public async Task The_model_picker_sends_the_image_to_the_chosen_model()
    {
        Browser.SkipIfMissing();
        var (page, requests) = await service.OpenAsync("/");
        await Expect(page.Locator("#model-row")).ToBeVisibleAsync();
        await page.SetInputFilesAsync("#file", Golden);
        await Expect(page.Locator("#detections tbody tr")).ToHaveCountAsync(4);

        await page.GetByLabel("Model", new() { Exact = true }).SelectOptionAsync("second");

        await WaitForRequestAsync(page, requests, r => r.Contains("/v1/models/second/detect?", StringComparison.Ordinal));
        await Expect(page.Locator("#pin")).ToContainTextAsync("second");
        await Expect(page.Locator("#detections tbody tr")).ToHaveCountAsync(4);
    }

    [SkippableFact]
    public async Task A_file_that_is_not_an_image_shows_the_services_problem()
    {
        Browser.SkipIfMissing();
        var (page, _) = await service.OpenAsync("/");
        await Expect(page.Locator("#model option")).ToHaveCountAsync(2);

        await page.SetInputFilesAsync("#file", new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "not an image"u8.ToArray() });

        await Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("not-an-image");
    }

    [SkippableFact]
    public async Task Every_control_has_a_label_and_the_keyboard_reaches_the_file_input()
    {
        Browser.SkipIfMissing();
        var (page, _) = await service.OpenAsync("/");
        await Expect(page.Locator("#class-list input")).ToHaveCountAsync(4);

        var unlabelled = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('input, select')].filter(e => e.labels.length === 0 && !e.getAttribute('aria-label')).map(e => e.id || e.outerHTML)");
        Assert.Empty(unlabelled);
        Assert.Equal("en", await page.Locator("html").GetAttributeAsync("lang"));

        var reached = false;
        for (var i = 0; i < 12 && !reached; i++)
        {
            await page.Keyboard.PressAsync("Tab");
            reached = await page.EvaluateAsync<string>("() => document.activeElement.id") == "file";
        }

        Assert.True(reached, "Tab never reached the file input.");
    }

    [SkippableFact]
    public async Task The_api_reference_at_docs_renders_from_this_host_alone()
    {
        Browser.SkipIfMissing();
        var (page, requests) = await service.OpenAsync("/docs/");

        await Expect(page.GetByText("Detect objects in one or more images with the default model.").First).ToBeVisibleAsync(new() { Timeout = 30_000 });

        await page.ScreenshotAsync(new() { Path = TestArtifacts.PathFor("api-docs.png") });
        AssertAllLocal(requests);
        Assert.Contains(requests, r => r.EndsWith("/openapi/v1.json", StringComparison.Ordinal));
    }

    private void AssertAllLocal(List<string> requests)
    {
        string[] outside;
        lock (requests)
        {
            outside = [.. requests.Where(r => !r.StartsWith(service.BaseAddress.GetLeftPart(UriPartial.Authority), StringComparison.Ordinal) && !r.StartsWith("blob:", StringComparison.Ordinal) && !r.StartsWith("data:", StringComparison.Ordinal))];
        }

        Assert.True(outside.Length == 0, $"The page reached beyond the service: {string.Join(", ", outside)}");
    }

    private static async Task<int[]> CanvasPixelAsync(IPage page, int x, int y) =>
        await page.EvaluateAsync<int[]>($"() => [...document.getElementById('overlay').getContext('2d').getImageData({x}, {y}, 1, 1).data]");

    private static async Task WaitForRequestAsync(IPage page, List<string> requests, Func<string, bool> match)
    {
        // The page's own request event decides: listen first, then look at what was already sent, so a request
        // made in between is not missed.
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnRequest(object? sender, IRequest request)
        {
            if (match(request.Url))
            {
                seen.TrySetResult();
            }
        }

        page.Request += OnRequest;
        try
        {
            lock (requests)
            {
                if (requests.Any(match))
                {
                    return;
                }
            }

            await seen.Task.WaitAsync(TimeSpan.FromSeconds(15));
        }
        catch (TimeoutException)
        {
            lock (requests)
            {
                Assert.Fail($"No such request; sent: {JsonSerializer.Serialize(requests)}");
            }
        }
        finally
        {
            page.Request -= OnRequest;
        }
    }
}
