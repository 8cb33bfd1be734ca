namespace Inference.Core.Pipeline;

/// <summary>Milliseconds spent per stage for one image. Inference is the whole batch's run time.</summary>
public sealed record StageTimings(double DecodeMs, double PreprocessMs, double InferenceMs, double PostprocessMs)
{
    public double TotalMs => DecodeMs + PreprocessMs + InferenceMs + PostprocessMs;
}
