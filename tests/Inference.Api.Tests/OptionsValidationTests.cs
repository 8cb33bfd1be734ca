using Inference.Api.Hosting;
using Inference.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Inference.Api.Tests;

/// <summary>Options are typed and validated when the host starts: a bad setting is a sentence naming its key.</summary>
public sealed class OptionsValidationTests
{
    [Theory]
    [InlineData("Batching:MaxBatchSize", "0", "Batching:MaxBatchSize")]
    [InlineData("Batching:MaxQueue", "0", "Batching:MaxQueue")]
    [InlineData("Batching:MaxDelayMs", "-1", "Batching:MaxDelayMs")]
    [InlineData("Limits:MaxBodyBytes", "10", "Limits:MaxBodyBytes")]
    [InlineData("Limits:MaxImagesPerRequest", "0", "Limits:MaxImagesPerRequest")]
    [InlineData("Shutdown:TimeoutSeconds", "1", "Shutdown:TimeoutSeconds")]
    [InlineData("Inference:DeviceId", "-2", "Inference:DeviceId")]
    [InlineData("Model:Manifest", "", "Model:Manifest")]
    [InlineData("S3:MaxAttempts", "0", "S3:MaxAttempts")]
    [InlineData("Inference:ExecutionProvider", "gpu", "Inference:ExecutionProvider")]
    [InlineData("Inference:Instances", "0", "Inference:Instances")]
    [InlineData("Limits:DecodeMemoryBytes", "5", "Limits:DecodeMemoryBytes")]
    [InlineData("Models:Coco:Manifest", "x.json", "Models:Coco")]
    [InlineData("Models:coco:Manifest", "", "Models:coco:Manifest")]
    [InlineData("Batching:MaxBatchSize", "eight", "Batching:MaxBatchSize")]
    [InlineData("Ui:Title", "", "Ui:Title")]
    [InlineData("Ui:Enabled", "sometimes", "Ui:Enabled")]
    [InlineData("Inputs:AllowUrlFetch", "true", "Inputs:AllowedHosts must list")]
    [InlineData("Inputs:AllowedNetworks:0", "10.0.0.0/40", "Inputs:AllowedNetworks has '10.0.0.0/40'")]
    [InlineData("Inputs:UrlTimeoutMs", "5", "Inputs:UrlTimeoutMs")]
    [InlineData("Auth:ApiKeys:0", "my-plain-key", "Auth:ApiKeys entry 0 is not a SHA-256")]
    [InlineData("Compat:Aliases:0:Id", "acme/1", "Compat:Aliases:0 needs both Id")]

    // The binder would take numbers for enums: "1" as the second name, "7" as a value that does not exist.
    [InlineData("Inference:ExecutionProvider", "1", "Inference:ExecutionProvider: '1' is not a valid value (one of: auto, cuda, cpu, tensorrt).")]
    [InlineData("Inference:Spinning", "7", "Inference:Spinning: '7' is not a valid value (one of: off, duringruns, always).")]
    [InlineData("Inference:GraphOptimization", "Basic, All", "Inference:GraphOptimization: 'Basic, All' is not a valid value")]
    [InlineData("Model:Upload", "1", "Model:Upload: '1' is not a valid value (one of: float32, uint8).")]
    [InlineData("Models:coco:Upload", "0", "Models:coco:Upload: '0' is not a valid value (one of: float32, uint8).")]
    public void A_bad_setting_fails_validation_with_a_message_naming_the_key(string key, string value, string expected)
    {
        var failure = Assert.ThrowsAny<Exception>(() => Validate(new Dictionary<string, string?> { [key] = value, ["Shutdown:DrainDelaySeconds"] = "2" }));

        Assert.Contains(expected, Flatten(failure), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("s3://models/detector/model.onnx", null, null, "Model:Sha256 is required")]
    [InlineData("https://models/detector/model.onnx", "ba7a9ececf133f62f7024237ff4c8ac65c8577d5c2eab3b2729bc840104f1fc8", null, "Model:Uri must be an s3://bucket/key URI")]
    [InlineData("s3://models/detector/model.onnx", "not-a-hash", null, "Model:Sha256 must be 64 hexadecimal characters")]
    [InlineData("s3://models/detector/model.onnx", "ba7a9ececf133f62f7024237ff4c8ac65c8577d5c2eab3b2729bc840104f1fc8", "models/x.onnx", "either Model:Path or Model:Uri")]
    public void An_incomplete_or_contradictory_pin_fails_validation(string uri, string? sha256, string? path, string expected)
    {
        var failure = Assert.ThrowsAny<Exception>(() => Validate(new Dictionary<string, string?> { ["Model:Uri"] = uri, ["Model:Sha256"] = sha256, ["Model:Path"] = path }));

        Assert.Contains(expected, Flatten(failure), StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_settings_are_valid() => Validate(new Dictionary<string, string?>());

    [Fact]
    public void Cuda_graphs_on_the_cpu_provider_fail_validation_naming_both_keys()
    {
        var failure = Assert.ThrowsAny<Exception>(() => Validate(new Dictionary<string, string?> { ["Inference:CudaGraphs"] = "true", ["Inference:ExecutionProvider"] = "cpu" }));

        Assert.Contains("Inference:CudaGraphs needs the CUDA provider, but Inference:ExecutionProvider is 'cpu'", Flatten(failure), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Batching__MaxBatchSize", "0", "Configuration error: Batching:MaxBatchSize must be between 1 and 256 (got 0).")]
    [InlineData("Limits__MaxBodyBytes", "lots", "Configuration error: Limits:MaxBodyBytes: 'lots' is not a valid whole number.")]
    [InlineData("Inference__ExecutionProvider", "gpu", "Configuration error: Inference:ExecutionProvider: 'gpu' is not a valid value (one of: auto, cuda, cpu, tensorrt).")]
    [InlineData("Model__Upload", "int8", "Configuration error: Model:Upload: 'int8' is not a valid value (one of: float32, uint8).")]
    [InlineData("Inference__Spinning", "2", "Configuration error: Inference:Spinning: '2' is not a valid value (one of: off, duringruns, always).")]
    public async Task A_bad_setting_stops_the_real_process_at_boot_with_one_sentence_and_exit_code_78(string variable, string value, string expected)
    {
        var (exitCode, output) = await ApiProcess.RunToExitAsync(new Dictionary<string, string> { [variable] = value }, TimeSpan.FromSeconds(60));

        Assert.Equal(StartupFailure.ExitCode, exitCode);
        Assert.Contains(expected, output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", output, StringComparison.Ordinal);
    }

    /// <summary>Runs exactly the validation the host runs at start-up (every ValidateOnStart registration).</summary>
    private static void Validate(Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddInferenceService();
        using var app = builder.Build();
        app.Services.GetRequiredService<IStartupValidator>().Validate();
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
