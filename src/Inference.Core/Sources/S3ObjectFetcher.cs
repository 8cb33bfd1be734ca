using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.Retry;

namespace Inference.Core.Sources;

/// <summary>
/// Downloads pinned S3 objects into a <see cref="ModelCache"/>. Small objects stream through SHA-256 into a temp
/// file; large ones arrive as parallel byte ranges of the same version and are hashed once assembled. Either way the
/// file is renamed into place only when its hash matches. Transient faults are retried with exponential backoff
/// and jitter; 403 and 404 fail at once with a sentence naming bucket, key and version.
/// </summary>
public sealed partial class S3ObjectFetcher
{
    private const int BufferSize = 1 << 16;
    private readonly IAmazonS3 _s3;
    private readonly S3Options _options;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline _retry;

    public S3ObjectFetcher(IAmazonS3 s3, S3Options options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _s3 = s3;
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<Exception>(TransientFaults.IsTransient),
                MaxRetryAttempts = Math.Max(0, options.MaxAttempts - 1),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(200),
                MaxDelay = TimeSpan.FromSeconds(10),
                OnRetry = args =>
                {
                    LogRetry(_logger, args.AttemptNumber + 1, options.MaxAttempts, args.RetryDelay.TotalMilliseconds, args.Outcome.Exception?.Message ?? "no exception");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Fetches <paramref name="target"/> unless a verified copy is cached, and proves it hashes to <paramref name="sha256"/>.</summary>
    /// <exception cref="ModelSourceException">Not found, access denied, checksum mismatch, or unavailable after the retries.</exception>
    public async Task<FetchedFile> FetchAsync(S3ObjectRef target, string sha256, ModelCache cache, IProgress<DownloadProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(cache);
        var clock = Stopwatch.StartNew();
        if (cache.TryGetVerified(sha256, target.FileName, out var cached))
        {
            return new FetchedFile(cached, sha256, new FileInfo(cached).Length, true, clock.Elapsed);
        }

        var head = await CallAsync(target, token => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = target.Bucket, Key = target.Key, VersionId = target.VersionId }, token), cancellationToken).ConfigureAwait(false);

        // Every range must come from one version, even when the pin named none and a new version lands meanwhile.
        var version = target with { VersionId = target.VersionId ?? NullIfEmpty(head.VersionId) };
        var size = head.ContentLength;
        var temporary = cache.TemporaryPathFor(sha256);
        try
        {
            var tracker = new ProgressTracker(version, size, progress);
            var actual = size >= _options.ParallelThresholdBytes
                ? await DownloadRangesAsync(version, size, temporary, tracker, cancellationToken).ConfigureAwait(false)
                : await DownloadStreamAsync(version, temporary, tracker, cancellationToken).ConfigureAwait(false);
            if (!string.Equals(actual, sha256, StringComparison.OrdinalIgnoreCase))
            {
                throw new ModelSourceException(
                    ModelSourceFailure.ChecksumMismatch,
                    $"Checksum mismatch: {version} has SHA-256 {actual}, but the pin says {sha256.ToLowerInvariant()}. The service will not serve it.");
            }

            var path = ModelCache.Commit(temporary, cache.PathFor(sha256, target.FileName));
            LogDownloaded(_logger, version, size, clock.Elapsed.TotalSeconds);
            return new FetchedFile(path, sha256, size, false, clock.Elapsed);
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    /// <summary>Reads a small object (a manifest) into memory, with the same retries and errors.</summary>
    public async Task<byte[]> ReadAsync(S3ObjectRef target, long maxBytes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        return await CallAsync(target, async token =>
        {
            using var response = await _s3.GetObjectAsync(Request(target), token).ConfigureAwait(false);
            if (response.ContentLength > maxBytes)
            {
                throw new InvalidDataException($"{target} is {response.ContentLength} bytes; at most {maxBytes} are expected.");
            }

            using var buffer = new MemoryStream();
            await response.ResponseStream.CopyToAsync(buffer, token).ConfigureAwait(false);
            return buffer.ToArray();
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> DownloadStreamAsync(S3ObjectRef target, string path, ProgressTracker progress, CancellationToken cancellationToken)
    {
        return await CallAsync(target, async token =>
        {
            progress.Reset();
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            using var response = await _s3.GetObjectAsync(Request(target), token).ConfigureAwait(false);
            await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, BufferSize, FileOptions.Asynchronous);
            var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
            try
            {
                int read;
                while ((read = await response.ResponseStream.ReadAsync(buffer.AsMemory(0, BufferSize), token).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), token).ConfigureAwait(false);
                    progress.Add(read);
                }
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            return Convert.ToHexStringLower(hash.GetHashAndReset());
        }, cancellationToken).ConfigureAwait(false);
    }

    private async Task<string> DownloadRangesAsync(S3ObjectRef target, long size, string path, ProgressTracker progress, CancellationToken cancellationToken)
    {
        var partSize = _options.PartSizeBytes;
        var parts = (int)((size + partSize - 1) / partSize);
        using (var handle = File.OpenHandle(path, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous, preallocationSize: size))
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, parts),
                new ParallelOptions { MaxDegreeOfParallelism = _options.ParallelDownloads, CancellationToken = cancellationToken },
                async (part, token) =>
                {
                    var first = part * partSize;
                    var last = Math.Min(size, first + partSize) - 1;
                    await CallAsync(target, t => DownloadRangeAsync(target, handle, first, last, progress, t), token).ConfigureAwait(false);
                }).ConfigureAwait(false);
        }

        // Ranges land out of order, so the hash is taken once the file is whole.
        return ModelCache.HashFile(path);
    }

    private async Task<bool> DownloadRangeAsync(S3ObjectRef target, Microsoft.Win32.SafeHandles.SafeFileHandle handle, long first, long last, ProgressTracker progress, CancellationToken token)
    {
        var request = Request(target);
        request.ByteRange = new ByteRange(first, last);
        using var response = await _s3.GetObjectAsync(request, token).ConfigureAwait(false);
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        var offset = first;
        try
        {
            int read;
            while ((read = await response.ResponseStream.ReadAsync(buffer.AsMemory(0, BufferSize), token).ConfigureAwait(false)) > 0)
            {
                await RandomAccess.WriteAsync(handle, buffer.AsMemory(0, read), offset, token).ConfigureAwait(false);
                offset += read;
                progress.Add(read);
            }
        }
        catch
        {
            // A retried range starts again from its first byte; take back what it had counted.
            progress.Add(first - offset);
            throw;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        if (offset != last + 1)
        {
            throw new IOException($"Range {first}-{last} of {target} ended after {offset - first} bytes.");
        }

        return true;
    }

    private async Task<T> CallAsync<T>(S3ObjectRef target, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await _retry.ExecuteAsync(async token => await call(token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (TransientFaults.AsPermanent(ex, target) is { } permanent)
        {
            throw permanent;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex) when (ex is not ModelSourceException && TransientFaults.IsTransient(ex))
        {
            throw new ModelSourceException(ModelSourceFailure.Unavailable, $"S3 unavailable for {target} after {_options.MaxAttempts} attempts: {ex.Message}", ex);
        }
    }

    private static GetObjectRequest Request(S3ObjectRef target) => new() { BucketName = target.Bucket, Key = target.Key, VersionId = target.VersionId };

    private static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) || value == "null" ? null : value;

    [LoggerMessage(Level = LogLevel.Warning, Message = "S3 attempt {Attempt} of {MaxAttempts} in {DelayMs:0} ms after a transient fault: {Reason}")]
    private static partial void LogRetry(ILogger logger, int attempt, int maxAttempts, double delayMs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Downloaded {Target}: {Bytes} bytes in {Seconds:0.00} s")]
    private static partial void LogDownloaded(ILogger logger, S3ObjectRef target, long bytes, double seconds);

    /// <summary>Counts bytes from many ranges at once and reports at most every 1 % (or 4 MiB).</summary>
    private sealed class ProgressTracker(S3ObjectRef target, long total, IProgress<DownloadProgress>? progress)
    {
        private readonly long _step = Math.Max(4L << 20, total / 100);
        private long _done;
        private long _reported;

        public void Reset() => Interlocked.Exchange(ref _done, 0);

        public void Add(long bytes)
        {
            var done = Interlocked.Add(ref _done, bytes);
            var reported = Interlocked.Read(ref _reported);
            if (progress is not null && (done - reported >= _step || done == total) && Interlocked.CompareExchange(ref _reported, done, reported) == reported)
            {
                progress.Report(new DownloadProgress(target, done, total));
            }
        }
    }
}
