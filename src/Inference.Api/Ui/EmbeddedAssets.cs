using System.Collections.Frozen;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.Extensions.Options;

namespace Inference.Api.Ui;

/// <summary>
/// The demo page's files, embedded in this assembly (logical names <c>ui/…</c>) and read once: the page works
/// offline and in a container with nothing beside the binary. Each has a strong ETag from its content. The page's
/// <c>{{title}}</c> is <c>Ui:Title</c>, HTML-encoded.
/// </summary>
public sealed class EmbeddedAssets
{
    public const string TitlePlaceholder = "{{title}}";

    private const string Prefix = "ui/";

    private static readonly FrozenDictionary<string, string> ContentTypes = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    }.ToFrozenDictionary();

    private readonly FrozenDictionary<string, Asset> _assets;

    public EmbeddedAssets(IOptions<UiOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var title = HtmlEncoder.Default.Encode(options.Value.Title);
        var assembly = typeof(EmbeddedAssets).Assembly;
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var file = name[Prefix.Length..];
            var bytes = file.EndsWith(".html", StringComparison.Ordinal)
                ? Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(copy.ToArray()).Replace(TitlePlaceholder, title, StringComparison.Ordinal))
                : copy.ToArray();
            var type = ContentTypes.GetValueOrDefault(Path.GetExtension(file))
                ?? throw new InvalidOperationException($"The embedded UI file '{file}' has no known content type.");
            assets[file] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }

        _assets = assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    public IEnumerable<string> Names => _assets.Keys;

    public Asset? Find(string name) => _assets.GetValueOrDefault(name);

    public sealed record Asset(byte[] Content, string ContentType, string ETag);
}
