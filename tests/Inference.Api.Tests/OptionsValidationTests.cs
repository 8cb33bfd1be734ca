using Inference.Api.Tests.Support;
using Microsoft.Extensions.Options;

namespace Inference.Api.Tests;

public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Batching:MaxBatchSize", "0")]
    [InlineData("Batching:MaxQueue", "0")]
    [InlineData("Batching:MaxDelayMs", "-1")]
    [InlineData("Limits:MaxBodyBytes", "10")]
    [InlineData("Limits:MaxImagesPerRequest", "0")]
    [InlineData("Shutdown:TimeoutSeconds", "1")]
    [InlineData("Inference:DeviceId", "-2")]
    [InlineData("Model:Manifest", "")]
    public async Task A_bad_setting_stops_the_boot_with_a_message_naming_the_key(string key, string value)
    {
        await using var service = new ServiceHost(new Dictionary<string, string?> { [key] = value, ["Shutdown:DrainDelaySeconds"] = "2" });

        var failure = Assert.ThrowsAny<Exception>(() => service.Start());

        var message = Flatten(failure);
        Assert.Contains(key, message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Inference:ExecutionProvider", "gpu")]
    [InlineData("Batching:MaxBatchSize", "eight")]
    public async Task A_value_of_the_wrong_type_names_its_key(string key, string value)
    {
        await using var service = new ServiceHost(new Dictionary<string, string?> { [key] = value });

        var failure = Assert.ThrowsAny<Exception>(() => service.Start());

        Assert.Contains(key, Flatten(failure), StringComparison.Ordinal);
    }

    private static string Flatten(Exception failure)
    {
        var messages = new List<string>();
        for (Exception? e = failure; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
            if (e is OptionsValidationException validation)
            {
                messages.AddRange(validation.Failures);
            }
        }

        return string.Join(" | ", messages);
    }
}
