using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using Inference.Core.Imaging.Formats;

namespace Inference.Core.Imaging.Codecs;

/// <summary>
/// The time one decode may take and the caller's token, checked where a codec hands control back: every read
/// of its input and every chunk of rows. Once spent it stays spent, so a codec that saw "end of data" and a
/// caller that asks why agree.
/// </summary>
internal sealed class DecodeBudget
{
    private const int Running = 0;
    private const int Cancelled = 1;
    private const int TimedOut = 2;

    private readonly TimeProvider _time;
    private readonly long _deadline;
    private readonly CancellationToken _cancellationToken;
    private int _state;

    public DecodeBudget(TimeProvider time, TimeSpan timeout, CancellationToken cancellationToken)
    {
        _time = time;
        Timeout = timeout;
        _cancellationToken = cancellationToken;
        _deadline = time.GetTimestamp() + (long)(timeout.TotalSeconds * time.TimestampFrequency);
    }

    public TimeSpan Timeout { get; }

    public CancellationToken CancellationToken => _cancellationToken;

    /// <summary>True once the caller's token fired or the time ran out.</summary>
    public bool IsSpent
    {
        get
        {
            if (_state != Running)
            {
                return true;
            }

            if (_cancellationToken.IsCancellationRequested)
            {
                _state = Cancelled;
            }
            else if (_time.GetTimestamp() >= _deadline)
            {
                _state = TimedOut;
            }

            return _state != Running;
        }
    }

    public void ThrowIfSpent(ImageFormat format)
    {
        if (IsSpent)
        {
            Throw(format);
        }
    }

    [DoesNotReturn]
    public void Throw(ImageFormat format)
    {
        if (_state == Cancelled)
        {
            throw new OperationCanceledException("The image decode was cancelled.", _cancellationToken);
        }

        throw new ImageDecodeException(
            ImageFailureReason.TooComplex,
            string.Create(CultureInfo.InvariantCulture, $"Decoding the {format.Name()} took longer than the {Timeout.TotalMilliseconds:0} ms budget; send a smaller or simpler image."));
    }
}
