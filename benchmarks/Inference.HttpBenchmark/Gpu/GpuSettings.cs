using System.Globalization;

namespace Inference.HttpBenchmark.Gpu;

/// <summary>The GPU run's settings, parsed strictly: an unknown option or a bad value stops the run before it starts.</summary>
internal sealed record GpuSettings(
    string App,
    string ModelDirectory,
    string PhotosDirectory,
    string Provider,
    int Seconds,
    int WarmUpSeconds,
    IReadOnlyList<int> Batches,
    IReadOnlyList<int> Concurrency,
    IReadOnlyList<string> Uploads,
    IReadOnlyList<int> GraphBatches,
    string Report)
{
    public const string Usage =
        "Usage: Inference.HttpBenchmark gpu --app DIR --model DIR --photos DIR --report PATH_WITHOUT_EXTENSION " +
        "[--provider cuda|cpu] [--seconds 5] [--warmup 2] [--batches 1,8,16,32] [--concurrency 1,8,32,128] [--uploads float32,uint8] [--graphs 8|none]";

    public bool Cuda => Provider == "cuda";

    /// <summary>Service configurations: each upload at each max batch, then CUDA graphs at each of theirs (CUDA only).</summary>
    public int Configurations => (Uploads.Count * Batches.Count) + (Cuda ? GraphBatches.Count : 0);

    /// <summary>Seconds the measurements take, without start-ups and warm-ups of the model.</summary>
    public int MeasuredSeconds => (Batches.Count * Seconds) + (Configurations * Concurrency.Count * (Seconds + WarmUpSeconds));

    public static GpuSettings Parse(IReadOnlyList<string> args)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Count; i += 2)
        {
            if (!args[i].StartsWith("--", StringComparison.Ordinal) || i + 1 >= args.Count)
            {
                throw new ArgumentException($"Expected '--option value' at '{args[i]}'.");
            }

            if (!values.TryAdd(args[i][2..], args[i + 1]))
            {
                throw new ArgumentException($"{args[i]} is given twice.");
            }
        }

        string Take(string name, string? fallback = null)
        {
            if (values.Remove(name, out var value))
            {
                return value;
            }

            return fallback ?? throw new ArgumentException($"--{name} is required.");
        }

        var settings = new GpuSettings(
            Existing(Take("app")),
            Existing(Take("model")),
            Existing(Take("photos")),
            OneOf("provider", Take("provider", "cuda"), "cuda", "cpu"),
            Positive("seconds", Take("seconds", "5")),
            Positive("warmup", Take("warmup", "2")),
            Numbers("batches", Take("batches", "1,8,16,32")),
            Numbers("concurrency", Take("concurrency", "1,8,32,128")),
            Take("uploads", "float32,uint8").Split(',').Select(u => OneOf("uploads", u, "float32", "uint8")).Distinct().ToArray(),
            Take("graphs", "8") is var graphs && graphs == "none" ? [] : Numbers("graphs", graphs),
            Path.GetFullPath(Take("report")));
        if (values.Count > 0)
        {
            throw new ArgumentException($"Unknown option --{values.Keys.First()}.");
        }

        return settings;
    }

    private static string Existing(string directory) =>
        Directory.Exists(directory) ? Path.GetFullPath(directory) : throw new ArgumentException($"The folder '{directory}' does not exist.");

    private static string OneOf(string name, string value, params string[] allowed) =>
        allowed.Contains(value, StringComparer.Ordinal) ? value : throw new ArgumentException($"--{name} must be one of {string.Join(", ", allowed)} (got '{value}').");

    private static int Positive(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number > 0
            ? number
            : throw new ArgumentException($"--{name} must be a positive whole number (got '{value}').");

    private static int[] Numbers(string name, string value) => [.. value.Split(',').Select(v => Positive(name, v)).Distinct().Order()];
}
