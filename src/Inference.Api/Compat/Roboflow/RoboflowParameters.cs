using System.Globalization;
using Inference.Core.Contracts;
using Inference.Core.Postprocessing;
using Inference.Core.Rendering;
using Inference.Core.Repository;
using Microsoft.Extensions.Primitives;

namespace Inference.Api.Compat.Roboflow;

/// <summary>
/// Roboflow's parameter names and conventions, mapped onto the native ones and read by <see cref="DetectionParameters"/>
/// so the same values give the same detections. Parameters that only steer Roboflow's platform (active learning, usage
/// counting, sources) or its other task types are accepted and have no effect; anything unknown is refused by name.
/// </summary>
internal static class RoboflowParameters
{
    // Accepted on both routes, with no effect here: platform bookkeeping, and preprocessing steps a Roboflow project
    // may switch on, which no model of this service has (so disabling them changes nothing).
    private static readonly string[] NoEffect =
    [
        "api_key", "disable_active_learning", "active_learning_target_dataset", "source", "source_info", "countinference",
        "service_secret", "disable_model_monitoring", "disable_preproc_contrast", "disable_preproc_grayscale", "disable_preproc_static_crop",
        "disable_preproc_auto_orient",
    ];

    /// <summary>The hosted API's query parameters (<c>POST /{project}/{version}</c>).</summary>
    public static readonly string[] Hosted =
    [
        .. NoEffect, "confidence", "overlap", "classes", "max_detections", "format", "labels", "stroke", "image", "image_type",
        "keypoint_confidence", "mask_decode_mode", "tradeoff_factor", "response_mask_format",
    ];

    /// <summary>The inference server's JSON members (<c>POST /infer/object_detection</c>) and its two query parameters.</summary>
    public static readonly string[] Server =
    [
        .. NoEffect, "model_id", "model_type", "id", "confidence", "iou_threshold", "class_filter", "class_agnostic_nms", "max_detections",
        "max_candidates", "fix_batch_size", "visualize_predictions", "visualization_labels", "visualization_stroke_width", "usage_billable",
        "start", "stream_pipeline_context_id",
    ];

    /// <summary>
    /// The hosted API: <c>confidence</c> and <c>overlap</c> as a percentage (40) or, as Roboflow's own server also
    /// reads them, a fraction (0.4): values of 1 and above are percentages.
    /// </summary>
    /// <param name="drawing">The drawn image format=image or format=image_and_json asks for; null for JSON alone.</param>
    public static DetectionOptions FromHosted(DetectRequest request, ServedModel model, out RoboflowDrawing? drawing)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        DetectionParameters.RejectUnknown(request.ParameterNames, Hosted, errors);
        var native = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        Threshold(request, "confidence", "confidence", percent: true, native, errors);
        Threshold(request, "overlap", "iou", percent: true, native, errors);
        Copy(request, "classes", "classes", native);
        Copy(request, "max_detections", "max_detections", native);
        var format = One(request, "format");
        if (format is not (null or "json" or "image" or "image_and_json"))
        {
            errors["format"] = [$"format must be json, image or image_and_json (got '{format}')."];
        }

        var labels = Boolean(request, "labels", errors);
        var stroke = Whole(request, "stroke", 1, AnnotationOptions.MaxStroke, errors);
        drawing = format is "image" or "image_and_json"
            ? new RoboflowDrawing(new AnnotationOptions(AnnotatedFormat.Jpeg, labels ?? true, stroke), InJson: format == "image_and_json")
            : null;
        if (One(request, "image_type") is { } type && type != "base64")
        {
            errors["image_type"] = [$"image_type must be base64 (got '{type}'); numpy arrays are not accepted."];
        }

        OrientationKept(request, errors);
        return Finish(native, model, errors);
    }

    /// <summary>The inference server: fractions only, as its JSON schema declares them.</summary>
    /// <param name="drawing">The drawn image visualize_predictions asks for, as base64 in the JSON; null without it.</param>
    public static DetectionOptions FromServer(DetectRequest request, ServedModel model, out RoboflowDrawing? drawing)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(model);
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        DetectionParameters.RejectUnknown(request.ParameterNames, Server, errors);
        var native = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        Threshold(request, "confidence", "confidence", percent: false, native, errors);
        Copy(request, "iou_threshold", "iou", native);
        Copy(request, "class_filter", "classes", native);
        Copy(request, "class_agnostic_nms", "agnostic", native);
        Copy(request, "max_detections", "max_detections", native);
        var visualize = Boolean(request, "visualize_predictions", errors);
        var labels = Boolean(request, "visualization_labels", errors);
        _ = Boolean(request, "fix_batch_size", errors);
        var stroke = Whole(request, "visualization_stroke_width", 1, AnnotationOptions.MaxStroke, errors);
        drawing = visualize == true ? new RoboflowDrawing(new AnnotationOptions(AnnotatedFormat.Jpeg, labels ?? true, stroke), InJson: true) : null;
        var candidates = Whole(request, "max_candidates", 1, DetectionOptions.DefaultMaxCandidates, errors);
        OrientationKept(request, errors);
        var options = Finish(native, model, errors);
        return candidates is { } cap ? options with { MaxCandidates = cap } : options;
    }

    private static DetectionOptions Finish(Dictionary<string, StringValues> native, ServedModel model, Dictionary<string, string[]> errors)
    {
        DetectionParameters.TryParse(name => native.TryGetValue(name, out var value) ? value : StringValues.Empty, model.DefaultOptions, model.ClassNames, out var options, out var nativeErrors);
        foreach (var (name, messages) in nativeErrors)
        {
            errors.TryAdd(name, messages);
        }

        return errors.Count == 0 ? options : throw new RequestProblemException(ProblemCatalog.InvalidParameters(errors));
    }

    /// <summary>"default" keeps the model's threshold; "best" needs per-class evaluation thresholds, which no model here has.</summary>
    private static void Threshold(DetectRequest request, string name, string nativeName, bool percent, Dictionary<string, StringValues> native, Dictionary<string, string[]> errors)
    {
        if (One(request, name) is not { } text || text == "default")
        {
            return;
        }

        if (!DetectionParameters.TryFloat(text, out var value) || value < 0 || value > (percent ? 100 : 1))
        {
            errors[name] = [percent
                ? $"{name} must be a percentage from 1 to 100 or a fraction below 1 (got '{text}')."
                : $"{name} must be a number from 0 to 1, or \"default\" (got '{text}')."];
            return;
        }

        native[nativeName] = (percent && value >= 1 ? value / 100 : value).ToString(CultureInfo.InvariantCulture);
    }

    private static void Copy(DetectRequest request, string name, string nativeName, Dictionary<string, StringValues> native)
    {
        var value = request.Parameter(name);
        if (value.Count > 0)
        {
            native[nativeName] = value;
        }
    }

    private static bool? Boolean(DetectRequest request, string name, Dictionary<string, string[]> errors)
    {
        if (One(request, name) is not { } text)
        {
            return null;
        }

        if (DetectionParameters.TryBool(text, out var value))
        {
            return value;
        }

        errors[name] = [$"{name} must be true or false (got '{text}')."];
        return null;
    }

    private static int? Whole(DetectRequest request, string name, int minimum, int maximum, Dictionary<string, string[]> errors)
    {
        if (One(request, name) is not { } text)
        {
            return null;
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= minimum && value <= maximum)
        {
            return value;
        }

        errors[name] = [$"{name} must be a whole number from {minimum} to {maximum} (got '{text}')."];
        return null;
    }

    // EXIF orientation is part of decoding here: boxes are always in the upright image's pixels.
    private static void OrientationKept(DetectRequest request, Dictionary<string, string[]> errors)
    {
        if (One(request, "disable_preproc_auto_orient") is { } text && (!DetectionParameters.TryBool(text, out var disable) || disable))
        {
            errors["disable_preproc_auto_orient"] = ["disable_preproc_auto_orient=true is not supported: this service always applies the EXIF orientation, and its boxes are in the upright image's pixels."];
        }
    }

    private static string? One(DetectRequest request, string name)
    {
        var value = request.Parameter(name);
        return value.Count == 0 ? null : value.ToString();
    }
}

/// <summary>
/// The drawn image a Roboflow request asks for: instead of the JSON (the hosted API's <c>format=image</c>) or inside
/// it as base64 <c>visualization</c> (<c>format=image_and_json</c>, the server's <c>visualize_predictions</c>).
/// </summary>
internal sealed record RoboflowDrawing(AnnotationOptions Options, bool InJson);
