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

    internal static string Flatten(Exception failure)
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

public sealed class PinValidationTests
{
    [Theory]
    [InlineData("s3://models/detector/model.onnx", null, null, "Model:Sha256 is required")]
    [InlineData("https://models/detector/model.onnx", "ba7a9ececf133f62f7024237ff4c8ac65c8577d5c2eab3b2729bc840104f1fc8", null, "Model:Uri must be an s3://bucket/key URI")]
    [InlineData("s3://models/detector/model.onnx", "not-a-hash", null, "Model:Sha256 must be 64 hexadecimal characters")]
    [InlineData("s3://models/detector/model.onnx", "ba7a9ececf133f62f7024237ff4c8ac65c8577d5c2eab3b2729bc840104f1fc8", "models/x.onnx", "either Model:Path or Model:Uri")]
    public async Task An_incomplete_or_contradictory_pin_stops_the_boot(string uri, string? sha256, string? path, string expected)
    {
        await using var service = new ServiceHost(new Dictionary<string, string?> { ["Model:Uri"] = uri, ["Model:Sha256"] = sha256, ["Model:Path"] = path });

        var failure = Assert.ThrowsAny<Exception>(() => service.Start());

        Assert.Contains(expected, OptionsValidationTests.Flatten(failure), StringComparison.Ordinal);
    }
}
