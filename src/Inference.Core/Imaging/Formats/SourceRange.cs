namespace Inference.Core.Imaging.Formats;

/// <summary>
/// A run of the uploaded bytes that the codec is shown. Runs are concatenated in order; the structure checks
/// leave out what the codec must never parse (metadata chunks, frames after the first).
/// </summary>
/// <param name="Offset">Start in the uploaded data.</param>
/// <param name="Length">Bytes in the run.</param>
/// <param name="EndsRead">
/// A codec read stops at the end of this run even when it asked for more, so the next read (and its budget
/// check) happens there: set before every JPEG scan, whose work is otherwise invisible between reads.
/// </param>
internal readonly record struct SourceRange(int Offset, int Length, bool EndsRead = false);
