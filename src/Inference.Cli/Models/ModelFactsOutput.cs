using System.CommandLine;
using System.Globalization;
using Inference.Core.Model;
using Inference.Core.Serving;
using Spectre.Console;

namespace Inference.Cli.Models;

/// <summary>How the onboarding verbs print what a model turned out to be: its facts, then what was defaulted and from what.</summary>
internal static class ModelFactsOutput
{
    /// <param name="identity">Print name, version and hash: what a manifest said, not what <c>inspect</c> made up for a bare file.</param>
    public static void Write(ParseResult result, ModelFacts facts, bool identity = true)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var output = CliOutput.Out(result);
        var input = facts.Input;
        if (identity)
        {
            output.WriteLine($"model     {facts.Name} {facts.Version}");
            output.WriteLine($"sha256    {facts.Sha256}");
        }

        output.WriteLine($"format    {facts.Format}");
        output.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"input     {input.Tensor} {input.Width}x{input.Height}, {ManifestEnums.Name(input.ChannelOrder)}, {ManifestEnums.Name(input.PixelScale)}, {ManifestEnums.Name(input.Anchor)} letterbox, pad {input.PadValue}"));
        output.WriteLine($"batch     {(facts.StaticBatchSize is { } batch ? batch.ToString(CultureInfo.InvariantCulture) + " (static)" : "dynamic")}");
        output.WriteLine($"classes   {facts.Classes.Count}: {Abbreviate(facts.Classes)}");
        if (facts.Defaulted.Count > 0)
        {
            output.WriteLine();
            var table = CliOutput.Table("defaulted", "value", "from");
            foreach (var value in facts.Defaulted)
            {
                table.AddRow(Markup.Escape(value.Field), Markup.Escape(value.Value), Markup.Escape(value.From));
            }

            CliOutput.Write(result, table);
        }
    }

    public static string Abbreviate(IReadOnlyList<string> classes, int shown = 8) =>
        string.Join(", ", classes.Take(shown)) + (classes.Count > shown ? $", … ({classes.Count - shown} more)" : string.Empty);
}
