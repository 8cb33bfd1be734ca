namespace Inference.Core.Imaging;

/// <summary>Why an uploaded image was refused. Hosts map each reason to a 4xx status.</summary>
public enum ImageFailureReason
{
    /// <summary>No known image signature: random bytes, text, an empty body.</summary>
    NotAnImage,

    /// <summary>A known format whose data is damaged or truncated.</summary>
    Corrupt,

    /// <summary>The header declares more pixels or a longer side than the limits allow.</summary>
    TooLarge,

    /// <summary>A recognised format (or a feature of one) that this service does not decode.</summary>
    Unsupported,

    /// <summary>
    /// Decoding would cost more than the budget allows: the time budget ran out, or the structure (scan or
    /// marker count) is far beyond what any encoder writes.
    /// </summary>
    TooComplex,
}
