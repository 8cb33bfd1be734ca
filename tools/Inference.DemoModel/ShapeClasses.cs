using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DemoModel;

/// <summary>
/// The demo model's classes are colours. Each class is a conjunction of linear tests on (R, G, B) in 0–1 units,
/// "w·rgb + bias > 0". Thresholds sit halfway between the background (grey: every difference is 0) and the
/// class's canonical colour, so an anti-aliased edge flips at 50 % coverage. The sets are mutually exclusive.
/// </summary>
public static class ShapeClasses
{
    public const int TestsPerClass = 4;

    public static IReadOnlyList<ShapeClass> All { get; } =
    [
        new("red", new Rgb24(220, 40, 40), [Difference(0, 1), Difference(0, 2)]),
        new("green", new Rgb24(40, 180, 60), [Difference(1, 0), Difference(1, 2)]),
        new("blue", new Rgb24(40, 70, 220), [Difference(2, 0), Difference(2, 1)]),

        // Yellow also needs R ≈ G, which keeps it apart from red and green.
        new("yellow", new Rgb24(230, 210, 40), [Difference(0, 2), Difference(1, 2), new ColourTest(1, -1, 0, 0.2f), new ColourTest(-1, 1, 0, 0.2f)]),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(c => c.Name).ToArray();

    /// <summary>"channel a minus channel b exceeds half of what the canonical colour shows".</summary>
    private static ColourTest Difference(int a, int b)
    {
        var weights = new float[3];
        weights[a] = 1;
        weights[b] = -1;
        return new ColourTest(weights[0], weights[1], weights[2], float.NaN);
    }
}

public sealed record ShapeClass(string Name, Rgb24 Colour, IReadOnlyList<ColourTest> Tests)
{
    /// <summary>The tests with their bias settled: NaN means half the canonical colour's value, negated.</summary>
    public IEnumerable<ColourTest> ResolvedTests() => Tests.Select(t => float.IsNaN(t.Bias)
        ? t with { Bias = -0.5f * ((t.R * Colour.R) + (t.G * Colour.G) + (t.B * Colour.B)) / 255f }
        : t);
}

public readonly record struct ColourTest(float R, float G, float B, float Bias);
