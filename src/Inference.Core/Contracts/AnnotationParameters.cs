using System.Globalization;
using Inference.Core.Rendering;
using Microsoft.Extensions.Primitives;

namespace Inference.Core.Contracts;

/// <summary>
/// Whether a detect request wants the annotated image instead of JSON, and how it is drawn: <c>format</c>
/// (<c>json</c> or <c>image</c>, as Roboflow's hosted API spells it), <c>labels</c> and <c>stroke</c>. Without
/// <c>format</c>, the client's accepted media types decide: the first of <c>application/json</c>,
/// <c>image/jpeg</c> and <c>image/png</c> it lists (a front end passes its protocol's Accept header, best first).
/// </summary>
public static class AnnotationParameters
{
    public const string JsonType = "application/json";

    /// <summary>The parameters read here, which a route that answers pictures accepts besides its detection ones.</summary>
    public static readonly IReadOnlyList<string> Names = ["format", "labels", "stroke"];

    /// <param name="options">The drawing options, or <see langword="null"/> when the answer is JSON.</param>
    /// <returns>False when a parameter is invalid; <paramref name="errors"/> says which.</returns>
    public static bool TryParse(
        Func<string, StringValues> lookup,
        IReadOnlyList<string> acceptedTypes,
        int imageCount,
        out AnnotationOptions? options,
        out Dictionary<string, string[]> errors)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(acceptedTypes);
        errors = [];
        options = null;
        var preferred = Preferred(acceptedTypes);
        var wantsImage = preferred is not null and not JsonType;
        var format = Single(lookup, "format", errors);
        if (format is not null)
        {
            switch (format.Trim().ToUpperInvariant())
            {
                case "JSON":
                    wantsImage = false;
                    break;
                case "IMAGE":
                    wantsImage = true;
                    break;
                default:
                    errors["format"] = [$"format must be 'json' or 'image' (got '{format}')."];
                    break;
            }
        }

        var labels = true;
        if (Single(lookup, "labels", errors) is { } labelsText && !DetectionParameters.TryBool(labelsText, out labels))
        {
            errors["labels"] = [$"labels must be true or false (got '{labelsText}')."];
        }

        int? stroke = null;
        if (Single(lookup, "stroke", errors) is { } strokeText)
        {
            if (int.TryParse(strokeText, NumberStyles.None, CultureInfo.InvariantCulture, out var width) && width is >= 1 and <= AnnotationOptions.MaxStroke)
            {
                stroke = width;
            }
            else
            {
                errors["stroke"] = [$"stroke must be a whole number of pixels from 1 to {AnnotationOptions.MaxStroke} (got '{strokeText}')."];
            }
        }

        if (wantsImage && imageCount > 1)
        {
            errors["format"] = [$"An annotated image answers one image; this request has {imageCount}. Send one image, or ask for JSON."];
        }

        if (errors.Count > 0)
        {
            return false;
        }

        if (wantsImage)
        {
            AnnotatedFormat? encoded = preferred switch
            {
                "image/png" => AnnotatedFormat.Png,
                "image/jpeg" => AnnotatedFormat.Jpeg,
                _ => null,
            };
            options = new AnnotationOptions(encoded, labels, stroke);
        }

        return true;
    }

    /// <summary>The first media type this service can answer with, of those the client accepts (best first).</summary>
    private static string? Preferred(IReadOnlyList<string> acceptedTypes)
    {
        foreach (var type in acceptedTypes)
        {
            if (type.Equals(JsonType, StringComparison.OrdinalIgnoreCase))
            {
                return JsonType;
            }

            if (type.Equals("image/jpeg", StringComparison.OrdinalIgnoreCase) || type.Equals("image/png", StringComparison.OrdinalIgnoreCase))
            {
                return type.ToLowerInvariant();
            }
        }

        return null;
    }

    private static string? Single(Func<string, StringValues> lookup, string name, Dictionary<string, string[]> errors)
    {
        var values = lookup(name);
        if (values.Count > 1)
        {
            errors[name] = [$"{name} was given {values.Count} times; give it once."];
            return null;
        }

        return values.Count == 1 ? values.ToString() : null;
    }
}
