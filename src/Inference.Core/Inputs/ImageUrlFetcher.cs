using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Inference.Core.Contracts;

namespace Inference.Core.Inputs;

/// <summary>Resolves a host name to its addresses; the system resolver in production, a table in tests.</summary>
public delegate Task<IPAddress[]> HostResolver(string host, CancellationToken cancellationToken);

/// <summary>
/// Fetches an image by URL for every front end that takes URLs, under <see cref="InputsOptions"/>: off unless
/// enabled; the <see cref="UrlPolicy"/> for the URL, every redirect and every resolved address; one deadline for the
/// whole fetch; a size cap checked on the declared length and again while reading. The connection goes to the
/// address that was checked (the handler's own resolver never runs), no proxy is used, and redirects are followed by
/// hand, to the same host only.
/// </summary>
public sealed class ImageUrlFetcher : IDisposable
{
    private const int MaxResponseHeadersKb = 64;

    private readonly InputsOptions _options;
    private readonly UrlPolicy _policy;
    private readonly TimeProvider _time;
    private readonly HostResolver _resolve;
    private readonly HttpClient _client;

    public ImageUrlFetcher(InputsOptions options, TimeProvider? time = null, HostResolver? resolve = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _policy = new UrlPolicy(options);
        _time = time ?? TimeProvider.System;
        _resolve = resolve ?? Dns.GetHostAddressesAsync;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseProxy = false,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            MaxResponseHeadersLength = MaxResponseHeadersKb,
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            ConnectCallback = ConnectAsync,
        };
        _client = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
    }

    /// <summary>The image's bytes.</summary>
    /// <exception cref="RequestProblemException">Fetching is off, the URL or an address is refused, the fetch failed, took too long or delivered too much.</exception>
    /// <exception cref="OperationCanceledException">The caller's token fired.</exception>
    public async Task<byte[]> FetchAsync(string url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!_options.AllowUrlFetch)
        {
            throw new RequestProblemException(ProblemCatalog.UrlFetchDisabled());
        }

        var uri = _policy.CheckUrl(url);
        using var deadline = new CancellationTokenSource(TimeSpan.FromMilliseconds(_options.UrlTimeoutMs), _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        try
        {
            return await FetchFollowingAsync(uri, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RequestProblemException(ProblemCatalog.UrlFetchTimeout(UrlPolicy.Shorten(url), _options.UrlTimeoutMs));
        }
        catch (HttpRequestException ex) when (ex.InnerException is RequestProblemException refused)
        {
            throw refused;
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(UrlPolicy.Shorten(url), ex.Message));
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task<byte[]> FetchFollowingAsync(Uri uri, CancellationToken cancellationToken)
    {
        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, uri);
            request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("image/*"));
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("inference-service", "1"));
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (status is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                if (redirects == _options.MaxRedirects)
                {
                    throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(uri.ToString(), $"more than {_options.MaxRedirects} redirects (Inputs:MaxRedirects)."));
                }

                uri = NextHop(uri, location);
                continue;
            }

            if (status is < 200 or >= 300)
            {
                throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(uri.ToString(), $"the server answered {status} {response.ReasonPhrase}."));
            }

            return await ReadCappedAsync(response.Content, uri, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A redirect stays on the same host and scheme family: a cross-host hop could lead anywhere the allow-list did not name.</summary>
    private Uri NextHop(Uri from, Uri location)
    {
        var next = location.IsAbsoluteUri ? location : new Uri(from, location);
        var target = _policy.CheckUrl(next.ToString());
        if (!string.Equals(target.IdnHost, from.IdnHost, StringComparison.OrdinalIgnoreCase))
        {
            throw new RequestProblemException(ProblemCatalog.UrlRedirectNotAllowed(from.IdnHost, target.IdnHost));
        }

        if (from.Scheme == Uri.UriSchemeHttps && target.Scheme != Uri.UriSchemeHttps)
        {
            throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(from.ToString(), "it redirects from https to plain http."));
        }

        return target;
    }

    private async Task<byte[]> ReadCappedAsync(HttpContent content, Uri uri, CancellationToken cancellationToken)
    {
        var cap = _options.MaxUrlBytes;
        if (content.Headers.ContentLength is { } declared && declared > cap)
        {
            throw new RequestProblemException(ProblemCatalog.UrlImageTooLarge(uri.ToString(), cap));
        }

        var stream = await content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream(content.Headers.ContentLength is { } length ? (int)length : 64 * 1024);
            var chunk = new byte[64 * 1024];
            int read;
            while ((read = await stream.ReadAsync(chunk, cancellationToken).ConfigureAwait(false)) > 0)
            {
                if (buffer.Length + read > cap)
                {
                    throw new RequestProblemException(ProblemCatalog.UrlImageTooLarge(uri.ToString(), cap));
                }

                buffer.Write(chunk, 0, read);
            }

            return buffer.Length > 0
                ? buffer.ToArray()
                : throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(uri.ToString(), "the answer has no body."));
        }
    }

    /// <summary>Resolves the host once, checks every address, then connects only to those addresses.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await _resolve(host, cancellationToken).ConfigureAwait(false);
        if (addresses.Length == 0)
        {
            throw new RequestProblemException(ProblemCatalog.UrlFetchFailed(host, "the host name does not resolve."));
        }

        _policy.CheckAddresses(host, addresses);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(addresses, context.DnsEndPoint.Port, cancellationToken).ConfigureAwait(false);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
