using Inference.Core.Backends;
using Inference.Core.Hosting;
using Microsoft.Extensions.Configuration;

namespace Inference.Core.Tests.Hosting;

/// <summary>
/// Enum settings anywhere in an options type: directly, nullable, in nested settings, in dictionaries and lists of
/// them, and in lists of enums; names in any case pass, numbers and flag combinations do not.
/// </summary>
public sealed class EnumSettingsTests
{
    [Fact]
    public void Numbers_are_refused_wherever_an_enum_setting_sits_and_names_in_any_case_pass()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["X:Provider"] = "CUDA",
            ["X:Optional"] = "1",
            ["X:Nested:Provider"] = "cpu",
            ["X:Nested:Optional"] = "Off, Always",
            ["X:ById:first:Provider"] = "7",
            ["X:ById:second:Provider"] = "tensorrt",
            ["X:List:0:Provider"] = "2",
            ["X:Modes:0"] = "duringruns",
            ["X:Modes:1"] = "0",
            ["X:Name"] = "42",
        }).Build();

        // Reflection does not promise the order of properties; the set of sentences is what matters.
        var problems = EnumSettings.Problems(configuration.GetSection("X"), "X", typeof(Settings)).Order(StringComparer.Ordinal).ToList();

        Assert.Equal(
            new[]
            {
                "X:Optional: '1' is not a valid value (one of: off, duringruns, always).",
                "X:Nested:Optional: 'Off, Always' is not a valid value (one of: off, duringruns, always).",
                "X:ById:first:Provider: '7' is not a valid value (one of: auto, cuda, cpu, tensorrt).",
                "X:List:0:Provider: '2' is not a valid value (one of: auto, cuda, cpu, tensorrt).",
                "X:Modes:1: '0' is not a valid value (one of: off, duringruns, always).",
            }.Order(StringComparer.Ordinal),
            problems);
    }

    private sealed class Settings
    {
        public ExecutionProviderPreference Provider { get; set; }

        public Spinning? Optional { get; set; }

        public string Name { get; set; } = "";

        public Settings? Nested { get; set; }

        public Dictionary<string, Settings> ById { get; set; } = [];

        public List<Settings> List { get; set; } = [];

        public Spinning[] Modes { get; set; } = [];
    }
}
