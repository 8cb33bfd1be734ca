using Inference.Api.Tests.Support;
using Inference.DemoModel;
using Inference.Testing;

namespace Inference.Api.Tests.Compat;

/// <summary>
/// The service on the demo model with URL fetching on for a real image host on 127.0.0.1 (allow-listed, host and
/// network), and one alias, as a team moving from Roboflow would configure it.
/// </summary>
public sealed class CompatServiceFixture : IAsyncLifetime
{
    public const string Alias = "acme-shapes/7";

    public static readonly byte[] Golden = DemoModelFiles.GoldenScene().RenderPng();

    public ServiceHost Service { get; private set; } = null!;

    public ImageHost Images { get; private set; } = null!;

    public HttpClient Client => Service.Client;

    public async Task InitializeAsync()
    {
        Images = await ImageHost.StartAsync(new Dictionary<string, byte[]> { ["golden.png"] = Golden });
        Service = await new ServiceHost(new Dictionary<string, string?>
        {
            ["Inputs:AllowUrlFetch"] = "true",
            ["Inputs:AllowedHosts:0"] = "127.0.0.1",
            ["Inputs:AllowedNetworks:0"] = "127.0.0.1/32",
            ["Compat:Aliases:0:Id"] = Alias,
            ["Compat:Aliases:0:Model"] = "default",
        }).StartAsync();
    }

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        await Images.DisposeAsync();
    }

    /// <summary>The native answer for the golden scene, which every compatible route must match.</summary>
    public async Task<DetectAnswer> NativeAsync(string query = "")
    {
        using var response = await Client.PostAsync($"/v1/detect{query}", Requests.Raw(Golden));
        response.EnsureSuccessStatusCode();
        return await response.ReadAs<DetectAnswer>();
    }
}

// What Roboflow clients read, deserialised independently of the service's own types.
public sealed record RoboflowAnswer(string InferenceId, double Time, SizeAnswer Image, List<PredictionAnswer> Predictions, string? Visualization = null);

public sealed record PredictionAnswer(float X, float Y, float Width, float Height, float Confidence, string Class, int ClassId, string DetectionId);
