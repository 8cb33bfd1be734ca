using System.Buffers;

namespace Inference.Core.Postprocessing;

/// <summary>A raw detection in model-input pixels, before NMS.</summary>
public readonly record struct Candidate(BoundingBox Box, float Score, int ClassId);

/// <summary>A growable list of candidates on pooled memory, so decoding allocates nothing in steady state.</summary>
public sealed class CandidateBuffer : IDisposable
{
    private Candidate[] _items;

    public CandidateBuffer(int initialCapacity = 256)
    {
        _items = ArrayPool<Candidate>.Shared.Rent(Math.Max(16, initialCapacity));
    }

    public int Count { get; private set; }

    public Span<Candidate> AsSpan() => _items.AsSpan(0, Count);

    public void Add(in Candidate candidate)
    {
        if (Count == _items.Length)
        {
            var larger = ArrayPool<Candidate>.Shared.Rent(_items.Length * 2);
            _items.AsSpan(0, Count).CopyTo(larger);
            ArrayPool<Candidate>.Shared.Return(_items);
            _items = larger;
        }

        _items[Count++] = candidate;
    }

    public void Clear() => Count = 0;

    public void Dispose()
    {
        ArrayPool<Candidate>.Shared.Return(_items);
        _items = [];
        Count = 0;
    }
}
