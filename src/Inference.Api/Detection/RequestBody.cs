using Inference.Core.Serving;
using Microsoft.IO;

namespace Inference.Api.Detection;

/// <summary>A whole request body in one pooled buffer, with its share of the body budget; disposing gives both back, once.</summary>
public sealed class RequestBody(RecyclableMemoryStream stream, MemoryGate.Lease lease) : IDisposable
{
    private int _disposed;

    public ReadOnlyMemory<byte> Contents { get; } = DetectRequestReader.Contents(stream);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            stream.Dispose();
            lease.Dispose();
        }
    }
}
