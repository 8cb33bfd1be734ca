using Inference.Core.Postprocessing;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace Inference.DemoModel;

public enum ShapeKind
{
    Rectangle,
    Ellipse,
}

/// <summary>A shape filling (or inscribed in) the pixel rectangle [X, X+Width) × [Y, Y+Height).</summary>
public sealed record Shape(ShapeKind Kind, int ClassId, int X, int Y, int Width, int Height)
{
    public string ClassName => ShapeClasses.All[ClassId].Name;

    /// <summary>The ground-truth box in pixel-edge coordinates.</summary>
    public BoundingBox Box => new(X, Y, X + Width, Y + Height);

    public bool Covers(int px, int py)
    {
        if (px < X || px >= X + Width || py < Y || py >= Y + Height)
        {
            return false;
        }

        if (Kind == ShapeKind.Rectangle)
        {
            return true;
        }

        // Pixel centres inside the inscribed ellipse.
        var nx = (px + 0.5 - X - (Width / 2.0)) / (Width / 2.0);
        var ny = (py + 0.5 - Y - (Height / 2.0)) / (Height / 2.0);
        return (nx * nx) + (ny * ny) <= 1.0;
    }
}

/// <summary>A picture of hard-edged shapes on a plain background, with its ground truth.</summary>
public sealed record Scene(int Width, int Height, Rgb24 Background, IReadOnlyList<Shape> Shapes)
{
    public Image<Rgb24> Render()
    {
        var image = new Image<Rgb24>(Width, Height, Background);
        foreach (var shape in Shapes)
        {
            var colour = ShapeClasses.All[shape.ClassId].Colour;
            for (var y = Math.Max(0, shape.Y); y < Math.Min(Height, shape.Y + shape.Height); y++)
            {
                for (var x = Math.Max(0, shape.X); x < Math.Min(Width, shape.X + shape.Width); x++)
                {
                    if (shape.Covers(x, y))
                    {
                        image[x, y] = colour;
                    }
                }
            }
        }

        return image;
    }

    public byte[] RenderPng()
    {
        using var image = Render();
        using var stream = new MemoryStream();
        image.SaveAsPng(stream);
        return stream.ToArray();
    }
}

/// <summary>Deterministic scenes: the same seed gives the same picture on every machine.</summary>
public static class SceneGenerator
{
    private const int Gap = 16;
    private const int Attempts = 500;

    private static readonly Rgb24[] Backgrounds = [new(255, 255, 255), new(235, 235, 235), new(128, 128, 128), new(30, 30, 30)];

    /// <summary>
    /// Up to <paramref name="count"/> non-touching shapes of every class and kind. Sides run from 12 % to 40 % of the
    /// shorter image side (never below 40 px), in aspect ratios from 1:2 to 2:1.
    /// </summary>
    public static Scene Random(int seed, int width, int height, int count)
    {
        // System.Random with a seed is specified to repeat its sequence across runtimes.
#pragma warning disable CA5394 // Not security-sensitive: test pictures.
        var random = new Random(seed);
        var shortSide = Math.Min(width, height);
        var minSide = Math.Max(40, (int)(shortSide * 0.12));
        var maxSide = Math.Max(minSide + 1, (int)(shortSide * 0.4));
        var shapes = new List<Shape>();
        for (var attempt = 0; attempt < Attempts && shapes.Count < count; attempt++)
        {
            var w = random.Next(minSide, maxSide);
            var h = Math.Clamp((int)(w * Math.Exp((random.NextDouble() * 2 - 1) * Math.Log(2))), minSide, maxSide);
            var candidate = new Shape(
                (ShapeKind)random.Next(2),
                shapes.Count % ShapeClasses.All.Count,
                random.Next(0, width - w + 1),
                random.Next(0, height - h + 1),
                w,
                h);
            if (!shapes.Exists(s => Near(s, candidate)))
            {
                shapes.Add(candidate);
            }
        }

        return new Scene(width, height, Backgrounds[random.Next(Backgrounds.Length)], shapes);
#pragma warning restore CA5394
    }

    private static bool Near(Shape a, Shape b) =>
        a.X < b.X + b.Width + Gap && b.X < a.X + a.Width + Gap &&
        a.Y < b.Y + b.Height + Gap && b.Y < a.Y + a.Height + Gap;
}
